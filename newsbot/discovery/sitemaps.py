"""XML sitemaps: the article URLs an outlet lists for search engines, with their dates.

Read by Scrapy's own sitemap reader (:class:`scrapy.utils.sitemap.Sitemap`: urlsets and
sitemap indexes, ``<loc>`` and ``<lastmod>``, entities never resolved) and
:func:`scrapy.utils.sitemap.sitemap_urls_from_robots` for robots.txt's ``Sitemap:`` lines.
One thing is read here by hand: Google News sitemaps put the publication time one level
deeper (``<news:news><news:publication_date>``), and Scrapy's reader keeps only each
entry's direct children, so those dates are read with lxml beside it.  A news date is the
article's own; a ``lastmod`` is when the page last changed (not earlier than publication),
so backfills use either, the news date first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from newsbot.dates import KST, DateParseError, parse_kst
from newsbot.urls import is_http_url

__all__ = ["NotASitemap", "SitemapEntry", "read_sitemap", "sitemap_urls_from_robots"]

_GZIP_MAGIC = b"\x1f\x8b"
_NEWS_NAMESPACE = b"sitemap-news"


class NotASitemap(ValueError):
    """The bytes are no sitemap (an HTML page, an empty answer)."""


@dataclass(frozen=True)
class SitemapEntry:
    """A ``<url>`` of a urlset (an article, maybe) or a ``<sitemap>`` of an index, and its day."""

    url: str
    day: date | None = None
    #: the day is the article's publication date (Google News sitemap), not a lastmod
    news: bool = False


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return parse_kst(text).astimezone(KST).date()
    except DateParseError:
        return None


def _news_dates(body: bytes) -> dict[str, str]:
    """``loc`` -> ``news:publication_date`` text (see the module doc for why by hand)."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, remove_comments=True)
    root = etree.fromstring(body, parser=parser)
    dates = {}
    if root is None:
        return dates
    for url in root.iterfind("{*}url"):
        loc = url.findtext("{*}loc")
        published = url.findtext("{*}news/{*}publication_date")
        if loc and published:
            dates[loc.strip()] = published.strip()
    return dates


def read_sitemap(body: bytes, max_size: int = 0) -> tuple[str, list[SitemapEntry]]:
    """``("urlset" | "sitemapindex", entries)`` of the sitemap in ``body`` (gzip'd or not).

    ``max_size`` bounds a gzip'd sitemap's inflated size (0: no bound).  Raises
    :class:`NotASitemap` for anything else.
    """
    if body[:2] == _GZIP_MAGIC:
        try:
            body = gunzip(body, max_size=max_size)
        except (OSError, EOFError, ValueError) as exc:
            raise NotASitemap(f"a broken gzip'd sitemap: {exc}") from None
    try:
        sitemap = Sitemap(body)
    except (etree.XMLSyntaxError, StopIteration, ValueError) as exc:
        raise NotASitemap(f"no XML: {str(exc) or type(exc).__name__}") from None
    if sitemap.type not in ("urlset", "sitemapindex"):
        raise NotASitemap(f"an XML document of type {sitemap.type!r}, no sitemap")
    news = _news_dates(body) if _NEWS_NAMESPACE in body else {}
    entries: dict[str, SitemapEntry] = {}
    for element in sitemap:
        url = (element.get("loc") or "").strip()
        if not is_http_url(url) or url in entries:
            continue
        published = news.get(url)
        entries[url] = SitemapEntry(url, _day(published or element.get("lastmod")), news=bool(published))
    return sitemap.type, list(entries.values())
