"""The crawl report: a summary and a JSON file at the end of a run, and the exit status a
scheduler sees.  (Progress lines during the run: :mod:`newsbot.extensions.progress`.)

At the end of every run (``spider_closed``) the report is logged as a short human
summary and written to ``OUTPUT_DIR/<site>/reports/<site>-<UTC>-<serial>.json`` (as
``….json.open`` first, renamed when whole).  Every number comes from the crawl's stats
(``newsbot/*`` and Scrapy's own), so the report says what the components counted, nothing
estimated.  It also carries the run's id and manifest (:mod:`newsbot.extensions.manifest`).

A scheduled run's only voice is its exit status, so the report asks for a failing one
(:func:`newsbot.exitcodes.request_exit_status`) when a human must look:

* ``4`` (``exitcodes.NO_ARTICLES``): the run finished, yet list pages showed no article at all
  and no article was fetched: the layout changed, the site moved, or robots.txt shut us out;
* ``5`` (``exitcodes.EXTRACTION_WARNINGS``): more than ``NEWSBOT_MAX_WARNING_SHARE`` of the articles
  recorded had extraction warnings (judged from ``NEWSBOT_WARNING_MIN_ITEMS`` articles
  on, or at once when every one of two or more has them): selectors no longer match.
"""

from __future__ import annotations

import json
import logging
import os

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsbot import exitcodes
from newsbot.exitcodes import EXIT_STATUS_STAT, PROBLEM_STAT_PREFIX, report_problem
from newsbot.extensions.manifest import run_manifest
from newsbot.output import file_tag, site_dir, site_of
from newsbot.outputfile import OutputFile, adopt_unfinished

logger = logging.getLogger(__name__)

_WARNING_PREFIX = "newsbot/extraction_warnings/"


def _seconds(start, end) -> float:
    return max((end - start).total_seconds(), 0.0) if start and end else 0.0


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
        return {
            "new": get("newsbot/items_new", 0),
            "updated": get("newsbot/items_updated", 0),
            "duplicate": get("newsbot/items_duplicate", 0),
            "failed": get("newsbot/articles_failed", 0),
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
        with_warnings = get("newsbot/items_with_extraction_warnings", 0)
        by_field = {
            key[len(_WARNING_PREFIX):]: value
            for key, value in sorted(self.stats.get_stats().items()) if key.startswith(_WARNING_PREFIX)
        }
        pages = get("response_received_count", 0)
        since, until = getattr(spider, "since", None), getattr(spider, "until", None)
        if getattr(spider, "article_urls", None):
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
            "problems": [],
            "exit_status": 0,
        }

    def judge(self, report: dict) -> None:
        """Ask for a failing exit status when a human must look (see the module docstring)."""
        if report["finish_reason"] != "finished":
            return  # stopped early (Ctrl-C, SIGTERM, a closespider limit): counts are partial
        seen = report["article_links_found"] + report["new"] + report["updated"] + report["duplicate"]
        should_find = self.expect_articles and getattr(self.crawler.spider, "expects_articles", True)
        # A cluster worker that joined after its peers had taken every list page has seen no
        # list at all: nothing for it to judge (its peers' reports speak for the site).
        if self.crawler.settings.get("REDIS_URL") and report["list_pages"] == 0:
            should_find = False
        if should_find and seen == 0:
            report_problem(self.stats, "no_articles", "no articles found: the list layout or the site may have changed",
                           exitcodes.NO_ARTICLES)
        share, recorded = report["extraction_warnings"]["share"], report["new"] + report["updated"]
        # A handful of articles says little (one photo story without text is 1 in 3), unless
        # every one of them came out broken.
        enough = recorded >= self.min_warning_items or (recorded >= 2 and share == 1.0)
        if enough and share > self.max_warning_share:
            report_problem(self.stats, "extraction_warnings",
                           f"{share:.0%} of recorded articles have extraction warnings "
                           f"(limit {self.max_warning_share:.0%}): the article layout may have changed",
                           exitcodes.EXTRACTION_WARNINGS)

    def collect_problems(self, report: dict) -> None:
        """Every problem a component (or :meth:`judge`) reported, and the exit status they ask."""
        for key, value in sorted(self.stats.get_stats().items()):
            if key.startswith(PROBLEM_STAT_PREFIX):
                report["problems"].append({"cause": key[len(PROBLEM_STAT_PREFIX):], **value})
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
        lines += [f"  PROBLEM: {problem['message']} (exit status {problem['exit_status']})"
                  for problem in report["problems"]]
        lines += manifest_summary(report)
        if self.path:
            lines.append(f"  report: {self.path}")
        return lines

    def write(self, report: dict) -> None:
        directory = site_dir(self.crawler.settings, report["site"], "reports")
        adopt_unfinished(directory, ".json", "report", repair_report)   # a killed run's, if whole
        file = OutputFile(directory, report["site"], ".json", "report", tag=file_tag(self.crawler.settings))
        self.path = file.path
        try:
            file.write((json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        except OSError:
            file.discard()
            raise
        file.finish()   # appears under its name only now, whole

    def spider_closed(self, spider, reason: str) -> None:
        report = self.report = self.build(spider, reason)
        report.update(run_manifest(self.crawler).report_fields())   # run_id, files, adopted_files
        self.judge(report)
        self.collect_problems(report)
        try:
            self.write(report)
        except OSError as exc:  # a full disk must not hide the summary
            logger.error("Could not write the crawl report: %s", exc)
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
