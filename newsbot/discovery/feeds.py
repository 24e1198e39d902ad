"""RSS and Atom feeds: each entry's link and the day it was published (feedparser).

ND Soft publishes ``/rss/allArticle.xml``, gnuboard ``/bbs/rss.php?bo_table=X``, Break News
``/rss/rss_news.php``; many other outlets a feed named in ``<link rel="alternate">``.
Korean feeds often write ``pubDate`` as ``2024-01-02 11:20:00`` (no RFC 822): feedparser
leaves such a date unparsed, and :func:`newsbot.dates.parse_kst` reads it, as KST.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timezone
from urllib.parse import urljoin

import feedparser

from newsbot.dates import KST, DateParseError, parse_kst
from newsbot.urls import is_http_url


@dataclass(frozen=True)
class FeedEntry:
    """One feed entry: the article's URL and, if the feed dates it, its day in Korea."""

    url: str
    day: date | None = None


class NotAFeed(ValueError):
    """The bytes are no RSS or Atom feed (an HTML error page, an empty answer)."""


def _entry_day(entry) -> date | None:
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if raw:
            # the text first: feedparser takes a date without an offset as UTC, a Korean
            # feed's "2024-01-02 23:20:00" is KST (newsbot.dates reads RFC 822 and ISO too)
            try:
                return parse_kst(raw).astimezone(KST).date()
            except DateParseError:
                pass
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            # feedparser's struct_time is UTC: the article's day is the day in Korea
            return datetime.fromtimestamp(calendar.timegm(parsed), timezone.utc).astimezone(KST).date()
    return None


def _entry_url(entry, base_url: str) -> str | None:
    candidates = [entry.get("link")]
    candidates += [link.get("href") for link in entry.get("links") or [] if link.get("rel", "alternate") == "alternate"]
    candidates.append(entry.get("id"))  # Atom ids are often the article's URL
    for candidate in candidates:
        if candidate and candidate.strip():
            url = urljoin(base_url, candidate.strip())
            if is_http_url(url):
                return url
    return None


def feed_entries(body: bytes, url: str, content_type: str | None = None) -> list[FeedEntry]:
    """The entries of the feed in ``body`` (fetched from ``url``), in feed order, each URL once.

    Raises :class:`NotAFeed` when ``body`` is no feed at all; a feed with no entries is ``[]``.
    """
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        # feedparser reads anything; a page it recognised no feed format in is no feed
        problem = parsed.get("bozo_exception")
        raise NotAFeed(f"no RSS or Atom feed at {url}" + (f" ({problem})" if problem else ""))
    entries: dict[str, FeedEntry] = {}
    for entry in parsed.entries:
        link = _entry_url(entry, url)
        if link and link not in entries:
            entries[link] = FeedEntry(link, _entry_day(entry))
    return list(entries.values())
