from scrapy.exceptions import DropItem

from newsbot.component import CrawlerComponent
from newsbot.extensions.accounting import article_accounts
from newsbot.state import state_store


class DedupePipeline(CrawlerComponent):
    """New, updated or duplicate: decided against the state store by content, not by URL.

    Runs after :class:`~newsbot.pipelines.identity.IdentityPipeline` (it needs
    ``content_digest``).  An article never recorded is version 1 (``newsbot/items_new``).
    One recorded with the same digest is dropped (``newsbot/items_duplicate``), in this
    run or an earlier one.  One recorded with another digest (the outlet edited it: a
    new ``modified_at`` or body) is recorded again as the next version
    (``newsbot/items_updated``): never skipped, never a second copy of the same content.
    """

    def process_item(self, item):
        store = state_store(self.crawler)
        recorded = store.recorded(item["canonical_url"])
        stats = self.crawler.stats
        if recorded is None:
            item["version"] = 1
            stats.inc_value("newsbot/items_new")
            return item
        same = (recorded["content_digest"] == item["content_digest"] if recorded["content_digest"]
                # a state file from before digests were stored: the edit time is all we have
                else recorded["modified_at"] == item.get("modified_at"))
        if same:
            store.mark_checked(item["canonical_url"])
            stats.inc_value("newsbot/items_duplicate")
            accounts = article_accounts(self.crawler)
            if accounts is not None:
                accounts.settle_canonical(item["canonical_url"], "duplicate")
            raise DropItem(f"duplicate of recorded article {item['canonical_url']}", log_level="DEBUG")
        item["version"] = recorded["version"] + 1
        stats.inc_value("newsbot/items_updated")
        return item
