"""What most newsbot components share: they need the crawler (stats, settings, signals, spider).

Pipelines, middlewares and extensions alike are built by Scrapy through ``from_crawler``;
subclasses that need more in ``__init__`` call ``super().__init__(crawler)`` first, and
override ``from_crawler`` only to decline (``NotConfigured``).
"""


class CrawlerComponent:
    """``self.crawler`` is the running crawl."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)
