from newsbot.component import CrawlerComponent
from newsbot.urls import canonicalize_url


class CanonicalUrlPipeline(CrawlerComponent):
    """Sets ``canonical_url``: the spider's ``canonicalize`` hook, else :func:`canonicalize_url`."""

    def process_item(self, item):
        canonicalize = getattr(self.crawler.spider, "canonicalize", canonicalize_url)
        item["canonical_url"] = canonicalize(item["url"])
        return item
