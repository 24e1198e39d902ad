"""How far to walk an outlet's list pages, and which articles on them to fetch.

Two ways a spider runs (docs/scheduling.md):

* **incremental** (the default): list pages newest first; an article already in the
  state store is not requested again; paging stops after ``NEWSBOT_OVERLAP_PAGES`` + 1
  pages in a row with nothing new.  An hourly run on an unchanged site costs a page or two.
* **backfill** (``-a since=YYYY-MM-DD [-a until=YYYY-MM-DD]``): pages back until a list
  entry is older than ``since``; entries outside the range are skipped (and counted),
  and nothing new on a page is no reason to stop.

A walk that a run did not finish (killed, crashed, or cut: a list page that failed, the
``NEWSBOT_MAX_LIST_PAGES`` bound) stays open in the state store; the next run does not
stop early until it has passed that walk's floor, so nothing behind a page of
already-recorded articles is left unfetched.  A published time more than a day in the
future (:func:`newsbot.dates.is_future`) is never a floor: it would end that recovery at once.

Every walk also ends on its own (newsbot/spiders/base.py, ``NewsSpider.parse_list``): at
a page without article links, at a page that repeats an earlier one of the same walk (a
CMS answering every page number past its end with its last page), or at the
``NEWSBOT_MAX_LIST_PAGES`` bound; each end is counted (``newsbot/list_walk_end/<why>``).

Recorded articles published in the last ``NEWSBOT_RECHECK_DAYS`` days are fetched again
at most every ``NEWSBOT_RECHECK_AFTER_HOURS`` hours when they show up on a walked list
page: that is how an outlet's edit (new ``modified_at``, new body) gets noticed and
recorded as a new version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from scrapy.exceptions import UsageError

from newsbot.dates import is_future

KST = timezone(timedelta(hours=9))
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LIST_DATE = re.compile(r"(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})")


@dataclass(frozen=True)
class ListEntry:
    """One article on a list page: its URL and, if the list prints it, its date."""

    url: str
    day: date | None = None


def parse_list_date(text: str | None) -> date | None:
    """``2024-08-06``, ``2024.08.06 12:00``, ``2024년 8월 6일`` -> a date; None without a year."""
    match = _LIST_DATE.search(text or "")
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def parse_day(value: str, argument: str) -> date:
    if not _DAY.match(value.strip()):
        raise UsageError(f"-a {argument}: not a date in YYYY-MM-DD form: {value!r}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"-a {argument}: no such date: {value!r}") from None


def backfill_range(since: str | None, until: str | None, today: date | None = None) -> tuple[date | None, date | None]:
    """Validated ``(since, until)`` from the ``-a`` values; a bad value is one UsageError line."""
    today = today or datetime.now(KST).date()
    since_day = parse_day(since, "since") if since else None
    until_day = parse_day(until, "until") if until else None
    if since_day and since_day > today:
        raise UsageError(f"-a since: {since_day} is in the future (today is {today} in Korea)")
    if since_day and until_day and until_day < since_day:
        raise UsageError(f"-a until: {until_day} is before since {since_day}")
    return since_day, until_day


@dataclass
class PagePlan:
    """What to do with one list page."""

    fetch: list[tuple[str, str]] = field(default_factory=list)  # (url, "new" | "recheck")
    new: int = 0
    #: entries a feed or sitemap already had this run fetched: new, as far as paging goes
    fed: int = 0
    recorded: int = 0
    out_of_range: int = 0
    stop: str | None = None  # why the walk ends at this page, if it does
    stop_kind: str | None = None  # ... as a stable word: "since_reached", "nothing_new"
    #: (url, "out_of_range" | "already_recorded") of the entries not fetched
    skipped: list[tuple[str, str]] = field(default_factory=list)


class ListWalk:
    """Per-run decisions for list pages, backed by the state store."""

    def __init__(self, store, settings, canonicalize, since: date | None = None, until: date | None = None,
                 now: datetime | None = None):
        self.store = store
        self.canonicalize = canonicalize
        self.since, self.until = since, until
        self.backfill = bool(since or until)
        self.incremental = settings.getbool("NEWSBOT_INCREMENTAL", True)
        self.overlap = max(0, settings.getint("NEWSBOT_OVERLAP_PAGES", 1))
        self.now = now or datetime.now(timezone.utc)
        recheck_days = settings.getfloat("NEWSBOT_RECHECK_DAYS", 2)
        self.recheck_published_after = (self.now - timedelta(days=recheck_days)).isoformat(timespec="seconds")
        self.recheck_seen_before = (
            self.now - timedelta(hours=settings.getfloat("NEWSBOT_RECHECK_AFTER_HOURS", 12))
        ).isoformat(timespec="seconds")
        high_water = store.high_water()["published_at"]
        if is_future(high_water, self.now):   # a store written before future dates were distrusted
            high_water = None
        floor = since.isoformat() if since else (high_water[:10] if high_water else None)
        left_open = store.open_walk(floor)
        # An earlier walk was cut short: don't trust "nothing new" until we are past its floor.
        self.recovering = left_open is not None
        left_floor = left_open["floor_date"] if left_open else None
        # (a floor in the future, set from a future date, would end the recovery at once: to the end)
        self.recovery_floor = date.fromisoformat(left_floor) if left_floor and not is_future(left_floor, self.now) else None
        self.pages_without_new = 0
        self.requested: set[str] = set()  # canonical URLs asked for in this run
        self.fed: set[str] = set()  # ... of them, those a feed or sitemap asked for

    def _due_for_recheck(self, recorded: dict) -> bool:
        published = recorded.get("published_at")
        if not published:
            return False
        published_utc = datetime.fromisoformat(published).astimezone(timezone.utc).isoformat(timespec="seconds")
        return published_utc >= self.recheck_published_after and recorded["last_seen"] <= self.recheck_seen_before

    def plan(self, entries: list[ListEntry], source: str = "list") -> PagePlan:
        """What to fetch of ``entries``.  ``source`` ``"list"``: a list page of the walk (its
        plan may end the walk); ``"feed"``/``"sitemap"``: entries from elsewhere, the same
        rules but no paging decision, and an article they asked for counts as new when a
        list page shows it later (so a feed read first never makes the walk stop early)."""
        plan = PagePlan()
        for entry in entries:
            if entry.day and ((self.since and entry.day < self.since) or (self.until and entry.day > self.until)):
                plan.out_of_range += 1
                plan.skipped.append((entry.url, "out_of_range"))
                continue
            canonical = self.canonicalize(entry.url)
            if canonical in self.requested:
                plan.fed += canonical in self.fed and source == "list"
                continue
            recorded = self.store.recorded(canonical)
            if recorded is None:
                plan.new += 1
                plan.fetch.append((entry.url, "new"))
                self.requested.add(canonical)
                if source != "list":
                    self.fed.add(canonical)
            elif self._due_for_recheck(recorded):
                plan.recorded += 1
                plan.fetch.append((entry.url, "recheck"))
                self.requested.add(canonical)
            else:
                plan.recorded += 1
                plan.skipped.append((entry.url, "already_recorded"))
        if source == "list":   # feed and sitemap entries never end a walk
            plan.stop_kind, plan.stop = self._stop_reason(entries, plan)
        return plan

    def _stop_reason(self, entries: list[ListEntry], plan: PagePlan) -> tuple[str | None, str | None]:
        days = [e.day for e in entries if e.day]
        oldest = min(days) if days else None
        if self.since and oldest and oldest < self.since:
            return "since_reached", f"reached entries older than since={self.since}"
        if self.recovering and oldest and self.recovery_floor and oldest < self.recovery_floor:
            self.recovering = False  # past the floor of the walk left open: from here on, normal rules
        if self.backfill or not self.incremental or self.recovering:
            return None, None
        self.pages_without_new = 0 if plan.new or plan.fed else self.pages_without_new + 1
        if self.pages_without_new > self.overlap:
            return "nothing_new", (f"nothing new on {self.pages_without_new} page(s) in a row "
                                   f"(incremental, overlap {self.overlap})")
        return None, None

    def finish(self) -> None:
        """The walk ended normally: the next run may trust "nothing new" again."""
        self.store.finish_walk()
