"""``scrapy reparse <site> PATH [PATH...]``: JSON Lines again from archived responses.

"We fixed a selector; now fix the last three years of records."  The spider runs exactly
as in a live crawl (same callbacks, same pipelines), but every request is answered from
the WARCs (the ``REPLAY_WARC`` handler and :class:`~newsbot.warc.reader.ArchiveIndex`,
the one archive-reading path), and nothing is fetched or archived again:

* its start requests are the archived URLs the spider recognizes as articles
  (its CMS's ``urls.is_article``), the first spelling archived for each canonical URL;
* ``WARC_ENABLED=0``: records keep pointing at the source archive's response records;
* dedupe runs against an empty state in a temporary file (removed at the end), so
  articles already recorded are emitted again (the site's ``state.sqlite3`` is neither
  read nor changed);
* robots.txt is not consulted (it was, when the pages were captured).

Output: a new ``OUTPUT_DIR/<site>/jsonl/`` file, as a crawl writes.  For a URL archived
several times, the latest capture is the one re-parsed.

``--processes N`` (default: one per usable CPU, at most one per 200 articles) spreads the
work: this process forks N children (they inherit its imports and its parsed options),
reads the archive once into an index file, splits the article URLs into N shards (one
canonical URL, so one article, in exactly one shard), and each child re-parses its shard
with the same spider, settings (``-s``) and arguments (``-a``) into its own JSON Lines
file, as ``scrapy reparse --processes 1`` would; they share the latest view
(SQLite, WAL), re-exported once they are all done.  The exit status is the worst
child's; a child that fails is named in one line; Ctrl-C or SIGTERM is passed on to every
child, which stops as a crawl does (``newsbot/commands/reparse_shards.py``).
``--processes 1`` re-parses in this process.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path

from scrapy import signals
from scrapy.commands import BaseRunSpiderCommand
from scrapy.exceptions import UsageError
from scrapy.logformatter import LogFormatter
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.misc import load_object

from newsbot.commands.crawl import check_output_dir, fail_usage
from newsbot import exitcodes
from newsbot.exitcodes import EXIT_STATUS_STAT
from newsbot.commands.reparse_shards import (Interrupted, ShardAssignment, ShardProcesses, default_processes,
                                             import_components, usable_cpus, wait_for_shard)
from newsbot.component import CrawlerComponent
from newsbot.state import SqliteStateStore
from newsbot.warc.reader import ArchiveError, ArchiveIndex, log_damage, warc_paths

logger = logging.getLogger(__name__)


class PacedStartMiddleware(CrawlerComponent):
    """Hands the engine the next start request only once the downloader can take it.

    Scrapy reads ``start()`` eagerly while the downloader is busy, so every archived
    article would sit in the scheduler as a ``Request`` at once (tens of MB for 50,000);
    paced, the scheduler holds a few and re-parse memory does not grow with the archive.
    The waiting is Scrapy's documented lazy-start pattern (``needs_backout`` +
    ``scheduler_empty``).
    """

    async def process_start(self, start):
        async for item_or_request in start:
            yield item_or_request
            if self.crawler.engine.needs_backout():
                await self.crawler.signals.wait_for(signals.scheduler_empty)


#: Components a re-parse does without (``None`` at command-line priority in every re-parse
#: process: not called for each article; docs/performance.md).  None of them can change a
#: record: the first six only shape the outgoing request (headers, cookies, credentials,
#: proxy, timeout), which the replay handler never reads and, with ``WARC_ENABLED=0``,
#: nothing archives (Referer stays: without it Scrapy's redirect middlewares warn on every
#: run); DownloaderStats counts request/response bytes (``downloader/*``, read by no report).
#: Everything that shapes a response stays: decompression, redirects (and meta refresh),
#: offsite, faults and charsets, HTTP errors, the browser middleware's counted skips.
REPLAY_IDLE_COMPONENTS = {
    "DOWNLOADER_MIDDLEWARES": (
        "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware",
        "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware",
        "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware",
        "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware",
        "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
        "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware",
        "scrapy.downloadermiddlewares.stats.DownloaderStats",
    ),
}
#: Components that disable themselves (NotConfigured) in a re-parse, whose WARC_ENABLED is
#: off: taken out of the component dict, not set to None (Scrapy imports every key of it,
#: None or not), so that a re-parse does not import the WARC writer's modules at all
#: (~0.15 s per process: cdxj-indexer and its dependencies).
REPLAY_WARC_COMPONENTS = {
    "DOWNLOADER_MIDDLEWARES": "newsbot.warc.capture.WarcCaptureMiddleware",
    "SPIDER_MIDDLEWARES": "newsbot.warc.metadata.WarcMetadataMiddleware",
}


class QuietLogFormatter(LogFormatter):
    """Scrapy's log formatter minus its two DEBUG lines per page ("Crawled", "Scraped from")
    when DEBUG is not logged.  Scrapy formats each of them and makes its log record before
    the handler drops it by level (~1.5 % of a re-parse); a formatter method that returns
    None is Scrapy's documented way to log nothing.  Set only above LOG_LEVEL=DEBUG."""

    def crawled(self, request, response, spider):
        return None

    def scraped(self, item, response, spider):
        return None


#: a no-op in a re-parse of a spider without browser pages (no request carries its meta, no
#: response its flag): out of the dict, so playwright and Scrapy's HTTP/1.1 handler (TLS,
#: cryptography) are not imported, ~0.2 s per process
BROWSER_MIDDLEWARE = "newsbot.browser.BrowserMiddleware"


def configure_replay(settings, locations: list[Path], spidercls) -> None:
    """What every re-parse process runs with (before its components are imported)."""
    for name, value in {"REPLAY_WARC": [str(p) for p in locations], "WARC_ENABLED": False,
                        "ROBOTSTXT_OBEY": False}.items():
        settings.set(name, value, priority="cmdline")
    for setting in REPLAY_IDLE_COMPONENTS.keys() | REPLAY_WARC_COMPONENTS.keys():
        components = settings.getdict(setting)
        # A component the user named in -s (enabled or not) is left as they said.
        for path in REPLAY_IDLE_COMPONENTS.get(setting, ()):
            components.setdefault(path, None)
        components.pop(REPLAY_WARC_COMPONENTS.get(setting), None)
        if setting == "DOWNLOADER_MIDDLEWARES" and not (spidercls.browser_pages or settings.getbool("BROWSER_ENABLED")):
            components.pop(BROWSER_MIDDLEWARE, None)
        if setting == "SPIDER_MIDDLEWARES":
            # Closest to the engine (Scrapy's own start middleware is 25): nothing buffers after it.
            components[f"{__name__}.{PacedStartMiddleware.__name__}"] = 10
        settings.set(setting, components, priority="cmdline")
    if load_object(settings.get("LOG_FORMATTER")) is LogFormatter and not _debug_logged(settings):
        settings.set("LOG_FORMATTER", f"{__name__}.{QuietLogFormatter.__name__}", priority="cmdline")


def _debug_logged(settings) -> bool:
    level = settings.get("LOG_LEVEL")
    if isinstance(level, str):
        level = int(level) if level.isdigit() else logging.getLevelName(level.upper())
    return not isinstance(level, int) or level <= logging.DEBUG   # unknown: as Scrapy logs it


def article_urls(index: ArchiveIndex, spidercls) -> list[str]:
    """Archived article URLs for ``spidercls``, archive order, one per canonical URL."""
    # the CMS's URL rules are class-level: usable before the spider exists
    rules = spidercls.urls
    seen, urls = set(), []
    for url in index.order:
        if not rules.is_article(url):
            continue
        key = rules.canonicalize(url)
        if key not in seen:
            seen.add(key)
            urls.append(url)
    return urls


class Command(BaseRunSpiderCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options] <spider> <warc file or folder> [...]"

    def short_desc(self) -> str:
        return "Regenerate JSON Lines from WARC archives with today's extractors (no network)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--processes", type=int, metavar="N",
                            help="re-parse in N processes, each a shard of the articles "
                                 "(default: one per usable CPU, at most one per 200 articles)")

    def process_options(self, args: list[str], opts) -> None:
        super().process_options(args, opts)
        if opts.processes is not None and opts.processes < 1:
            raise UsageError("--processes must be 1 or more")
        feeds = bool(self.settings.getdict("FEEDS"))
        if feeds and (opts.processes or 1) > 1:
            raise UsageError("-o/-O with --processes N > 1: every process would write the same file")
        self.most_processes = opts.processes or (1 if feeds else usable_cpus())
        self.shards: ShardProcesses | None = None    # in the parent of N > 1: its children
        self.shard: ShardAssignment | None = None    # in one of those children: what it re-parses
        self.usage_error: str | None = None
        try:
            spidercls = self.preflight(args)
        except UsageError as exc:
            self.usage_error = str(exc)   # said by run(), in one line, before anything starts
            return
        # Forked here, before Scrapy makes the crawler process (reactor, logging): see reparse_shards.
        if self.most_processes > 1:
            # What a shard's crawl imports, imported once here for the children to inherit.
            settings = self.settings.copy()
            configure_replay(settings, [Path(a) for a in args[1:]], spidercls)
            import_components(settings)
            started = ShardProcesses.start(self.most_processes, args[0])
            if isinstance(started, ShardAssignment):
                self.shard = started
            else:
                self.shards = started

    def preflight(self, args: list[str]):
        """What can be checked before any process starts or anything is written; the spider class."""
        if len(args) < 2:
            raise UsageError("usage: scrapy reparse <spider> <warc file or folder> [...]")
        spiders = get_spider_loader(self.settings)
        if args[0] not in spiders.list():
            raise UsageError(f"unknown spider {args[0]!r} (known: {', '.join(sorted(spiders.list()))})")
        try:
            warc_paths([Path(a) for a in args[1:]])
        except ArchiveError as exc:
            raise UsageError(str(exc)) from None
        check_output_dir(self.settings.get("OUTPUT_DIR") or "output")
        return spiders.load(args[0])

    def run(self, args: list[str], opts) -> None:
        if self.usage_error is not None:
            return fail_usage(self, self.usage_error)
        site, locations = args[0], [Path(a) for a in args[1:]]
        spidercls = self.crawler_process.spider_loader.load(site)
        damaged = []

        def on_damage(damage):
            damaged.append(damage)
            log_damage(damage)

        if self.shard is not None:
            # A child: the parent reads the archive (and reports its damage).
            configure_replay(self.settings, locations, spidercls)
            # The view is site-wide: one export, by the parent, once every shard is in.
            self.settings.set("LATEST_EXPORT_JSONL", False, priority="cmdline")
            wait_for_shard(self.shard.urls_file, self.shard.parent)
            index = ArchiveIndex.load(self.shard.index_file)
            urls = self.shard.urls_file.read_text(encoding="utf-8").splitlines()
        else:
            try:
                try:
                    index = ArchiveIndex(locations, on_damage=on_damage)
                except ArchiveError as exc:
                    return fail_usage(self, str(exc))
                urls = article_urls(index, spidercls)
                most = self.most_processes
                processes = min(most, len(urls) if opts.processes else default_processes(len(urls)))
                if processes > 1 and self.shards is not None:
                    self.exitcode = self.shards.run(index, urls, processes, self.settings, len(damaged))
                    return
            except Interrupted as signal_name:
                logger.warning("Received %s while reading the archive: stopped, nothing written", signal_name)
                self.exitcode = exitcodes.ERROR
                return
            finally:
                if self.shards is not None:
                    self.shards.close()

        configure_replay(self.settings, locations, spidercls)
        crawler = self._create_crawler(site)
        crawler._newsbot_replay_index = index              # read once, shared with the replay handler
        # An empty state re-emits recorded articles.  On disk, not ":memory:": a row per
        # article (~0.7 KB) would make re-parse memory grow with the archive.
        scratch = tempfile.TemporaryDirectory(prefix="newsbot-reparse-")
        crawler._newsbot_state = SqliteStateStore(Path(scratch.name) / "state.sqlite3", site)
        # Deleted at the end, so there is no crash to survive: no fsync at WAL checkpoints.
        crawler._newsbot_state.db.execute("PRAGMA synchronous=OFF")

        def count_damage(spider):
            if damaged:
                crawler.stats.set_value("newsbot/archive_damage", len(damaged))
            crawler.stats.set_value("newsbot/reparse/archived_articles", len(urls))

        crawler.signals.connect(count_damage, signal=signals.spider_opened, weak=False)
        self.crawler_process.crawl(crawler, **{**opts.spargs, "urls": urls})
        try:
            self.crawler_process.start()
        finally:
            crawler._newsbot_state.close()
            index.close()
            scratch.cleanup()
            if self.shard is not None and crawler.stats is not None:
                self.shard.stats_file.write_text(json.dumps(crawler.stats.get_stats(), default=str), encoding="utf-8")
        if self.crawler_process.bootstrap_failed:
            self.exitcode = exitcodes.ERROR
        if crawler.stats is not None:
            self.exitcode = max(self.exitcode, crawler.stats.get_value(EXIT_STATUS_STAT, 0))
