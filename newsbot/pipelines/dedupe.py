from scrapy.exceptions import DropItem

from newsbot.state import state_store


class DedupePipeline:
    """Drops an article whose canonical URL is already recorded, in this run or an earlier one."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        if state_store(self.crawler).is_recorded(item["canonical_url"]):
            self.crawler.stats.inc_value("newsbot/items_duplicate")
            raise DropItem(f"duplicate of recorded article {item['canonical_url']}", log_level="DEBUG")
        return item
