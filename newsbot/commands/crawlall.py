"""``scrapy crawlall``: many registry outlets in one process, one combined report.

    scrapy crawlall                          # every verified outlet of the registry
    scrapy crawlall --region 경상남도         # one 시·도 (or 경남; "경기도 파주시" for one 시·군·구)
    scrapy crawlall --cms ndsoft --region 제주
    scrapy crawlall --sites idomin,kado      # these (unverified ones too, when named)
    scrapy crawlall --shard 2/4              # the 2nd of 4 shares: one machine of four
    scrapy crawlall --registry my.toml       # the outlets of another registry file

Each outlet runs as its own Scrapy crawler in this process's reactor: its own settings,
stats, state store, politeness (robots.txt, per-host concurrency, AutoThrottle), WARC,
JSON Lines and crawl report, exactly as ``scrapy crawl <site>`` would write them.  At most
``CRAWLALL_CONCURRENT_OUTLETS`` (``--concurrent-outlets``) run at once; the next starts
when one finishes, so memory follows that bound, not the number of outlets.  Before each
outlet starts, the crawl command's own preflight runs for it (the checks ``scrapy crawl``
makes, and whatever it gains, e.g. a per-site run lock).

At the end one combined report (``OUTPUT_DIR/_crawlall/crawlall-<UTC>-<serial>.json``:
per outlet new, updated, failed, problems, exit status and its cause) and an exit status:
0 when every outlet's crawl exited 0, else ``exitcodes.SOME_OUTLETS_FAILED`` (11); usage
errors (a bad selection, option or setting) are one ``newsbot: error:`` line, exit 2,
before anything runs.  docs/scheduling.md documents the report.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from datetime import datetime, timezone
from pathlib import Path

from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from newsbot import exitcodes, registry
from newsbot.commands.crawl import Command as CrawlCommand
from newsbot.commands.crawl import check_output_dir, check_replay_source, refuse_stray_options
from newsbot.exitcodes import EXIT_STATUS_STAT
from newsbot.outputfile import OutputFile

logger = logging.getLogger(__name__)

#: spider arguments that mean the same for every outlet; the others name one outlet's pages
SHARED_SPIDER_ARGUMENTS = ("max_pages", "since", "until")
#: the folder of the combined reports under OUTPUT_DIR ("_" can start no site id)
REPORTS_FOLDER = "_crawlall"


# -- the selection options, shared with `scrapy outlets` ----------------------------------
def add_selection_options(parser) -> None:
    group = parser.add_argument_group("Which outlets (default: every verified outlet of the registry)")
    group.add_argument("--all", action="store_true", help="every verified outlet (the default)")
    group.add_argument("--region", action="append", default=[], metavar="시·도",
                       help="outlets of this 시·도 (경상남도, 경남), or of one 시·군·구 (\"경기도 파주시\") "
                            "and its 시·도's province-wide ones; may be repeated")
    group.add_argument("--cms", action="append", default=[], metavar="CMS",
                       help="outlets on this CMS (ndsoft, mcode, breaknews, ncode, gnuboard, generic); may be repeated")
    group.add_argument("--sites", action="append", default=[], metavar="A,B",
                       help="these outlets (unverified ones too, when named)")
    group.add_argument("--include-unverified", action="store_true",
                       help="also outlets whose host or CMS is not confirmed (those with a host)")
    group.add_argument("--shard", metavar="K/N", help="only the K-th of N stable shares of the selection (1-based)")
    group.add_argument("--registry", metavar="FILE", help="a registry file instead of the one newsbot ships")


def selection_from_options(opts) -> registry.Selection:
    sites = tuple(s.strip() for value in opts.sites for s in value.split(",") if s.strip())
    shard = None
    if opts.shard:
        try:
            k, n = (int(part) for part in opts.shard.split("/"))
        except ValueError:
            raise UsageError(f"--shard {opts.shard!r}: K/N with whole numbers, e.g. 2/4") from None
        if not 1 <= k <= n:
            raise UsageError(f"--shard {opts.shard!r}: K must be between 1 and N")
        shard = (k, n)
    return registry.Selection(sites=sites, regions=tuple(opts.region), cms=tuple(opts.cms),
                              include_unverified=opts.include_unverified, shard=shard)


def registry_outlets(opts) -> tuple[list[registry.Outlet], str]:
    """The registry to select from (the packaged one, or ``--registry FILE`` checked whole)."""
    if not opts.registry:
        return registry.load(), f"newsbot/data/{registry.REGISTRY_FILE}"
    try:
        outlets = registry.load(opts.registry)
    except registry.RegistryError as exc:
        raise UsageError(f"--registry {exc}") from None
    problems = registry.validate(outlets)
    if problems:
        more = f" (and {len(problems) - 1} more: scrapy outlets --check --registry {opts.registry})" if len(problems) > 1 else ""
        raise UsageError(f"--registry {opts.registry}: {problems[0]}{more}")
    return outlets, str(opts.registry)


def select_outlets(outlets, selection: registry.Selection) -> list[registry.Outlet]:
    try:
        return registry.select(outlets, selection)
    except registry.SelectionError as exc:
        raise UsageError(str(exc)) from None


# -- one outlet's result -------------------------------------------------------------------
def outlet_result(outlet: registry.Outlet, report: dict | None, status: int, cause: str | None,
                  message: str | None = None, report_path: str | None = None) -> dict:
    report = report or {}
    problems = list(report.get("problems") or [])
    if message and not any(p.get("cause") == cause for p in problems):
        problems.append({"cause": cause, "message": message, "exit_status": status})
    if status and not cause:
        worst = min(problems, key=lambda p: exitcodes.precedence(p.get("exit_status", 0)), default=None)
        cause = worst["cause"] if worst else "exit_status"
    return {
        "site": outlet.site,
        "outlet": outlet.name,
        "cms": outlet.cms,
        "home_region": outlet.home_region or None,
        "base_url": outlet.base_url or None,
        "exit_status": status,
        "exit_cause": cause if status else "ok",
        "finish_reason": report.get("finish_reason"),
        "new": report.get("new", 0),
        "updated": report.get("updated", 0),
        "duplicate": report.get("duplicate", 0),
        "failed": report.get("failed", 0),
        "pages_fetched": report.get("pages_fetched", 0),
        "duration_seconds": report.get("duration_seconds", 0.0),
        "problems": problems,
        "report": report_path,
    }


class OutletQueue:
    """Starts each outlet's crawl in the running process, at most ``limit`` at once, the
    next one as soon as one finishes; keeps only each finished outlet's result (a dict),
    never its crawler, so memory does not grow with the number of outlets."""

    def __init__(self, command, jobs, spider_arguments: dict, limit: int):
        self.command = command
        self.process = command.crawler_process
        self.pending = deque(jobs)            # (outlet, spider class)
        self.arguments = spider_arguments
        self.limit = max(1, limit)
        self.running = 0
        self.results: dict[str, dict] = {}
        self.stopping = False                 # a shutdown (SIGTERM, Ctrl-C): start nothing more

    def start_more(self) -> None:
        while self.pending and self.running < self.limit and not self.stopping:
            outlet, spidercls = self.pending.popleft()
            self.start(outlet, spidercls)

    def start(self, outlet, spidercls) -> None:
        try:
            self.command.preflight(outlet.site)  # the crawl command's own checks, per outlet
        except UsageError as exc:
            status = getattr(exc, "exit_status", exitcodes.USAGE)
            logger.error("Outlet %s not started: %s", outlet.site, exc)
            self.results[outlet.site] = outlet_result(outlet, None, status, "preflight", str(exc))
            return
        try:
            crawler = self.process.create_crawler(spidercls)
            jobdir = crawler.settings.get("JOBDIR")
            if jobdir:  # one JOBDIR per outlet: Scrapy's queue on disk belongs to one crawl
                # Above "cmdline": crawl() merges the process's settings into the crawler's
                # again, and an equal priority would put the shared -s JOBDIR back.
                crawler.settings.set("JOBDIR", str(Path(jobdir) / outlet.site),
                                     priority=SETTINGS_PRIORITIES["cmdline"] + 1)
            crawling = self.process.crawl(crawler, **self.arguments)
        except UsageError as exc:  # e.g. a spider's settings asking for a browser that is not there
            logger.error("Outlet %s not started: %s", outlet.site, exc)
            self.results[outlet.site] = outlet_result(outlet, None, exitcodes.USAGE, "usage", str(exc))
            return
        except Exception as exc:  # one outlet's crawler that cannot be made must not stop the others
            logger.exception("Outlet %s not started", outlet.site)
            self.results[outlet.site] = outlet_result(outlet, None, exitcodes.ERROR, "error", repr(exc))
            return
        self.running += 1
        logger.info("Outlet %s (%s, %s): starting (%d running, %d waiting)", outlet.site, outlet.name,
                    outlet.cms, self.running, len(self.pending))
        if hasattr(crawling, "addBoth"):  # a Deferred (Twisted reactor without asyncio)
            crawling.addBoth(lambda value: self.finished(outlet, crawler, value))
        else:  # an asyncio Task
            crawling.add_done_callback(lambda task: self.finished(
                outlet, crawler, None if task.cancelled() else task.exception()))

    def finished(self, outlet, crawler, error) -> None:
        from twisted.python.failure import Failure

        if isinstance(error, Failure):
            error = error.value
        self.running -= 1
        try:
            self.results[outlet.site] = self.result_of(outlet, crawler, error)
        except Exception:  # the bookkeeping of one outlet must not stop the others
            logger.exception("Outlet %s: could not read its result", outlet.site)
            self.results[outlet.site] = outlet_result(outlet, None, exitcodes.ERROR, "error", "result unreadable")
        if self.results[outlet.site].get("finish_reason") == "shutdown":
            self.stopping = True
        self.start_more()
        return None

    @staticmethod
    def result_of(outlet, crawler, error) -> dict:
        from newsbot.extensions.report import CrawlReport

        if isinstance(error, UsageError):
            logger.error("Outlet %s: %s", outlet.site, error)
            return outlet_result(outlet, None, exitcodes.USAGE, "usage", str(error))
        if isinstance(error, exitcodes.RunRefused):   # locked, state store unusable, no room
            logger.error("Outlet %s not started: %s", outlet.site, error)
            return outlet_result(outlet, None, error.exit_status, "refused", str(error))
        if isinstance(error, BaseException):
            logger.error("Outlet %s: the crawl failed: %r", outlet.site, error)
            return outlet_result(outlet, None, exitcodes.ERROR, "error", repr(error))
        if getattr(crawler, "spider", None) is None:
            return outlet_result(outlet, None, exitcodes.ERROR, "error", "the crawl could not start")
        extension = crawler.get_extension(CrawlReport)
        report = extension.report if extension is not None else None
        try:
            status = crawler.stats.get_value(EXIT_STATUS_STAT, 0) or 0
        except RuntimeError:
            status = exitcodes.ERROR
        if report is not None:
            status = exitcodes.primary_status(status, report.get("exit_status", 0) or 0)
        path = str(extension.path) if extension is not None and extension.path else None
        return outlet_result(outlet, report, status, None, report_path=path)


class Command(CrawlCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[--region 시·도] [--cms CMS] [--sites A,B] [--shard K/N] [--registry FILE] [-a NAME=VALUE] [options]"

    def short_desc(self) -> str:
        return "Crawl many registry outlets in one process, each as if alone, with one combined report"

    def long_desc(self) -> str:
        return ("Crawls a selection of the outlet registry (default: every verified outlet) in one process, "
                "each outlet as its own crawler with its own politeness, state, WARC, JSON Lines and report, "
                "at most CRAWLALL_CONCURRENT_OUTLETS at once; writes one combined report under "
                "OUTPUT_DIR/_crawlall/ and exits 11 when any outlet needs attention. See docs/scheduling.md.")

    def add_options(self, parser) -> None:
        super().add_options(parser)
        add_selection_options(parser)
        parser.add_argument("--concurrent-outlets", type=int, metavar="N",
                            help="outlets crawled at once (default: setting CRAWLALL_CONCURRENT_OUTLETS)")

    def run(self, args, opts) -> None:
        started = datetime.now(timezone.utc)
        clock = time.monotonic()
        try:
            jobs, source, selection, skipped = self.plan(args, opts)
        except UsageError as exc:
            return self.usage_failed(str(exc))
        limit = opts.concurrent_outlets or self.settings.getint("CRAWLALL_CONCURRENT_OUTLETS", 8)
        for outlet, reason in skipped:
            logger.info("Outlet %s skipped: %s", outlet.site, reason)
        queue = OutletQueue(self, jobs, opts.spargs, limit)
        self.preflight_known = {outlet.site for outlet, _ in jobs}
        logger.info("crawlall: %d outlet(s) from %s, %d at once", len(jobs), source, queue.limit)
        queue.start_more()
        if queue.running:
            self.crawler_process.start()
        outlets = [outlet for outlet, _ in jobs]
        results = [queue.results.get(o.site) or outlet_result(o, None, exitcodes.SOME_OUTLETS_FAILED, "not_started",
                                                              "not started: the run was stopped first")
                   for o in outlets]
        combined = self.combined_report(results, source, selection, started, time.monotonic() - clock, queue.limit)
        path = self.write_report(combined)
        self.log_summary(combined, path)
        self.exitcode = combined["exit_status"]

    # -- before anything runs ----------------------------------------------------------
    def plan(self, args, opts):
        refuse_stray_options(args)
        if args:
            raise UsageError(f"crawlall takes no spider names ({' '.join(args)}): use --sites {','.join(args)}")
        if opts.output or opts.overwrite_output:
            raise UsageError("-o/-O: crawlall writes each outlet's JSON Lines under OUTPUT_DIR/<site>/ (no shared feed)")
        if opts.concurrent_outlets is not None and opts.concurrent_outlets < 1:
            raise UsageError(f"--concurrent-outlets {opts.concurrent_outlets}: at least 1")
        self.check_spider_arguments(opts.spargs)
        selection = selection_from_options(opts)
        outlets, source = registry_outlets(opts)
        chosen = select_outlets(outlets, selection)
        jobs, skipped = [], []
        for outlet in chosen:
            problems = registry.outlet_problems(outlet)  # the packaged registry's spiders skip such entries
            spidercls = None if problems else self.spider_for(outlet, from_file=bool(opts.registry))
            if spidercls is None:
                reason = (f"its registry entry has problems ({'; '.join(problems)})" if problems
                          else f"no spider for CMS {outlet.cms!r} yet")
                if outlet.site in selection.sites:
                    raise UsageError(f"--sites {outlet.site}: {reason}")
                skipped.append((outlet, reason))
            elif not outlet.base_url:
                raise UsageError(f"--sites {outlet.site}: no confirmed host in the registry "
                                 f"(crawl it alone: scrapy crawl {outlet.site} -a base_url=URL)")
            else:
                jobs.append((outlet, spidercls))
        if not jobs:
            raise UsageError(f"no outlet selected ({json.dumps(selection.describe(), ensure_ascii=False)})")
        self.check_settings()
        return jobs, source, selection, skipped

    def check_spider_arguments(self, spargs: dict) -> None:
        other = sorted(set(spargs) - set(SHARED_SPIDER_ARGUMENTS))
        if other:
            raise UsageError(f"-a {', '.join(other)}: not for crawlall, which gives every outlet the same "
                             f"arguments (allowed: {', '.join(SHARED_SPIDER_ARGUMENTS)})")
        from newsbot.spiders.walk import backfill_range

        if "max_pages" in spargs:
            try:
                int(spargs["max_pages"])
            except ValueError:
                raise UsageError(f"-a max_pages: not a whole number: {spargs['max_pages']!r}") from None
        backfill_range(spargs.get("since"), spargs.get("until"))

    def check_settings(self) -> None:
        """The run-wide part of the crawl command's preflight, once, before any outlet."""
        if self.settings.get("REPLAY_WARC"):
            check_replay_source(self.settings.get("REPLAY_WARC"))
        check_output_dir(self.settings.get("OUTPUT_DIR") or "output")
        from newsbot.warc.requisites import requisites_mode

        requisites_mode(self.settings)   # REQUISITES names a known mode
        if self.settings.get("REDIS_URL"):
            from newsbot.distributed import check_cluster_settings

            check_cluster_settings(self.settings)

    def spider_for(self, outlet: registry.Outlet, from_file: bool):
        """The packaged registry's outlets are the project's spiders (a hand-written class
        wins over an entry); a ``--registry`` file's are built from its entries."""
        if from_file:
            return registry.spider_class(outlet, module=__name__)
        loader = self.crawler_process.spider_loader
        return loader.load(outlet.site) if outlet.site in loader.list() else None

    def check_spider_name(self, spider_name: str) -> None:
        # crawl's preflight asks the spider loader; a --registry file's outlets are not there
        if spider_name not in getattr(self, "preflight_known", ()):
            super().check_spider_name(spider_name)

    # -- after the last outlet ----------------------------------------------------------
    def combined_report(self, results, source, selection, started, seconds, limit) -> dict:
        attention = [r["site"] for r in results if r["exit_status"]]
        return {
            "command": "crawlall",
            "registry": source,
            "selection": selection.describe(),
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "duration_seconds": round(seconds, 3),
            "concurrent_outlets": limit,
            "outlets_selected": len(results),
            "outlets_ok": len(results) - len(attention),
            "needs_attention": attention,
            "totals": {key: sum(r[key] for r in results) for key in ("new", "updated", "duplicate", "failed")},
            "exit_status": exitcodes.SOME_OUTLETS_FAILED if attention else exitcodes.OK,
            "outlets": results,
        }

    def write_report(self, combined: dict) -> Path | None:
        folder = Path(self.settings.get("OUTPUT_DIR") or "output") / REPORTS_FOLDER
        try:
            # written as <name>.json.open and renamed when whole, as every output file (docs/records.md)
            file = OutputFile(folder, "crawlall", ".json", "report")
            try:
                file.write((json.dumps(combined, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
            except OSError:
                file.discard()
                raise
            path = file.finish().path
        except OSError as exc:  # a full disk must not hide the summary below
            logger.error("Could not write the combined crawlall report: %s", exc)
            return None
        return path

    @staticmethod
    def log_summary(combined: dict, path) -> None:
        totals = combined["totals"]
        lines = [
            f"crawlall report: {combined['outlets_selected']} outlet(s), {combined['outlets_ok']} ok, "
            f"{len(combined['needs_attention'])} need attention ({combined['duration_seconds']:.1f} s)",
            f"  articles: {totals['new']} new, {totals['updated']} updated, {totals['duplicate']} duplicate, "
            f"{totals['failed']} failed",
        ]
        for result in combined["outlets"]:
            if result["exit_status"]:
                message = next((p["message"] for p in result["problems"] if p.get("cause") == result["exit_cause"]),
                               result["exit_cause"])
                lines.append(f"  NEEDS ATTENTION: {result['site']} ({result['outlet']}): {message} "
                             f"(exit status {result['exit_status']})")
        if path:
            lines.append(f"  report: {path}")
        (logger.warning if combined["needs_attention"] else logger.info)("\n".join(lines))
