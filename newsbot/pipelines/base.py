"""What most newsbot pipelines share: they need the crawler (stats, settings, spider)."""


class CrawlerPipeline:
    """Built by Scrapy through ``from_crawler``; ``self.crawler`` is the running crawl."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)
