"""Make ``-s JOBDIR=...`` safe after a kill -9.

Scrapy saves the request queue's index (``requests.queue/active.json``) and the disk
queues' size headers only when a run closes cleanly.  After a kill -9 the queue files
are left half-written: a resumed run that reopens them fails on the first request it
schedules (queuelib reads a garbage size header) and ends at once, "finished", having
fetched nothing.

This extension runs before the scheduler opens.  A queue folder without ``active.json``
was not saved: it is discarded (one warning line, a stat), and the run rebuilds its work
from the list pages and the state store, which decides what is still needed (see
newsbot/state/dupefilter.py).  Once the scheduler has read ``active.json`` it is removed,
so a run killed later cannot leave a stale index pointing at queue files it changed.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir

logger = logging.getLogger(__name__)


class JobdirGuard:
    def __init__(self, crawler, queue_dir: Path):
        self.crawler = crawler
        self.queue_dir = queue_dir
        self.index = queue_dir / "active.json"
        if queue_dir.is_dir() and not self.index.exists() and any(queue_dir.iterdir()):
            shutil.rmtree(queue_dir)
            crawler.stats.set_value("newsbot/jobdir_unsaved_queue_discarded", 1)
            logger.warning("JOBDIR queue %s was not saved (the last run was killed): discarded; "
                           "list pages are walked again and the state store skips what is recorded", queue_dir)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler):
        path = job_dir(crawler.settings)
        if not path:
            raise NotConfigured
        return cls(crawler, Path(path) / "requests.queue")

    def spider_opened(self, spider) -> None:
        # The scheduler has read it; a clean close writes it again.
        self.index.unlink(missing_ok=True)
