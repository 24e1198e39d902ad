"""A crawler built as ``scrapy crawl`` builds one, never started: for in-process tests of
spiders, pipelines and middlewares with the project's own settings.

newsbot's components find each other through the crawler (the state store through the
``CrawlState`` extension, the WARC writer through ``WarcArchive``, the JSON Lines pipeline
through ``get_item_pipeline``), so a component built alone on a bare ``get_crawler()`` finds
nothing.  Scrapy has no public call that gives a crawler its spider and engine without
running the crawl, so :func:`built_crawler` makes the two private calls ``Crawler.crawl()``
itself makes (``_create_spider``, ``_create_engine``; ``get_crawler`` already made the
third, ``_apply_settings``).  The engine is never started: nothing is scheduled or fetched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler, get_reactor_settings

from newsbot.state import CrawlState
from newsbot.warc.archive import WarcArchive


def project_settings() -> dict:
    """What newsbot/settings.py (and the environment) set, without Scrapy's defaults."""
    settings = get_project_settings()
    return {name: settings[name] for name in settings
            if (settings.getpriority(name) or 0) > SETTINGS_PRIORITIES["default"]}


def build_crawler(spidercls, output_dir: Path, settings: dict | None = None, **spider_args) -> Crawler:
    """A crawler of ``spidercls`` (built with ``spider_args``, as ``-a`` gives them) writing
    under ``output_dir``, its extensions, middlewares and pipelines built, not started."""
    crawler = get_crawler(spidercls, {
        **project_settings(),
        "OUTPUT_DIR": str(output_dir),
        **(settings or {}),
        # the reactor this process has (or none): the crawl is never started, and nothing is
        # downloaded, so no download handler is built either
        **get_reactor_settings(),
        "DOWNLOAD_HANDLERS": {"http": None, "https": None, "ftp": None},
    })
    crawler.spider = crawler._create_spider(**spider_args)
    crawler.engine = crawler._create_engine()
    # what the archive does when the spider opens (the digest index revisits are judged by,
    # a killed run's files finished): called directly, as the crawl is never started
    archive = crawler.get_extension(WarcArchive)
    if archive is not None:
        archive.spider_opened(crawler.spider)
    return crawler


def finish_crawl(crawler: Crawler) -> None:
    """What the end of a crawl closes of newsbot's: the WARC files (and their CDXJ) and the
    state store.  Called directly: the engine's own end-of-crawl signals would also reach
    Scrapy's extensions of a crawl that never started."""
    archive = crawler.get_extension(WarcArchive)
    if archive is not None:
        archive.spider_closed(crawler.spider)
    state = crawler.get_extension(CrawlState)
    if state is not None:
        state.close()


@contextmanager
def built_crawler(spidercls, output_dir: Path, settings: dict | None = None, **spider_args) -> Iterator[Crawler]:
    """:func:`build_crawler`, then :func:`finish_crawl` when the block ends."""
    crawler = build_crawler(spidercls, output_dir, settings, **spider_args)
    try:
        yield crawler
    finally:
        finish_crawl(crawler)
