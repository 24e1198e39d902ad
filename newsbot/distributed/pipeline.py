"""The claim step of a cluster: the one item pipeline ``REDIS_URL`` adds."""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem

from newsbot.component import CrawlerComponent
from newsbot.extensions.accounting import article_accounts
from newsbot.state import state_store
from newsbot.distributed.state import ALREADY_RECORDED, CLAIMED

logger = logging.getLogger(__name__)

#: after the digest is known and the dedupe decision made, before any record is written
CLAIM_PIPELINE_PRIORITY = 750


class ClaimPipeline(CrawlerComponent):
    """Drops an article another worker is recording or has just recorded.

    The dedupe pipeline's look at the store and the final mark are far apart; between
    them two workers could both decide "new".  The claim closes that gap atomically in
    Redis (:meth:`newsbot.distributed.state.RedisStateStore.claim`).
    """

    def process_item(self, item):
        outcome = state_store(self.crawler).claim(item["canonical_url"], item.get("content_digest"))
        if outcome == CLAIMED:
            return item
        reason = "recorded" if outcome == ALREADY_RECORDED else "held_elsewhere"
        self.crawler.stats.inc_value(f"newsbot/cluster/claim_{reason}")
        accounts = article_accounts(self.crawler)
        if accounts is not None:  # another worker records it
            accounts.settle_canonical(item["canonical_url"], "already_recorded")
        raise DropItem(f"article {item['canonical_url']} {reason.replace('_', ' ')} by another worker",
                       log_level="DEBUG")
