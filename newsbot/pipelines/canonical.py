from newsbot.component import CrawlerComponent
from newsbot.urls import canonical_rule


class CanonicalUrlPipeline(CrawlerComponent):
    """Sets ``canonical_url`` by the spider's CMS rule (:func:`newsbot.urls.canonical_rule`)."""

    def process_item(self, item):
        item["canonical_url"] = canonical_rule(self.crawler.spider)(item["url"])
        return item
