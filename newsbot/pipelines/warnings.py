import logging

from newsbot.component import CrawlerComponent
from newsbot.normalize import REQUIRED_FIELDS

logger = logging.getLogger(__name__)

#: URLs listed per field in the end-of-crawl summary (the counts are exact, the list is a sample)
SUMMARY_URLS_PER_FIELD = 20
#: stats counting records by the extraction layer of each field: ``<prefix><field>/<provenance>``
PROVENANCE_PREFIX = "newsbot/provenance/"
#: records with at least one required field missing (what the crawl report's exit 5 judges)
MISSING_REQUIRED_STAT = "newsbot/items_missing_required"


def describe(warning: str) -> str:
    """``body`` -> "body missing"; ``published_at:disagrees_with_metadata`` -> "published_at
    disagrees with metadata" (docs/records.md has the vocabulary)."""
    field, _, doubt = warning.partition(":")
    return f"{field} {doubt.replace('_', ' ')}" if doubt else f"{field} missing"


class ExtractionWarningsPipeline(CrawlerComponent):
    """Extraction warnings counted, logged once with their URL, and kept; each record's
    extraction layers counted per field.

    A required field that came out empty, or a doubt (the family's date disagreeing with the
    page's metadata), is a warning: the item is still written (with what was found): losing
    the article would be worse than a record with a flagged gap.  Only missing required
    fields count towards the crawl report's exit 5 (``newsbot/items_missing_required``); a
    doubt is reported by name.  The end-of-crawl summary names warnings and URLs.

    Every record's ``provenance`` is counted as ``newsbot/provenance/<field>/<layer>``: the
    crawl report shows which layer gave each field, so a skin change shows as "author from
    metadata on 100 %" (newsbot/extensions/report.py).
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self.urls_by_field: dict[str, list[str]] = {}

    def process_item(self, item):
        stats = self.crawler.stats
        for field, source in (item.get("provenance") or {}).items():
            stats.inc_value(f"{PROVENANCE_PREFIX}{field}/{source or 'none'}")
        warnings = item.get("extraction_warnings") or []
        if warnings:
            stats.inc_value("newsbot/items_with_extraction_warnings")
            if any(warning in REQUIRED_FIELDS for warning in warnings):
                stats.inc_value(MISSING_REQUIRED_STAT)
            for warning in warnings:
                stats.inc_value(f"newsbot/extraction_warnings/{warning}")
                urls = self.urls_by_field.setdefault(warning, [])
                if len(urls) < SUMMARY_URLS_PER_FIELD:
                    urls.append(item["url"])
            logger.warning("Extraction warning: %s on %s", ", ".join(map(describe, warnings)), item["url"])
        return item

    def close_spider(self):
        for warning, urls in sorted(self.urls_by_field.items()):
            count = self.crawler.stats.get_value(f"newsbot/extraction_warnings/{warning}")
            logger.warning("Layout check: %s on %d article(s), e.g. %s", describe(warning), count, " ".join(urls))
