"""Skip article requests for articles recorded since the request was scheduled.

The spider asks the state store before it schedules an article, but a request can wait
in the queue while the same article is recorded another way: a run resumed from
``JOBDIR`` re-walks its list pages while the saved queue still holds the same articles.
Checked right before download, the second copy costs one SQLite lookup, not a fetch.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest

from newsbot.component import CrawlerComponent
from newsbot.extensions.accounting import article_accounts
from newsbot.state import state_store
from newsbot.urls import canonical_rule

#: request.meta key the spider sets on article requests: "new" or "recheck"
ARTICLE_META = "newsbot_article"


class SkipRecordedMiddleware(CrawlerComponent):

    def process_request(self, request, spider=None):
        if request.meta.get(ARTICLE_META) != "new":
            return None
        if state_store(self.crawler).is_recorded(canonical_rule(self.crawler.spider)(request.url)):
            self.crawler.stats.inc_value("newsbot/skipped_already_recorded")
            accounts = article_accounts(self.crawler)
            if accounts is not None:
                accounts.settle(request.url, "already_recorded")
            raise IgnoreRequest(f"already recorded: {request.url}")
        return None
