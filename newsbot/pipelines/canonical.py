from newsbot.urls import canonicalize_url


class CanonicalUrlPipeline:
    """Sets ``canonical_url``: the spider's ``canonicalize`` hook, else :func:`canonicalize_url`."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        canonicalize = getattr(self.crawler.spider, "canonicalize", canonicalize_url)
        item["canonical_url"] = canonicalize(item["url"])
        return item
