"""Later runs pick failed articles up again.

An article whose fetch failed is never marked recorded, and the state store remembers
it (``article_faults``).  An incremental run may stop paging before the list page that
links it, so this spider middleware puts the remembered ones first among the start
requests: each is retried by every run until it is recorded, turns out gone (404/410),
or has failed ``FAULTS_RETRY_RUNS`` times.
"""

from __future__ import annotations

import logging
from newsbot.component import CrawlerComponent
from newsbot.output import site_dir, site_of
from newsbot.state import DEFAULT_STATE_STORE, fault_ledger

logger = logging.getLogger(__name__)


class RetryFailedArticlesMiddleware(CrawlerComponent):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.max_attempts = crawler.settings.getint("FAULTS_RETRY_RUNS", 5)

    def _failed_urls(self) -> list[str]:
        spider = self.crawler.spider
        # "-a urls=" means exactly these articles; a first run has no store to read.
        if getattr(spider, "article_urls", None) or not hasattr(spider, "article_request"):
            return []
        if self.crawler.settings.get("NEWSBOT_STATE_STORE") == DEFAULT_STATE_STORE and not (
                site_dir(self.crawler.settings, site_of(spider)) / "state.sqlite3").exists():
            return []  # a first run: no store to read (and none created just to read it)
        return fault_ledger(self.crawler).failed_urls(self.max_attempts)

    async def process_start(self, start):
        urls = self._failed_urls()
        if urls:
            logger.info("Retrying %d article(s) that failed in earlier runs", len(urls))
            self.crawler.stats.set_value("newsbot/faults/retried_from_earlier_runs", len(urls))
        for url in urls:
            yield self.crawler.spider.article_request(url)
        async for request in start:
            yield request
