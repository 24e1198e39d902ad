"""Discovery besides list pages, for every spider: feeds, sitemaps, and the list fallback.

:class:`DiscoveryMixin` is part of :class:`newsbot.spiders.base.NewsSpider`.  Every article
URL it finds goes through the run's :class:`~newsbot.spiders.walk.ListWalk` plan, as a list
page's do (already recorded: skipped; outside a backfill's range: skipped; counted alike),
so a feed, a sitemap and a list page never fetch one article twice in a run.

* **Feeds** (RSS/Atom; ``feeds`` on the spider, ``-a feeds=URL[,URL…]``): read at the start
  of every run, incremental or backfill: the newest articles, cheaply.  A CMS declares its
  standard feed (ND Soft ``/rss/allArticle.xml``, gnuboard ``/bbs/rss.php?bo_table=X``, Break
  News ``/rss/rss_news.php``); an outlet without one answers 404: one line, counted, no fault.
* **Sitemaps** (``sitemaps``, ``-a sitemaps=URL[,URL…]``, and robots.txt's ``Sitemap:`` lines
  in a backfill, or in every run where ``robots_sitemaps`` is set: the generic spider).  In a
  backfill, entries dated (``news:publication_date``, else ``lastmod``) before ``since`` are
  skipped unfetched, later ones fetched and the article's own date decides
  (:class:`~newsbot.pipelines.daterange.DateRangePipeline`); undated entries are fetched only
  where ``sitemap_undated_in_backfill`` is set (the generic spider, which has no list pages to
  walk back).  In an incremental run only entries dated in the last
  ``NEWSBOT_SITEMAP_RECENT_DAYS`` days (a news sitemap's window) are used.  Sitemap indexes are
  followed into the children that can hold such entries, at most ``NEWSBOT_MAX_SITEMAPS``
  sitemap files per run.
* **The list fallback**: a list page on which the family's list selectors find no article
  link is read again for links of the family's article URL shape in the page's main content
  region (:func:`newsbot.discovery.links.main_content_links`): counted
  (``newsbot/list_fallback/pages``, ``…/links``), logged, and reported as layout drift by the
  crawl report; the walk goes on.  A page whose fallback links were all linked from earlier
  list pages of the run (the boxes every page repeats, gnuboard's notices past the end of a
  board) has no list: the walk ends there, as at any page without article links.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from newsbot.dates import KST
from newsbot.discovery.feeds import NotAFeed, feed_entries
from newsbot.discovery.links import main_content_links
from newsbot.discovery.sitemaps import NotASitemap, read_sitemap, sitemap_urls_from_robots
from newsbot.spiders.walk import ListEntry
from newsbot.urls import is_http_url

#: request meta: which discovery source a request fetches ("feed", "sitemap", "robots")
DISCOVERY_META = "newsbot_discovery"
STAT = "newsbot/discovery"
FALLBACK_STAT = "newsbot/list_fallback"


def split_locations(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(item.strip() for item in items if item and item.strip())


class DiscoveryMixin:
    #: RSS/Atom feeds: absolute URLs or paths on ``base_url``; ``-a feeds=`` replaces them
    feeds: tuple[str, ...] = ()
    #: XML sitemaps (or sitemap indexes): absolute URLs or paths; ``-a sitemaps=`` replaces them
    sitemaps: tuple[str, ...] = ()
    #: read robots.txt's ``Sitemap:`` lines in incremental runs too (a backfill always does)
    robots_sitemaps: ClassVar[bool] = False
    #: in a backfill, fetch sitemap entries without any date (the article's own date decides)
    sitemap_undated_in_backfill: ClassVar[bool] = False

    discovery_arguments: ClassVar[frozenset[str]] = frozenset({"feeds", "sitemaps"})

    def init_discovery(self, kwargs: dict) -> None:
        """Takes ``-a feeds=`` and ``-a sitemaps=`` out of the spider's arguments."""
        from scrapy.exceptions import UsageError

        for name in ("feeds", "sitemaps"):
            value = kwargs.pop(name, None)
            if value is not None:
                locations = split_locations(value)
                for location in locations:
                    if not (is_http_url(location) or location.startswith("/")):
                        raise UsageError(f"-a {name}: not an absolute http(s) URL or a path: {location!r}")
                setattr(self, name, locations)
        #: canonical article URLs linked from anywhere on the list pages read so far
        self._list_links_seen: set[str] = set()
        self._sitemaps_requested: set[str] = set()

    def _absolute(self, location: str) -> str:
        return location if is_http_url(location) else urljoin(self.base_url + "/", location.lstrip("/"))

    def feed_urls(self) -> list[str]:
        return list(dict.fromkeys(self._absolute(f) for f in self.feeds))

    def sitemap_urls(self) -> list[str]:
        return list(dict.fromkeys(self._absolute(s) for s in self.sitemaps))

    def wants_robots_sitemaps(self) -> bool:
        return bool(self.robots_sitemaps or self.since or self.until)

    def discovery_hosts(self) -> set[str]:
        return {urlsplit(u).hostname for u in [*self.feed_urls(), *self.sitemap_urls()] if urlsplit(u).hostname}

    # -- requests -------------------------------------------------------------------------
    def discovery_request(self, url: str, kind: str, callback) -> scrapy.Request:
        # handle_httpstatus_all: a missing feed (404) is an answer for the callback, not a fault
        return scrapy.Request(url, callback=callback, errback=self.discovery_failed, priority=5,
                              meta={DISCOVERY_META: kind, "handle_httpstatus_all": True})

    def discovery_requests(self) -> list[scrapy.Request]:
        """The feeds, sitemaps and robots.txt to read at the start of a run."""
        requests = [self.discovery_request(url, "feed", self.parse_feed) for url in self.feed_urls()]
        requests += [r for url in self.sitemap_urls() if (r := self.sitemap_request(url))]
        if self.wants_robots_sitemaps() and self.base_url:
            requests.append(self.discovery_request(urljoin(self.base_url + "/", "robots.txt"), "robots",
                                                   self.parse_robots))
        return requests

    def remember_list_links(self, response: Response) -> None:
        """Every article link on a list page, wherever on it: what the fallback compares with."""
        for anchor in response.selector.root.iter("a"):
            href = (anchor.get("href") or "").strip()
            if href and self.urls.is_article(href):
                self._list_links_seen.add(self.canonicalize(response.urljoin(href)))

    def sitemap_request(self, url: str) -> scrapy.Request | None:
        most = self.crawler.settings.getint("NEWSBOT_MAX_SITEMAPS", 50)
        if url in self._sitemaps_requested:
            return None
        if len(self._sitemaps_requested) >= most:
            self.crawler.stats.inc_value(f"{STAT}/sitemaps_over_limit")
            if len(self._sitemaps_requested) == most:
                self.logger.warning("Sitemap %s and any further ones not read: NEWSBOT_MAX_SITEMAPS=%d", url, most)
                self._sitemaps_requested.add(url)
            return None
        self._sitemaps_requested.add(url)
        return self.discovery_request(url, "sitemap", self.parse_sitemap)

    def discovery_failed(self, failure) -> None:
        request = failure.request
        kind = request.meta.get(DISCOVERY_META, "source")
        self.crawler.stats.inc_value(f"{STAT}/{kind}_failed")
        self.logger.info("Could not read the %s %s: %s", kind, request.url, failure.getErrorMessage())

    def _answered(self, response: Response, kind: str) -> bool:
        if response.status == 200:
            return True
        self.crawler.stats.inc_value(f"{STAT}/{kind}_unavailable")
        self.logger.info("No %s at %s (HTTP %d)", kind, response.url, response.status)
        return False

    # -- feeds ----------------------------------------------------------------------------
    def read_feed(self, response: Response) -> list[ListEntry]:
        """The entries of a feed response (counted); ``[]`` for a missing or unreadable feed."""
        if not self._answered(response, "feed"):
            return []
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        try:
            entries = feed_entries(response.body, response.url, content_type)
        except NotAFeed as exc:
            self.crawler.stats.inc_value(f"{STAT}/feed_unreadable")
            self.logger.warning("Feed %s is unreadable: %s", response.url, exc)
            return []
        self.crawler.stats.inc_value(f"{STAT}/feeds_read")
        self.crawler.stats.inc_value(f"{STAT}/feed_entries", len(entries))
        return [ListEntry(entry.url, entry.day) for entry in entries]

    def parse_feed(self, response: Response):
        entries = [e for e in self.read_feed(response) if self.urls.is_article(e.url)]
        yield from self.discovered(entries, "feed")

    # -- sitemaps -------------------------------------------------------------------------
    def robots_sitemap_urls(self, response: Response) -> list[str]:
        """The ``Sitemap:`` lines of a robots.txt response."""
        if not self._answered(response, "robots"):
            return []
        return [url for url in sitemap_urls_from_robots(response.body, base_url=response.url) if is_http_url(url)]

    def parse_robots(self, response: Response):
        for url in self.robots_sitemap_urls(response):
            request = self.sitemap_request(url)
            if request is not None:
                yield request

    def sitemap_window(self) -> date:
        """The earliest day an incremental run takes sitemap entries from."""
        days = self.crawler.settings.getfloat("NEWSBOT_SITEMAP_RECENT_DAYS", 2)
        return (datetime.now(KST) - timedelta(days=days)).date()

    def _sitemap_entry_wanted(self, day: date | None, news: bool) -> tuple[bool, date | None]:
        """(fetch it?, the day to plan it with)."""
        if self.since or self.until:
            if day is None:
                return self.sitemap_undated_in_backfill, None
            if self.since and day < self.since:
                return True, day  # the plan counts it out of range
            # a lastmod later than until says nothing of the publication: the article decides
            return True, day if news else None
        return (day is not None and day >= self.sitemap_window()), None

    def parse_sitemap(self, response: Response):
        if not self._answered(response, "sitemap"):
            return
        try:
            kind, entries = read_sitemap(response.body, self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        except NotASitemap as exc:
            self.crawler.stats.inc_value(f"{STAT}/sitemap_unreadable")
            self.logger.warning("Sitemap %s is unreadable: %s", response.url, exc)
            return
        stats = self.crawler.stats
        stats.inc_value(f"{STAT}/sitemaps_read")
        if kind == "sitemapindex":
            # a child last changed before the earliest day wanted holds nothing wanted
            earliest = self.since if (self.since or self.until) else self.sitemap_window()
            for entry in entries:
                if entry.day is None or earliest is None or entry.day >= earliest:
                    request = self.sitemap_request(entry.url)
                    if request is not None:
                        yield request
                else:
                    stats.inc_value(f"{STAT}/sitemaps_skipped_by_date")
            return
        stats.inc_value(f"{STAT}/sitemap_entries", len(entries))
        yield from self.discovered(self.sitemap_entries(entries), "sitemap")

    def sitemap_entries(self, entries) -> list[ListEntry]:
        """The sitemap's article entries this run wants, as list entries (the rest counted)."""
        wanted = []
        for entry in entries:
            if not self.urls.is_article(entry.url):
                continue
            fetch, day = self._sitemap_entry_wanted(entry.day, entry.news)
            if fetch:
                wanted.append(ListEntry(entry.url, day))
            else:
                self.crawler.stats.inc_value(f"{STAT}/sitemap_entries_not_wanted")
        return wanted

    # -- one path for every source ----------------------------------------------------------
    def discovered(self, entries: list[ListEntry], source: str):
        """Article requests for ``entries`` found by ``source`` ("feed", "sitemap", "home"),
        planned by the run's list walk like a list page's (see the module doc)."""
        if not entries:
            return
        stats = self.crawler.stats
        stats.inc_value("newsbot/article_links_found", len(entries))
        stats.inc_value(f"{STAT}/{source}_articles_found", len(entries))
        yield from self.planned_requests(self.list_walk().plan(entries, source=source))

    # -- list fallback ----------------------------------------------------------------------
    def fallback_list_entries(self, response: Response) -> list[ListEntry]:
        """Article links in the main content of a list page the family's selectors found none
        on (see the module doc); ``[]`` when there are none, or none not seen before."""
        links = main_content_links(response.selector.root, response.url, self.urls.is_article)
        stats = self.crawler.stats
        first_page = self.list_page_number(response.url) == self.first_page
        if not links:
            if first_page:
                stats.inc_value(f"{FALLBACK_STAT}/empty_first_pages")
            return []
        if not {self.canonicalize(url) for url in links} - self._list_links_seen:
            # the boxes every page repeats (gnuboard's notices, a sidebar): the end of the list
            self.logger.info("List page %s: no article links but those earlier list pages showed", response.url)
            return []
        stats.inc_value(f"{FALLBACK_STAT}/pages")
        stats.inc_value(f"{FALLBACK_STAT}/links", len(links))
        if stats.get_value(f"{FALLBACK_STAT}/example") is None:
            stats.set_value(f"{FALLBACK_STAT}/example", response.url)
        self.logger.warning("Layout drift: no article links where the %s list selectors look on %s; "
                            "%d found by URL shape in the page's main content", self.cms or self.name,
                            response.url, len(links))
        return [ListEntry(url) for url in links]
