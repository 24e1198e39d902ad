from datetime import datetime, timezone

from newsbot.dates import is_future
from newsbot.normalize import normalize_article

#: the extraction warning of a published time more than a day after the crawl
#: (``field:reason``; a plain field name means the field is missing)
FUTURE_WARNING = "published_at:future"


class NormalizePipeline:
    """Raw extracted fields -> clean text and ISO 8601 timestamps (:func:`normalize_article`).

    ``crawled_at`` is when the response was received (its WARC record's date, set by the
    spider), else now.  A ``published_at`` more than a day after it (a typo'd year, a CMS
    default of 2099-12-31) is kept as printed, with the warning ``published_at:future``;
    the state store never takes it for the newest article (newsbot/state/sqlite.py).
    """

    def process_item(self, item):
        crawled_at = item.get("crawled_at")
        item.update(normalize_article(dict(item)))
        item["crawled_at"] = crawled_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
        if is_future(item.get("published_at"), item["crawled_at"]) and FUTURE_WARNING not in item["extraction_warnings"]:
            item["extraction_warnings"].append(FUTURE_WARNING)
        return item
