from newsbot.component import CrawlerComponent
from newsbot.extensions.accounting import article_accounts
from newsbot.state import state_store


class RecordedStatePipeline(CrawlerComponent):
    """Marks an article recorded, after its record was written (never before: a crash
    between the two then means one re-fetch, never a lost article)."""

    def process_item(self, item):
        state_store(self.crawler).mark_recorded(
            item["canonical_url"],
            article_id=item.get("article_id"),
            published_at=item.get("published_at"),
            modified_at=item.get("modified_at"),
            content_digest=item.get("content_digest"),
            version=item.get("version") or 1,
        )
        accounts = article_accounts(self.crawler)
        if accounts is not None:  # recorded: written and marked, the outcome the report counts
            accounts.settle_canonical(item["canonical_url"], "updated" if (item.get("version") or 1) > 1 else "new")
        return item
    # The store is closed when the engine stops (newsbot.state.state_store): the spider's
    # own closing (finishing its list walk) still needs it after the pipelines close.
