from datetime import date

from scrapy.exceptions import DropItem

from newsbot.component import CrawlerComponent
from newsbot.extensions.accounting import article_accounts


class DateRangePipeline(CrawlerComponent):
    """Keeps only articles published inside a backfill's ``-a since= -a until=`` (inclusive).

    The spider already skips list entries whose list date is outside the range; this is
    the exact check, on the article's own published time (Korean calendar date).  An
    article without a published time is kept: its extraction warning says why.
    """

    def process_item(self, item):
        spider = self.crawler.spider
        since, until = getattr(spider, "since", None), getattr(spider, "until", None)
        published = item.get("published_at")
        if (since or until) and published:
            day = date.fromisoformat(published[:10])  # the +09:00 local date
            if (since and day < since) or (until and day > until):
                self.crawler.stats.inc_value("newsbot/skipped_out_of_range")
                accounts = article_accounts(self.crawler)
                if accounts is not None:
                    accounts.settle_canonical(item["canonical_url"], "out_of_range")
                raise DropItem(f"published {day} outside {since}..{until}: {item['url']}", log_level="DEBUG")
        return item
