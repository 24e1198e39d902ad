"""Korean news timestamps -> timezone-aware datetimes in KST.

Every outlet writes dates its own way (``기사등록 2024-08-06 07:38:57``,
``입력 : 2024/04/08 [12:51]``, ``작성일 21-07-17 13:33``, ``입력 2024.05.01 오후 3:12``,
ISO 8601 in ``<meta>``, RFC 822 in RSS).  No library reads all of these, so this module
does, and nothing else: callers decide what a failure means.

All local times are Korea Standard Time (UTC+9, no daylight saving since 1988).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

KST = timezone(timedelta(hours=9), "KST")


class DateParseError(ValueError):
    """The text holds no complete, valid date (message says why)."""


# Label words that precede the date; stripped so they never confuse the patterns.
_DATE = re.compile(
    r"(?P<year>\d{4}|\d{2})\s*[-./년]\s*(?P<month>\d{1,2})\s*[-./월]\s*(?P<day>\d{1,2})\s*일?"
)
_TIME = re.compile(
    r"^[\s\[(]*(?:\((?:[월화수목금토일])\)\s*)?"
    r"(?P<ampm>오전|오후|AM|PM|am|pm)?\s*"
    r"(?P<hour>\d{1,2})\s*[:시]\s*(?P<minute>\d{2})\s*분?(?:\s*:\s*(?P<second>\d{2}))?"
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_RFC822 = re.compile(r"^(?:[A-Z][a-z]{2},\s*)?\d{1,2}\s+[A-Z][a-z]{2}\s+\d{4}")
# A month-day or a bare time (gnuboard list cells: ``07-17``, ``13:33``): no year, never trusted.
_YEARLESS = re.compile(r"^\s*(\d{1,2}[-./]\d{1,2}|\d{1,2}:\d{2})\s*$")


def parse_kst(text: str | None, *, now: datetime | None = None) -> datetime:
    """Parse one timestamp as printed on a Korean news page.

    Returns an aware datetime (KST unless the text carries its own offset).
    A date without a time is taken as midnight.  Raises :class:`DateParseError`
    for empty text, a date without a year, or impossible values (month 13 ...).
    ``now`` bounds two-digit years (``21-07-17`` is 2021, never 2121).

    Without ``now``, results are cached per text (a few hundred): extraction checks a date
    is plausible and normalization then reads the same text again (docs/performance.md).
    """
    if now is None and isinstance(text, str):
        return _parse_kst_cached(text)
    return _parse_kst(text, now)


@lru_cache(maxsize=256)
def _parse_kst_cached(text: str) -> datetime:
    # a failed parse raises and is not cached: it is parsed (and fails) again when asked
    return _parse_kst(text, None)


def _parse_kst(text: str | None, now: datetime | None) -> datetime:
    if text is None or not text.strip():
        raise DateParseError("empty date text")
    raw = " ".join(text.split())

    if _ISO.match(raw):
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError as exc:
            raise DateParseError(f"invalid ISO timestamp {raw!r}: {exc}") from None
        return value if value.tzinfo else value.replace(tzinfo=KST)

    if _RFC822.match(raw):
        try:
            value = parsedate_to_datetime(raw)
        except (TypeError, ValueError) as exc:
            raise DateParseError(f"invalid RFC 822 date {raw!r}: {exc}") from None
        return value if value.tzinfo else value.replace(tzinfo=KST)

    if _YEARLESS.match(raw):
        raise DateParseError(f"date without a year {raw!r}")

    match = _DATE.search(raw)
    if not match:
        raise DateParseError(f"no date in {raw!r}")
    year = int(match["year"])
    if len(match["year"]) == 2:
        year = _expand_two_digit_year(year, now or datetime.now(KST))

    hour = minute = second = 0
    time_match = _TIME.match(raw[match.end():])
    if time_match:
        hour, minute = int(time_match["hour"]), int(time_match["minute"])
        second = int(time_match["second"] or 0)
        ampm = (time_match["ampm"] or "").lower()
        if ampm in ("오후", "pm") and hour < 12:
            hour += 12
        elif ampm in ("오전", "am") and hour == 12:
            hour = 0
    try:
        return datetime(year, int(match["month"]), int(match["day"]), hour, minute, second, tzinfo=KST)
    except ValueError as exc:
        raise DateParseError(f"impossible date {raw!r}: {exc}") from None


def _expand_two_digit_year(yy: int, now: datetime) -> int:
    century = now.year // 100 * 100
    year = century + yy
    # A two-digit year is never in the future by more than a year (clock skew, time zones).
    return year - 100 if year > now.year + 1 else year


def to_iso(value: datetime) -> str:
    """ISO 8601 with an explicit offset, seconds precision: ``2024-08-06T07:38:57+09:00``."""
    return value.isoformat(timespec="seconds")


#: How far a published time may lie after the crawl before it is taken for an error of the
#: outlet's (a typo'd year, a CMS default of 2099-12-31) rather than a time: time zones and
#: clock skew stay well inside a day.
FUTURE_TOLERANCE = timedelta(days=1)


def is_future(value: str | None, reference: datetime | str | None = None) -> bool:
    """True when the ISO 8601 time ``value`` is more than :data:`FUTURE_TOLERANCE` after
    ``reference`` (a datetime or ISO string; default: now).  Such a date is kept in the
    record with the warning ``published_at:future`` but never trusted to steer a crawl:
    it is no high-water mark and stops no list walk (newsbot/spiders/walk.py)."""
    if not value:
        return False
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if isinstance(reference, str):
            reference = datetime.fromisoformat(reference.replace("Z", "+00:00"))
    except ValueError:
        return False
    reference = reference or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=KST)
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=timezone.utc)
    return moment > reference + FUTURE_TOLERANCE
