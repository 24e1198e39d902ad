"""Who an article is about and what it is about: ``regions``, ``topics``, ``schema_version``.

Runs after identity (350) and before any output (800+), so the JSON Lines, the latest view
and Scrapy's own feed exports (``-O``/``-o``) carry the same enriched record.
"""

from __future__ import annotations

from newsbot.component import CrawlerComponent
from newsbot.regions import default_resolver
from newsbot.schema import SCHEMA_VERSION, article_schema
from newsbot.topics import tag_topics


def resolution_day(item) -> str | None:
    """The date names are resolved for: the article's (governments change), else the crawl's."""
    for field in ("published_at", "crawled_at"):
        value = item.get(field)
        if value:
            return value[:10]
    return None


class EnrichPipeline(CrawlerComponent):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.resolver = default_resolver()  # compiled once per process

    def process_item(self, item):
        home_region = getattr(self.crawler.spider, "home_region", None)
        title, body = item.get("title"), item.get("body")
        item["regions"] = self.resolver.resolve(title, body, home_region, resolution_day(item))
        item["topics"] = tag_topics(title, body)
        item["schema_version"] = SCHEMA_VERSION
        # a re-parse's one time stamp (newsbot/reparse/__init__.py); None in a crawl
        item["reparsed_at"] = self.crawler.settings.get("NEWSBOT_REPARSED_AT")
        # Every schema field present (null when unknown) in every output, feed exports included.
        for field in article_schema()["required"]:
            item.setdefault(field, None)
        stats = self.crawler.stats
        stats.inc_value("newsbot/regions/resolved", sum(not r["ambiguous"] for r in item["regions"]))
        stats.inc_value("newsbot/regions/ambiguous", sum(r["ambiguous"] for r in item["regions"]))
        if not item["regions"]:
            stats.inc_value("newsbot/regions/articles_without_region")
        for tag in item["topics"]:
            stats.inc_value(f"newsbot/topics/{tag['topic']}")
        return item
