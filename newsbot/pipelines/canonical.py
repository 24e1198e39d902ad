from newsbot.pipelines.base import CrawlerPipeline
from newsbot.urls import canonicalize_url


class CanonicalUrlPipeline(CrawlerPipeline):
    """Sets ``canonical_url``: the spider's ``canonicalize`` hook, else :func:`canonicalize_url`."""

    def process_item(self, item):
        canonicalize = getattr(self.crawler.spider, "canonicalize", canonicalize_url)
        item["canonical_url"] = canonicalize(item["url"])
        return item
