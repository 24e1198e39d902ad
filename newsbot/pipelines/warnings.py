import logging

from newsbot.component import CrawlerComponent

logger = logging.getLogger(__name__)

#: URLs listed per field in the end-of-crawl summary (the counts are exact, the list is a sample)
SUMMARY_URLS_PER_FIELD = 20


class ExtractionWarningsPipeline(CrawlerComponent):
    """A required field that came out empty is counted, logged once with its URL, and kept.

    The item is still written (with what was found): losing the article would be worse
    than a record with a flagged gap.  The end-of-crawl summary names fields and URLs.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self.urls_by_field: dict[str, list[str]] = {}

    def process_item(self, item):
        warnings = item.get("extraction_warnings") or []
        # "kind:detail" entries are notes about the record (url:foreign), counted per entry
        # but not missing fields: they say nothing of the layout (the share that fails a run)
        for note in (w for w in warnings if ":" in w):
            self.crawler.stats.inc_value(f"newsbot/extraction_warnings/{note}")
        missing = [w for w in warnings if ":" not in w]
        if missing:
            stats = self.crawler.stats
            stats.inc_value("newsbot/items_with_extraction_warnings")
            for field in missing:
                stats.inc_value(f"newsbot/extraction_warnings/{field}")
                urls = self.urls_by_field.setdefault(field, [])
                if len(urls) < SUMMARY_URLS_PER_FIELD:
                    urls.append(item["url"])
            logger.warning("Extraction warning: %s missing on %s", ", ".join(missing), item["url"])
        return item

    def close_spider(self):
        for field, urls in sorted(self.urls_by_field.items()):
            count = self.crawler.stats.get_value(f"newsbot/extraction_warnings/{field}")
            logger.warning(
                "Layout check: %s missing on %d article(s), e.g. %s", field, count, " ".join(urls)
            )
