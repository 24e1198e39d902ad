"""What a re-parse runs with: the crawl's own spider and pipelines, every request answered
from the archive (``scrapy reparse``, newsbot/commands/reparse.py; shards: :mod:`.shards`).

* :func:`configure_replay`: the settings every re-parse process runs with;
* :func:`article_urls`: the archived article URLs of a spider, one per canonical URL;
* :class:`PacedStartMiddleware`, :class:`QuietLogFormatter`, :class:`ScratchStateStore`:
  the three components a re-parse adds (memory flat in the archive's size, no per-page
  DEBUG records, an empty state that is deleted at the end).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals
from scrapy.logformatter import LogFormatter
from scrapy.utils.misc import load_object

from newsbot.component import CrawlerComponent
from newsbot.output import site_of
from newsbot.state.sqlite import SqliteStateStore
from newsbot.warc.index import ArchiveIndex


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
    "EXTENSIONS": "newsbot.warc.archive.WarcArchive",
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
BROWSER_MIDDLEWARE = "newsbot.browser.middleware.BrowserMiddleware"


#: where re-parsed records go, under ``OUTPUT_DIR/<site>/``: beside the crawl's ``jsonl/``,
#: never in it, so a consumer (and ``scrapy state rebuild``) tells them apart by folder too
REPARSE_JSONL_DIR = "reparse/jsonl"


def reparse_stamp() -> str:
    """The ``reparsed_at`` of every record of one re-parse (all its processes)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def configure_replay(settings, locations: list[Path], spidercls, index_file: Path | None = None) -> None:
    """What every re-parse process runs with (before its components are imported);
    ``index_file``: the archive index the parent saved (``REPLAY_INDEX``), read by this process."""
    if not settings.get("NEWSBOT_REPARSED_AT"):
        settings.set("NEWSBOT_REPARSED_AT", reparse_stamp(), priority="cmdline")
    for name, value in {"REPLAY_WARC": [str(p) for p in locations], "WARC_ENABLED": False,
                        "JSONL_DIR": REPARSE_JSONL_DIR,
                        "ROBOTSTXT_OBEY": False,
                        # the urls handed to the spider are this spider's archived articles
                        "NEWSBOT_URLS_FROM_ARCHIVE": True,
                        # no crawl lock: a re-parse shares no state with a crawl (newsbot/runlock.py)
                        "NEWSBOT_RUN_LOCK": False,
                        "NEWSBOT_STATE_STORE": f"{__name__}.{ScratchStateStore.__name__}"}.items():
        settings.set(name, value, priority="cmdline")
    if index_file is not None:
        settings.set("REPLAY_INDEX", str(index_file), priority="cmdline")
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
    # the CMS's URL rules are class-level: usable before the spider exists (the generic
    # spider learns its rules from the archive's URLs: newsbot/cms/generic.py)
    rules = spidercls.archived_url_rules(index.order)
    seen, urls = set(), []
    for url in index.order:
        if not rules.is_article(url):
            continue
        key = rules.canonicalize(url)
        if key not in seen:
            seen.add(key)
            urls.append(url)
    return urls



class ScratchStateStore(SqliteStateStore):
    """An empty state, so articles already recorded are emitted again; on disk, not
    ``:memory:`` (a row per article, ~0.7 KB, would make re-parse memory grow with the
    archive), in a temporary folder removed when the store closes.  The site's own
    ``state.sqlite3`` is neither read nor changed."""

    @classmethod
    def from_crawler(cls, crawler) -> ScratchStateStore:
        scratch = Path(tempfile.mkdtemp(prefix="newsbot-reparse-state-"))
        store = cls(scratch / "state.sqlite3", site_of(crawler.spider))
        store.scratch = scratch
        # Deleted at the end, so there is no crash to survive: no fsync at WAL checkpoints.
        store.db.execute("PRAGMA synchronous=OFF")
        return store

    def close(self) -> None:
        super().close()
        shutil.rmtree(self.scratch, ignore_errors=True)
