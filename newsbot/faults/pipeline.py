"""Pages that answer 200 but hold no article."""

from scrapy import Request
from scrapy.exceptions import DropItem

from newsbot.component import CrawlerComponent
from newsbot.faults import record_fault


class NotAnArticlePipeline(CrawlerComponent):
    """A 200 page with no title, no date and no body (garbage bytes, a blank template) is a
    fault, not an article: dropped, counted, logged once, retried by the next run.

    A page missing only some fields is kept and flagged (``extraction_warnings``).
    """

    def process_item(self, item):
        if item.get("title") or item.get("published_at_raw") or item.get("body"):
            return item
        # The fault belongs to the article URL; a Request stand-in carries it to the store.
        request = Request(item["url"], callback=self.crawler.spider.parse_article)
        record_fault(self.crawler, request, "no_article", "no title, date or body on the page")
        raise DropItem(f"no article content on {item['url']}", log_level="DEBUG")
