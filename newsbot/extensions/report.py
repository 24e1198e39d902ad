"""The crawl report: a summary and a JSON file at the end of a run, and the exit status a
scheduler sees.  (Progress lines during the run: :mod:`newsbot.extensions.progress`.)

At the end of every run (``spider_closed``) the report is logged as a short human
summary and written to ``OUTPUT_DIR/<site>/reports/<site>-<UTC>-<serial>.json`` (as
``….json.open`` first, renamed when whole).  Every number comes from the crawl's stats
(``newsbot/*`` and Scrapy's own), so the report says what the components counted, nothing
estimated; the JSON carries those stats whole too (``stats``: every stat by name, times as
ISO 8601), so no one parses the log for a count.  It also carries the run's id and
manifest (:mod:`newsbot.extensions.manifest`).

A scheduled run's only voice is its exit status, so the report asks for a failing one
(:func:`newsbot.exitcodes.request_exit_status`) when a human must look:

* ``4`` (``exitcodes.NO_ARTICLES``): the run finished, yet list pages showed no article at all
  and no article was fetched: the layout changed, the site moved, or robots.txt shut us out;
* ``5`` (``exitcodes.EXTRACTION_WARNINGS``): more than ``NEWSBOT_MAX_WARNING_SHARE`` of the articles
  recorded had a required field missing (judged from ``NEWSBOT_WARNING_MIN_ITEMS`` articles
  on, or at once when every one of two or more has them): selectors no longer match.  A
  doubt (``published_at:disagrees_with_metadata``) is listed by name, not counted here.

Layout drift is reported as a problem that does not fail the run (exit status 0: every
article was still found and recorded, by a later layer): ``list_layout_drift`` when list
pages were read by the list fallback (newsbot/spiders/discovery.py) or a walk's first list
page had no article links while feeds or sitemaps found articles, and
``article_layout_drift`` when, for a field the family has selectors for, a later extraction
layer gave the value in more than ``NEWSBOT_LAYER_DRIFT_SHARE`` of the records (from
``NEWSBOT_WARNING_MIN_ITEMS`` records on): "author from metadata:dable:author on 100 %".

When no list page could be read, the report names why instead of blaming the layout:
``6`` (``UNREACHABLE``) when every list page failed to download (DNS, refused, timeouts,
resets, 5xx), ``7`` (``ROBOTS_BLOCKED``) when robots.txt forbade them.  ``8``
(``NOTHING_RECORDED``): articles were fetched (two or more) and none recorded, at least
one of them failing for a reason other than being gone (404/410: a deleted post).  ``1``
(``articles_unaccounted``): a finished run in which an article seen has no outcome
(newsbot/extensions/accounting.py); ``1`` (``start_error``): the spider's start failed.
Several problems: the exit status is the primary cause's (``exitcodes.PRECEDENCE``),
and ``problems`` lists the primary first.
"""

from __future__ import annotations

import json
import logging
import os

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsbot import exitcodes
from newsbot.exitcodes import EXIT_STATUS_STAT, PROBLEM_STAT_PREFIX, report_problem
from newsbot.extensions.accounting import article_accounts
from newsbot.extensions.manifest import run_manifest
from newsbot.faults import LIST_FAULT_PREFIX, STAT_PREFIX as FAULT_PREFIX
from newsbot.output import file_tag, site_dir, site_of
from newsbot.outputfile import OutputFile, adopt_unfinished
from newsbot.warc.requisites import requisites_lines, requisites_report

logger = logging.getLogger(__name__)

_WARNING_PREFIX = "newsbot/extraction_warnings/"
_WALK_END_PREFIX = "newsbot/list_walk_end/"
#: fault stats that are tallies of other faults, not a kind of their own
_FAULT_TALLIES = frozenset({"count", "articles_failed", "articles_gone", "articles_given_up",
                            "retried_from_earlier_runs"})
#: list-page faults that mean the site did not answer (as opposed to answering 404: moved, layout)
_UNREACHABLE_KINDS = frozenset({"dns", "connection_refused", "timeout", "connection_reset", "data_loss",
                                "download_error", "cancelled"})


_GONE_REASONS = frozenset({"http_404", "http_410", "gone_earlier"})


def _unreachable_kind(kind: str) -> bool:
    return kind in _UNREACHABLE_KINDS or kind in ("http_429",) or (kind.startswith("http_5") and kind[5:].isdigit())


def _by_prefix(stats: dict, prefix: str, skip=frozenset()) -> dict:
    return {key[len(prefix):]: value for key, value in sorted(stats.items())
            if key.startswith(prefix) and key[len(prefix):] not in skip and isinstance(value, int)}
_PROVENANCE_PREFIX = "newsbot/provenance/"
_DISCOVERY_PREFIX = "newsbot/discovery/"
_FALLBACK_PREFIX = "newsbot/list_fallback/"
#: provenance values that mean "not the family's selectors": a later layer found it
_LATER_LAYERS = ("metadata:", "label", "main_content:")
#: the page object's selectors behind each field (a field without any is not judged for drift)
_FIELD_SELECTORS = {
    "title": ("title_css",), "subtitle": ("subtitle_css",), "author": ("author_css",),
    "published_at": ("date_css",), "modified_at": ("date_css",), "section": ("section_css",),
    "body": ("body_css",), "captions": ("caption_css", "photo_css"), "images": ("body_css",),
}


def _prefixed(stats: dict, prefix: str) -> dict:
    return {key[len(prefix):]: value for key, value in sorted(stats.items()) if key.startswith(prefix)}


def _seconds(start, end) -> float:
    return max((end - start).total_seconds(), 0.0) if start and end else 0.0


def _json_value(value):
    """A stats value as JSON: times as ISO 8601, containers item by item, anything else as text."""
    from datetime import datetime

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_value(v) for v in value]
    return str(value)


def stats_snapshot(stats: dict) -> dict:
    """Every stat of the crawl (``newsbot/*`` and Scrapy's own), by name, as JSON values."""
    return {name: _json_value(value) for name, value in sorted(stats.items())}


class CrawlReport:
    def __init__(self, crawler):
        settings = crawler.settings
        if not settings.getbool("NEWSBOT_REPORT_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_warning_share = settings.getfloat("NEWSBOT_MAX_WARNING_SHARE", 0.25)
        self.min_warning_items = settings.getint("NEWSBOT_WARNING_MIN_ITEMS", 10)
        self.expect_articles = settings.getbool("NEWSBOT_EXPECT_ARTICLES", True)
        self.report: dict | None = None
        self.path = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def counts(self) -> dict:
        get = self.stats.get_value
        accounts = article_accounts(self.crawler)
        return {
            "new": get("newsbot/items_new", 0),
            "updated": get("newsbot/items_updated", 0),
            "duplicate": get("newsbot/items_duplicate", 0),
            # every article not recorded for a reason (newsbot/extensions/accounting.py)
            "failed": (sum(1 for outcome in accounts.outcomes.values() if outcome and outcome.startswith("failed:"))
                       if accounts is not None else get("newsbot/articles_failed", 0)),
            "skipped_out_of_range": get("newsbot/skipped_out_of_range", 0),
            "skipped_already_recorded": get("newsbot/skipped_already_recorded", 0),
            "not_an_article": get("newsbot/not_an_article", 0),
        }

    # -- at the end -----------------------------------------------------------------
    def build(self, spider, reason: str) -> dict:
        from datetime import datetime, timezone

        get = self.stats.get_value
        started = get("start_time")
        finished = get("finish_time") or datetime.now(timezone.utc)
        duration = _seconds(started, finished)
        counts = self.counts()
        recorded = counts["new"] + counts["updated"]
        # only missing required fields count (a doubt is listed in by_field, not judged)
        with_warnings = get("newsbot/items_missing_required", 0)
        by_field = {
            key[len(_WARNING_PREFIX):]: value
            for key, value in sorted(self.stats.get_stats().items()) if key.startswith(_WARNING_PREFIX)
        }
        # pages: every response but the article pages' requisites (counted in their own section)
        requisites = requisites_report(self.stats, self.crawler.settings)
        pages = get("response_received_count", 0) - sum(requisites["fetched"].values())
        all_stats = self.stats.get_stats()
        accounts = article_accounts(self.crawler)
        articles = accounts.summary() if accounts is not None else None
        since, until = getattr(spider, "since", None), getattr(spider, "until", None)
        if self.crawler.settings.get("NEWSBOT_REPARSED_AT"):
            mode = "reparse"
        elif getattr(spider, "article_urls", None):
            mode = "urls"
        else:
            mode = "backfill" if since or until else "incremental"
        return {
            "site": site_of(spider),
            "outlet": getattr(spider, "outlet", "") or None,
            "finish_reason": reason,
            "mode": mode,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "started_at": started.isoformat(timespec="seconds") if started else None,
            "finished_at": finished.isoformat(timespec="seconds"),
            "duration_seconds": round(duration, 3),
            **counts,
            "extraction_warnings": {
                "items": with_warnings,
                "share": round(with_warnings / recorded, 4) if recorded else 0.0,
                "by_field": by_field,
            },
            "article_links_found": get("newsbot/article_links_found", 0),
            "list_pages": get("newsbot/list_pages", 0),
            "pages_fetched": pages,
            "pages_per_minute": round(pages / (duration / 60), 1) if duration else 0.0,
            "bytes_archived": get("newsbot/warc_bytes", 0),
            "requisites": requisites,
            **({"articles": articles} if articles is not None else {}),
            "faults": _by_prefix(all_stats, FAULT_PREFIX + "/", _FAULT_TALLIES),
            "list_faults": _by_prefix(all_stats, LIST_FAULT_PREFIX + "/"),
            "list_walks": _by_prefix(all_stats, _WALK_END_PREFIX),
            **self.reach(),
            "problems": [],
            "exit_status": 0,
        }

    def reach(self) -> dict:
        """Where articles came from and how their fields were found (issue 15): ``provenance``
        (records per field and extraction layer), ``discovery`` (feeds, sitemaps, the generic
        spider's learned article URL shape) and ``list_fallback`` (list pages the family's
        selectors could not read)."""
        stats = self.stats.get_stats()
        provenance: dict[str, dict[str, int]] = {}
        for key, count in _prefixed(stats, _PROVENANCE_PREFIX).items():
            field, _, source = key.partition("/")
            provenance.setdefault(field, {})[source] = count
        discovery = _prefixed(stats, _DISCOVERY_PREFIX)
        shape = stats.get("newsbot/generic/url_shape")
        if shape:
            discovery["url_shape"] = shape
        fallback = _prefixed(stats, _FALLBACK_PREFIX)
        return {
            "provenance": {field: dict(sorted(sources.items(), key=lambda kv: -kv[1]))
                           for field, sources in provenance.items()},
            "discovery": discovery,
            "list_fallback": {"pages": fallback.get("pages", 0), "links": fallback.get("links", 0),
                              **({"example": fallback["example"]} if "example" in fallback else {}),
                              **({"empty_first_pages": fallback["empty_first_pages"]}
                                 if "empty_first_pages" in fallback else {})},
        }

    def drifted_fields(self, report: dict) -> list[tuple[str, str, int, int]]:
        """(field, its most frequent later layer, records from later layers, records) for
        each field a later layer gave in more than ``NEWSBOT_LAYER_DRIFT_SHARE`` of the
        records; only fields the spider's page object has selectors for."""
        spider = self.crawler.spider
        page = getattr(spider, "article_page", None)
        if page is None or getattr(spider, "cms", "") == "generic":
            return []
        share = self.crawler.settings.getfloat("NEWSBOT_LAYER_DRIFT_SHARE", 0.5)
        drifted = []
        for field, sources in report["provenance"].items():
            if not any(getattr(page, name, ()) for name in _FIELD_SELECTORS.get(field, ())):
                continue
            total = sum(sources.values())
            later = {s: n for s, n in sources.items() if s.startswith(_LATER_LAYERS)}
            if total >= self.min_warning_items and later and sum(later.values()) > share * total:
                top = max(later, key=later.get)
                drifted.append((field, top, sum(later.values()), total))
        return drifted

    def judge_drift(self, report: dict) -> None:
        """Layout drift: problems with exit status 0 (see the module docstring)."""
        fallback = report["list_fallback"]
        cms = getattr(self.crawler.spider, "cms", "") or "family"
        if fallback["pages"]:
            report_problem(self.stats, "list_layout_drift",
                           f"list layout drift: the {cms} list selectors found no article links on "
                           f"{fallback['pages']} list page(s) (e.g. {fallback.get('example')}); "
                           f"{fallback['links']} links were taken by URL shape from the pages' main content",
                           exitcodes.OK)
        elif fallback.get("empty_first_pages") and report["article_links_found"]:
            report_problem(self.stats, "list_layout_drift",
                           f"list layout drift: {fallback['empty_first_pages']} first list page(s) showed no "
                           f"article link at all; articles came from feeds or sitemaps only", exitcodes.OK)
        drifted = self.drifted_fields(report)
        if drifted:
            fields = ", ".join(f"{field} from {layer} on {later / total:.0%} ({later} of {total})"
                               for field, layer, later, total in drifted)
            report_problem(self.stats, "article_layout_drift",
                           f"article layout drift: {fields} of the records: the {cms} selectors no longer "
                           f"find them (a skin changed?)", exitcodes.OK)

    def judge(self, report: dict) -> None:
        """Ask for a failing exit status when a human must look (see the module docstring)."""
        if report["finish_reason"] == "start_error":
            report_problem(self.stats, "start_error", "the crawl could not start: the spider's start failed "
                           "(the error above, 'Error while reading start items and requests', says why)",
                           exitcodes.ERROR)
            return
        if report["finish_reason"] != "finished":
            return  # stopped early (Ctrl-C, SIGTERM, a closespider limit): counts are partial
        self.judge_drift(report)
        seen = report["article_links_found"] + report["new"] + report["updated"] + report["duplicate"]
        should_find = self.expect_articles and getattr(self.crawler.spider, "expects_articles", True)
        cluster = bool(self.crawler.settings.get("REDIS_URL"))
        # A cluster worker that joined after its peers had taken every list page has seen no
        # list at all: nothing for it to judge (its peers' reports speak for the site).
        if cluster and report["list_pages"] == 0:
            should_find = False
        if should_find and seen == 0:
            self.judge_empty_lists(report)
        articles = report.get("articles")
        if articles is not None:
            self.judge_articles(articles, cluster)
        share, recorded = report["extraction_warnings"]["share"], report["new"] + report["updated"]
        # A handful of articles says little (one photo story without text is 1 in 3), unless
        # every one of them came out broken.
        enough = recorded >= self.min_warning_items or (recorded >= 2 and share == 1.0)
        if enough and share > self.max_warning_share:
            report_problem(self.stats, "extraction_warnings",
                           f"{share:.0%} of recorded articles have extraction warnings "
                           f"(limit {self.max_warning_share:.0%}): the article layout may have changed",
                           exitcodes.EXTRACTION_WARNINGS)

    def judge_empty_lists(self, report: dict) -> None:
        """No article on any list page: say why, and blame the layout only when a list was read."""
        list_faults = {k: v for k, v in report["list_faults"].items() if k != "example"}
        forbidden = self.stats.get_value("newsbot/list_pages_forbidden_by_robots", 0)
        faults = ", ".join(f"{kind} {n}" for kind, n in list_faults.items())
        example = self.stats.get_value(f"{LIST_FAULT_PREFIX}/example")
        already = {cause for cause in ("unreachable", "robots_blocked")
                   if self.stats.get_value(PROBLEM_STAT_PREFIX + cause) is not None}
        if already:
            return  # the robots.txt middleware said why (an unreadable robots.txt disallows all)
        if report["list_pages"] == 0 and forbidden:
            report_problem(self.stats, "robots_blocked",
                           f"blocked by robots.txt: it forbids the list pages ({forbidden} refused), nothing was "
                           f"crawled; the outlet's robots.txt must allow them", exitcodes.ROBOTS_BLOCKED)
        elif report["list_pages"] == 0 and list_faults and all(_unreachable_kind(k) for k in list_faults):
            report_problem(self.stats, "unreachable",
                           f"site unreachable: every list page failed ({faults}), e.g. {example}",
                           exitcodes.UNREACHABLE)
        else:
            detail = f" (list pages: {faults}; e.g. {example})" if list_faults else ""
            report_problem(self.stats, "no_articles",
                           f"no articles found: the list layout or the site may have changed{detail}",
                           exitcodes.NO_ARTICLES)

    def judge_articles(self, articles: dict, cluster: bool) -> None:
        """Articles fetched but none recorded; articles the run lost track of."""
        failed = sum(articles["failed"].values())
        # 404/410: the outlet's own answer that an article is gone (a deleted post), no failure of ours
        failing = sum(n for reason, n in articles["failed"].items() if reason not in _GONE_REASONS)
        recorded = articles["new"] + articles["updated"] + articles["duplicate"]
        if failing and recorded == 0 and failed + articles["not_an_article"] >= 2:
            reasons = ", ".join(f"{kind} {n}" for kind, n in articles["failed"].items())
            report_problem(self.stats, "nothing_recorded",
                           f"articles were found but none recorded: {failed} failed ({reasons})",
                           exitcodes.NOTHING_RECORDED)
        # In a cluster another worker may settle what this one listed: only its own sums are checked.
        lost = 0 if cluster else articles["pending"]
        if lost or not articles["adds_up"]:
            sample = " ".join(article_accounts(self.crawler).pending_sample())
            report_problem(self.stats, "articles_unaccounted",
                           f"{lost} article(s) seen have no outcome (e.g. {sample}) or the counts do not add up: "
                           f"newsbot lost track of them (a bug: please report it with this log)", exitcodes.ERROR)

    def collect_problems(self, report: dict) -> None:
        """Every problem a component (or :meth:`judge`) reported, the primary cause first, and
        the exit status they ask (the primary cause's)."""
        report["problems"] = exitcodes.problems(self.stats)
        report["exit_status"] = self.stats.get_value(EXIT_STATUS_STAT, 0)

    def summary_lines(self, report: dict) -> list[str]:
        warnings = report["extraction_warnings"]
        fields = ", ".join(f"{k} {v}" for k, v in warnings["by_field"].items()) or "none"
        scope = report["mode"] + (f" {report['since'] or '…'}..{report['until'] or '…'}" if report["mode"] == "backfill" else "")
        lines = [
            f"Crawl report for {report['site']} ({scope}, {report['finish_reason']}, {report['duration_seconds']:.1f} s):",
            f"  articles: {report['new']} new, {report['updated']} updated, {report['duplicate']} duplicate, "
            f"{report['failed']} failed, {report['skipped_out_of_range']} out of range, "
            f"{report['skipped_already_recorded']} already recorded",
            f"  extraction warnings: {warnings['items']} article(s) ({warnings['share']:.0%}); by field: {fields}",
            f"  pages: {report['list_pages']} list, {report['pages_fetched']} fetched "
            f"({report['pages_per_minute']:.0f}/min); {report['bytes_archived']:,} bytes archived",
        ]
        lines += requisites_lines(report["requisites"])
        articles = report.get("articles")
        if articles is not None:
            failed = ", ".join(f"{kind} {n}" for kind, n in articles["failed"].items()) or "none"
            lines.append(
                f"  accounted for: {articles['seen']} seen = {articles['new']} new + {articles['updated']} updated + "
                f"{articles['duplicate']} duplicate + {articles['already_recorded']} already recorded + "
                f"{articles['out_of_range']} out of range + {articles['not_an_article']} not an article + "
                f"{sum(articles['failed'].values())} failed ({failed}) + {articles['pending']} pending"
                + ("" if articles["adds_up"] else "  DOES NOT ADD UP"))
        if report["faults"]:
            listed = {k: v for k, v in report["list_faults"].items() if k != "example"}
            lines.append("  faults: " + ", ".join(f"{kind} {n}" for kind, n in report["faults"].items())
                         + (" (on list pages: " + ", ".join(f"{k} {v}" for k, v in listed.items()) + ")"
                            if listed else ""))
        if report["list_walks"]:
            lines.append("  list walks ended: " + ", ".join(f"{why} {n}" for why, n in report["list_walks"].items()))
        lines += self.reach_lines(report)
        lines += [f"  PROBLEM: {problem['message']} (exit status {problem['exit_status']})"
                  for problem in report["problems"]]
        lines += manifest_summary(report)
        if self.path:
            lines.append(f"  report: {self.path}")
        return lines

    @staticmethod
    def reach_lines(report: dict) -> list[str]:
        later = []
        for field, sources in report["provenance"].items():
            total = sum(sources.values())
            found = [f"{source} {count}" for source, count in sources.items() if source.startswith(_LATER_LAYERS)]
            if found:
                later.append(f"{field} ({', '.join(found)} of {total})")
        lines = []
        if report["provenance"]:
            lines.append("  fields from later layers: " + ("; ".join(later) if later else "none (all from the selectors)"))
        discovery = report["discovery"]
        found = {k[: -len("_articles_found")]: v for k, v in discovery.items() if k.endswith("_articles_found")}
        if found or discovery.get("url_shape"):
            lines.append("  discovery: articles found by " + (", ".join(f"{k} {v}" for k, v in found.items()) or "none")
                         + (f"; article URL shape {discovery['url_shape']}" if discovery.get("url_shape") else ""))
        fallback = report["list_fallback"]
        if fallback["pages"]:
            lines.append(f"  list fallback: {fallback['pages']} list page(s), {fallback['links']} links "
                         f"(e.g. {fallback.get('example')})")
        return lines

    def write(self, report: dict) -> None:
        directory = site_dir(self.crawler.settings, report["site"], "reports")
        adopt_unfinished(directory, ".json", "report", repair_report)   # a killed run's, if whole
        file = OutputFile(directory, report["site"], ".json", "report", tag=file_tag(self.crawler.settings))
        try:
            file.write((json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        except OSError:
            file.discard()   # no empty or partial report for a reader to trip over
            raise
        self.path = file.finish().path   # appears under its name only now, whole

    def spider_closed(self, spider, reason: str) -> None:
        report = self.report = self.build(spider, reason)
        report.update(run_manifest(self.crawler).report_fields())   # run_id, files, adopted_files
        self.judge(report)
        self.collect_problems(report)
        # Last, so the problems and exit status judged above are in it too.
        report["stats"] = stats_snapshot(self.stats.get_stats())
        try:
            self.write(report)
        except OSError as exc:  # a full disk must not hide the summary, nor leave the exit status 0
            from newsbot.faults.storage import closing_write_failed

            closing_write_failed(self.crawler, "the crawl report (the summary below is all there is)", exc)
            self.collect_problems(report)
        log = logger.warning if report["problems"] else logger.info
        log("\n".join(self.summary_lines(report)))


def manifest_summary(report: dict) -> list[str]:
    """The summary's line about the run's id and the files it finished."""
    if "run_id" not in report:
        return []
    kinds: dict[str, list[int]] = {}
    for entry in report["files"]:
        count = kinds.setdefault(entry["kind"], [0, 0])
        count[0] += 1
        count[1] += entry["records"]
    files = ", ".join(f"{n} {kind} ({records:,} records)" for kind, (n, records) in kinds.items()) or "none"
    adopted = f"; finished {len(report['adopted_files'])} left by a killed run" if report["adopted_files"] else ""
    return [f"  run {report['run_id']}: files {files}{adopted}"]


def repair_report(fd: int, path) -> int:
    """A report a killed run left being written: kept if it is whole JSON, else removed."""
    try:
        json.loads(os.pread(fd, os.fstat(fd).st_size, 0).decode("utf-8"))
    except ValueError:
        os.ftruncate(fd, 0)
        return 0
    return 1
