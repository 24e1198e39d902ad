"""A write error (disk full, quota, file too large) stops the run, cleanly.

Whoever writes output (JSON Lines, WARC, the state store) calls :func:`storage_failed`
on an ``OSError``; :class:`StorageGuard` catches the ones that surface as item errors
(the SQLite state store).  The run is closed with reason ``storage_error`` and exit
status 3; files already written stay whole because every writer truncates a partial
write back to its last whole record before raising.

One ERROR line says so, without a traceback.  What then fails to be written while the run
closes (the CDXJ index, the latest view's export, the crawl report) is counted and said
in one WARNING line each (:func:`closing_write_failed`), and leaves no empty or partial
file behind: each is written aside and renamed into place, or removed.
"""

from __future__ import annotations

import logging
import sqlite3

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

from newsbot import exitcodes
from newsbot.exitcodes import report_problem
from newsbot.component import CrawlerComponent

logger = logging.getLogger(__name__)

CLOSE_REASON = "storage_error"


def storage_failed(crawler, target, exc: BaseException) -> None:
    """Log once, count, and close the spider (:meth:`StorageGuard.failed`)."""
    guard = crawler.get_extension(StorageGuard)
    if guard is None:
        raise exc  # no guard enabled: the error is Scrapy's to report
    guard.failed(target, exc)


def storage_guarded(crawler, write):
    """``write`` whose storage error (an ``OSError``, or SQLite's "disk is full" from the
    digest index beside the WARC) stops the run and drops just this request (no traceback)."""
    from scrapy.exceptions import IgnoreRequest

    def guarded(*args, **kwargs):
        try:
            return write(*args, **kwargs)
        except Exception as exc:
            if not is_storage_error(exc):
                raise
            storage_failed(crawler, getattr(exc, "filename", None) or "the WARC archive", exc)
            raise IgnoreRequest(f"not archived: {exc}") from exc

    return guarded


def is_storage_error(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.OperationalError):
        return "disk" in str(exc) or "full" in str(exc) or "I/O" in str(exc)
    return isinstance(exc, OSError)


def closing_write_failed(crawler, what: str, exc: BaseException) -> None:
    """A write while the run closes failed (``what``: "the CDXJ index of X"): a storage
    problem (exit status 3) and one WARNING line, never a traceback; the run goes on closing."""
    crawler.stats.inc_value("newsbot/storage_errors")
    report_problem(crawler.stats, "storage_error", f"storage error: cannot write {what}: {exc}", exitcodes.STORAGE)
    logger.warning("Not written (storage error): %s: %s", what, exc)


class StorageGuard(CrawlerComponent):
    """Extension: the one place a storage error stops the run (writers call
    :func:`storage_failed`; an item whose pipeline failed with one is caught here)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.stopped = False
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    def failed(self, target, exc: BaseException) -> None:
        """Log once, count, and close the spider; later calls only count."""
        crawler = self.crawler
        crawler.stats.inc_value("newsbot/storage_errors")
        if self.stopped:
            return
        self.stopped = True
        report_problem(crawler.stats, "storage_error", f"storage error: cannot write {target}: {exc}", exitcodes.STORAGE)
        logger.error("Storage error, stopping the run: cannot write %s: %s", target, exc)
        closing = deferred_from_coro(crawler.engine.close_spider_async(reason=CLOSE_REASON))
        closing.addErrback(lambda failure: None)  # the engine was closing already: nothing more to stop

    def item_error(self, item, response, spider, failure):
        if is_storage_error(failure.value):
            self.failed("the state store or an output file", failure.value)
