"""Per-site crawl state: which articles are recorded, in which version, how far lists were walked.

Embedded by default (:class:`~newsbot.state.sqlite.SqliteStateStore`, a file under
``OUTPUT_DIR/<site>/``).  One store per crawl, shared by the spider and the pipelines
through :func:`state_store`, closed when the engine stops (after every ``spider_closed``
handler has had its say).
"""

from __future__ import annotations

from pathlib import Path

from scrapy import signals

from newsbot.state.sqlite import SqliteStateStore

__all__ = ["SqliteStateStore", "state_store"]


def state_store(crawler) -> SqliteStateStore:
    """The crawl's store, opened on first use."""
    store = getattr(crawler, "_newsbot_state", None)
    if store is None:
        site = crawler.spider.name
        if crawler.settings.get("REDIS_URL"):  # one store for a cluster's workers: docs/cluster.md
            from newsbot.state.redis import RedisStateStore

            store = RedisStateStore.from_crawler(crawler)
        else:
            path = Path(crawler.settings.get("OUTPUT_DIR")) / site / "state.sqlite3"
            store = SqliteStateStore(path, site)
        crawler._newsbot_state = store
        crawler.signals.connect(store.close, signal=signals.engine_stopped, weak=False)
    return store
