"""Per-site crawl state: which articles are recorded, in which version, how far lists were walked.

One store per crawl, owned by the :class:`CrawlState` extension and shared through it by
the spider, the pipelines and the middlewares (:func:`state_store`), opened on first use
and closed when the engine stops (after every ``spider_closed`` handler has had its say).
Which store is a setting, as Scrapy chooses its scheduler: ``NEWSBOT_STATE_STORE``, by
default :class:`~newsbot.state.sqlite.SqliteStateStore` (a file under
``OUTPUT_DIR/<site>/``); a cluster (``REDIS_URL``) sets the Redis store of
:mod:`newsbot.distributed.state`.  A store class is built with ``from_crawler(crawler)``.

The store is opened (and checked) when the crawler is set up, before the crawl starts:
a store that cannot be used (:class:`~newsbot.state.sqlite.StateStoreError`: damaged,
unreadable, locked, no room) refuses the run with one line and its exit status
(:class:`~newsbot.exitcodes.RunRefused`), instead of an error inside the spider's
``start()`` that Scrapy would log and end as a quiet ``start_error``.
"""

from __future__ import annotations

from scrapy import signals
from scrapy.utils.misc import build_from_crawler, load_object

from newsbot.component import CrawlerComponent
from newsbot.exitcodes import RunRefused
from newsbot.state.sqlite import SqliteStateStore, StateStoreError

__all__ = ["CrawlState", "DEFAULT_STATE_STORE", "SqliteStateStore", "StateStoreError", "fault_ledger", "state_store"]

#: settings.py's NEWSBOT_STATE_STORE
DEFAULT_STATE_STORE = "newsbot.state.sqlite.SqliteStateStore"


class CrawlState(CrawlerComponent):
    """Extension: the crawl's state store (``NEWSBOT_STATE_STORE``), opened on first use."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._store = None
        crawler.signals.connect(self.close, signal=signals.engine_stopped)
        configured = crawler.settings.get("NEWSBOT_STATE_STORE")
        store_cls = load_object(configured) if configured else None
        # A crawl being set up: open (and check) a store that can be opened now (a file; the
        # Redis store needs the cluster's extension, built later, and its Redis was checked).
        if crawler.spider is not None and getattr(store_cls, "opens_at_setup", False):
            try:
                self.store
            except StateStoreError as exc:
                raise RunRefused(str(exc), exc.exit_status) from None

    @property
    def store(self):
        if self._store is None:
            store_cls = load_object(self.crawler.settings["NEWSBOT_STATE_STORE"])
            self._store = build_from_crawler(store_cls, self.crawler)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def state_store(crawler):
    """The crawl's store (:class:`CrawlState` must be among the ``EXTENSIONS``)."""
    extension = crawler.get_extension(CrawlState)
    if extension is None:
        raise RuntimeError("newsbot.state.CrawlState is not among the enabled EXTENSIONS")
    return extension.store


def fault_ledger(crawler):
    """Articles whose fetch failed, kept by the crawl's store (docs/faults.md)."""
    return state_store(crawler).fault_ledger()
