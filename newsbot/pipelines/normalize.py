from datetime import datetime, timezone

from newsbot.normalize import normalize_article


class NormalizePipeline:
    """Raw extracted fields -> clean text and ISO 8601 timestamps (:func:`normalize_article`)."""

    def process_item(self, item):
        item.update(normalize_article(dict(item)))
        item["crawled_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        return item
