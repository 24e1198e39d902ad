"""A ``metadata`` record per archived article: its outlinks and what extraction found.

A spider middleware, because only there are the response (its links) and the item the
callback made from it (its fields) seen together.  The record ``WARC-Refers-To`` (and is
``WARC-Concurrent-To``) the article's response record, whose id the capture middleware
put in ``response.meta[WARC_META_KEY]``.  Format: ``application/warc-fields``, outlinks
as Heritrix writes them (``outlink: URL L a/@href``; ``E`` for embeds).
"""

from __future__ import annotations

import json
from urllib.parse import urljoin

from itemadapter import ItemAdapter, is_item
from scrapy.exceptions import NotConfigured
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.response import get_base_url

from newsbot.warc import WARC_META_KEY
from newsbot.warc.archive import warc_archive

#: fields a page object must find (the same ones normalization warns about)
REQUIRED_RAW_FIELDS = {"title": "title", "published_at": "published_at_raw", "body": "body"}

#: tag -> (link attribute, Heritrix hop type, source label)
_LINK_BY_TAG = {"a": ("href", "L", "a/@href"), "area": ("href", "L", "area/@href"),
                "img": ("src", "E", "img/@src"), "iframe": ("src", "E", "iframe/@src")}
_NOT_A_LINK = ("javascript:", "mailto:", "#")
_SITE_WIDE = ("/", "http://", "https://")   # resolves the same against any page of the host

#: values held at most per middleware, all hosts together (then the cache starts over)
RESOLVED_MAX = 8192


class LinkResolver:
    """Absolute URLs of link attributes, the page-independent ones (the site-wide menu,
    sidebars) resolved once per site: per origin, {attribute value as written -> absolute
    URL, "" for not a link}, bounded by :data:`RESOLVED_MAX`."""

    def __init__(self, max_values: int = RESOLVED_MAX):
        self.max_values = max_values
        self.by_origin: dict[str, dict[str, str]] = {}
        self.count = 0

    def outlinks(self, response) -> list[tuple[str, str, str]]:
        """(absolute URL, hop type, source) for each link of the page, in page order, each once."""
        # Walks the lxml tree the response already parsed (a per-element XPath for the tag
        # name and response.urljoin per link cost ~20 ms on a page of 300 links, several
        # times the fetch), and resolves the site-wide menu links once per site, not once
        # per page (docs/performance.md).
        base = get_base_url(response)
        origin = urljoin(base, "/")
        resolved = self.by_origin.setdefault(origin, {})
        links: dict[str, tuple[str, str, str]] = {}   # insertion order: page order, first occurrence kept
        for element in response.selector.root.iter(*_LINK_BY_TAG):
            attribute, hop, source = _LINK_BY_TAG[element.tag]
            raw = element.get(attribute)
            if raw is None:
                continue
            url = resolved.get(raw)
            if url is None:
                url, site_wide = _resolve(raw, origin, base)
                if site_wide:
                    if self.count >= self.max_values:
                        self.by_origin.clear()
                        self.count = 0
                        resolved = self.by_origin.setdefault(origin, {})
                    resolved[raw] = url
                    self.count += 1
            if url and url not in links:
                links[url] = (url, hop, source)
        return list(links.values())


def _resolve(raw: str, origin: str, base: str) -> tuple[str, bool]:
    """(absolute URL or "" for not a link, whether that holds on every page of the host)."""
    raw = raw.strip()
    if not raw or raw.startswith(_NOT_A_LINK):
        return "", True
    if raw.startswith(_SITE_WIDE):
        return urljoin(origin, raw), True
    return urljoin(base, raw), False


def outlinks(response) -> list[tuple[str, str, str]]:
    """The links of one page (a fresh :class:`LinkResolver`; the middleware keeps one per crawl)."""
    return LinkResolver().outlinks(response)


def extraction_summary(item) -> dict:
    values = dict(ItemAdapter(item).items())  # one pass through the adapter, then plain dict reads
    found = sorted(k for k, v in values.items() if v not in (None, "", [], {}) and not k.startswith("warc_"))
    return {
        "article_id": values.get("article_id"),
        "fields": found,
        "missing_required": [f for f, raw in REQUIRED_RAW_FIELDS.items() if not values.get(raw)],
        "body_chars": len(values.get("body") or ""),
        "images": len(values.get("images") or []),
        "captions": len(values.get("captions") or []),
    }


class WarcMetadataMiddleware(BaseSpiderMiddleware):
    def __init__(self, crawler):
        if not crawler.settings.getbool("WARC_ENABLED", True):
            raise NotConfigured
        super().__init__(crawler)
        self.archive = warc_archive(crawler)
        self.links = LinkResolver()

    def get_processed_item(self, item, response):
        if response is not None and is_item(item):
            self.write(response, item)
        return item

    def write(self, response, item) -> None:
        location = response.meta.get(WARC_META_KEY) or {}
        if not location.get("record_id"):
            return  # not archived by this crawl (e.g. re-parse): nothing to annotate
        fields = [("via", response.url)]
        fields += [("outlink", f"{url} {hop} {source}") for url, hop, source in self.links.outlinks(response)]
        fields.append(("newsbot-extraction", json.dumps(extraction_summary(item), ensure_ascii=False,
                                                        separators=(",", ":"))))
        self.archive.writer.write_metadata(response.url, fields, refers_to=location["record_id"])
        self.crawler.stats.inc_value("newsbot/warc_metadata_records")
