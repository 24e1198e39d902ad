"""What every newsbot spider shares: arguments, start, list walking, the article callback.

A CMS (``newsbot/cms/<name>.py``) subclasses :class:`NewsSpider` and declares its URL
rules, where lists live and how article links look; an outlet subclasses its CMS's
spider with a ``name`` and a ``base_url``.

Arguments every spider takes (``scrapy crawl SITE -a NAME=VALUE``):

* ``start_urls=URL[,URL...]`` - begin listing there instead of the outlet's list pages;
* ``urls=URL[,URL...]`` - fetch exactly these articles, no discovery;
* ``max_pages=N`` - stop after N list pages per start URL;
* ``base_url=URL`` - the outlet's address (for mirrors, or a host that moved);
* ``site=ID``, ``outlet=NAME``, ``home_region=시·도 [시·군·구]`` - serve another outlet on
  the same CMS under its own identity (records ``ID:…``, output under ``OUTPUT_DIR/ID/``)
  instead of borrowing this spider's;
* ``since=YYYY-MM-DD``, ``until=YYYY-MM-DD`` - backfill: only articles published in that
  range (inclusive), walking back to ``since``.  Without them a run is incremental: it
  stops paging once list pages hold nothing new (newsbot/spiders/walk.py,
  docs/scheduling.md).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from typing import ClassVar
from urllib.parse import parse_qs, urljoin, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from newsbot.extensions.progress import ARTICLE_PAGES_STAT, LIST_PAGE_STAT, saw_date
from newsbot.extract.base import ArticlePage
from newsbot.items import ArticleItem
from newsbot.spiders.walk import ListEntry, ListWalk, PagePlan, backfill_range, parse_list_date
from newsbot.state import state_store
from newsbot.state.middleware import ARTICLE_META
from newsbot.urls import ArticleUrls, is_http_url
from newsbot.warc import WARC_META_KEY

# Scrapyd passes _job (and sometimes _version/settings) to every spider.
SCHEDULER_ARGS = frozenset({"_job", "_version", "settings"})
#: a site id names folders and record ids: letters, digits, "_" and "-" only
SITE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def split_urls(value: str | Iterable[str] | None, argument: str) -> list[str]:
    """``a,b`` (or a list) -> validated absolute http(s) URLs; a bad one is a usage error."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    urls = [u.strip() for u in items if u and u.strip()]
    for url in urls:
        if not is_http_url(url):
            raise UsageError(f"-a {argument}: not an absolute http(s) URL: {url!r}")
    return urls


class NewsSpider(scrapy.Spider):
    """Base for every outlet spider; see the module docstring for its arguments."""

    #: the CMS's name (a module of newsbot.cms) and its URL rules
    cms: ClassVar[str] = ""
    urls: ClassVar[type[ArticleUrls]] = ArticleUrls
    #: the outlet's id in records and folder names (default: the spider's name); -a site=
    site: str = ""
    #: human name of the outlet, for reports and docs; -a outlet=
    outlet: str = ""
    #: the 시·도 (and 시·군·구) the outlet reports on: settles shared district names; -a home_region=
    home_region: str | None = None
    #: the outlet's home, e.g. "http://www.gginews.kr"; overridable with -a base_url=
    base_url: str = ""
    #: list pages relative to base_url, walked newest first
    list_paths: ClassVar[tuple[str, ...]] = ()
    #: page-object class that extracts an article (one per CMS family)
    article_page: ClassVar[type[ArticlePage]] = ArticlePage
    #: article links on a list page: CSS for the list entries' <a href>
    list_link_css: ClassVar[str] = ""
    #: the list's page-number query parameter and its first value
    page_param: ClassVar[str] = "page"
    first_page: ClassVar[int] = 1
    #: optional, for lists that print a date per entry (backfills then skip out-of-range
    #: entries unfetched and stop at ``since``): the entry element, the article link and
    #: the date inside it
    list_item_css: ClassVar[str] = ""
    list_item_link_css: ClassVar[str] = ""
    list_item_date_css: ClassVar[str] = ""
    #: which pages need a real browser ("list", "article"); any makes the crawl start one
    #: (newsbot/browser.py, docs/browser.md).  Empty: everything stays on the plain downloader.
    browser_pages: ClassVar[frozenset[str]] = frozenset()
    #: a "더보기" (load more) button to press on rendered pages until it is gone
    browser_more_css: ClassVar[str] = ""

    accepted_arguments: ClassVar[frozenset[str]] = frozenset(
        {"start_urls", "urls", "max_pages", "base_url", "since", "until", "site", "outlet", "home_region"}
    )

    def __init__(self, name: str | None = None, **kwargs):
        unknown = set(kwargs) - self.accepted_arguments - SCHEDULER_ARGS
        if unknown:
            known = ", ".join(sorted(self.accepted_arguments))
            raise UsageError(f"unknown argument(s) {', '.join(sorted(unknown))} for spider {self.name!r} (known: {known})")
        base_url = kwargs.pop("base_url", None)
        if base_url:
            if not is_http_url(base_url):
                raise UsageError(f"-a base_url: not an absolute http(s) URL: {base_url!r}")
            self.base_url = base_url.rstrip("/")
        self.article_urls = split_urls(kwargs.pop("urls", None), "urls")
        start_urls = split_urls(kwargs.pop("start_urls", None), "start_urls")
        max_pages = kwargs.pop("max_pages", None)
        try:
            self.max_pages = int(max_pages) if max_pages is not None else None
        except ValueError:
            raise UsageError(f"-a max_pages: not a whole number: {max_pages!r}") from None
        # Validated before anything is opened: a bad date writes no file and no state.
        self.since, self.until = backfill_range(kwargs.pop("since", None), kwargs.pop("until", None))
        site = kwargs.pop("site", None)
        if site is not None and not SITE_ID.match(site):
            raise UsageError(f"-a site: not a site id (letters, digits, _ and -): {site!r}")
        if site is not None and site != (self.site or self.name):
            # Another outlet on this CMS: nothing of this spider's own outlet carries over.
            self.outlet, self.home_region = site, None
        self.outlet = kwargs.pop("outlet", None) or self.outlet
        self.home_region = kwargs.pop("home_region", None) or self.home_region
        self._walk: ListWalk | None = None
        super().__init__(name, **kwargs)
        self.site = site or self.site or self.name
        self.start_urls = start_urls or [urljoin(self.base_url + "/", p.lstrip("/")) for p in self.list_paths]
        hosts = {urlsplit(u).hostname for u in [*self.start_urls, *self.article_urls, self.base_url] if u}
        self.allowed_domains = sorted(h for h in hosts if h)

    @classmethod
    def update_settings(cls, settings) -> None:
        super().update_settings(settings)
        if cls.browser_pages:
            # "spider" priority: a -s BROWSER_ENABLED=0 on the command line still wins.
            settings.set("BROWSER_ENABLED", True, priority="spider")
        if settings.getbool("BROWSER_ENABLED") and not settings.get("REPLAY_WARC"):
            # Here, before the crawl starts, a missing Chromium is one usage-error line.
            from newsbot.browser import find_chromium

            find_chromium(settings.get("BROWSER_EXECUTABLE"))

    def browser_meta(self, kind: str) -> dict:
        """Request meta for a page of this kind: a browser request when the spider opted in."""
        if kind not in self.browser_pages:
            return {}
        return {"newsbot_browser": {"more_css": self.browser_more_css} if self.browser_more_css else True}

    @classmethod
    def canonicalize(cls, url: str) -> str:
        """The one spelling of an article URL that dedupe and ids use (the CMS's rule)."""
        return cls.urls.canonicalize(url)

    # -- start ---------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.article_urls:
            for url in self.article_urls:
                yield self.article_request(url)
            return
        self.list_walk()  # opens the walk in the state store before the first list page
        for url in self.list_start_urls():
            yield self.list_request(url)

    def list_start_urls(self) -> list[str]:
        """Where list walks begin.  Families whose CMS filters lists by date or id override
        this for backfills (``self.since``/``self.until`` set) to start near the range."""
        return self.start_urls

    def list_walk(self) -> ListWalk:
        """This run's walk: what to fetch from a list page and when to stop paging."""
        if self._walk is None:
            self._walk = ListWalk(state_store(self.crawler), self.crawler.settings, self.canonicalize,
                                  since=self.since, until=self.until)
        return self._walk

    def closed(self, reason: str) -> None:
        if self._walk is not None and reason == "finished":
            self._walk.finish()

    # -- list pages ----------------------------------------------------------
    def list_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_list, meta=self.browser_meta("list"))

    def article_request(self, url: str, **kwargs) -> scrapy.Request:
        kwargs["meta"] = {**self.browser_meta("article"), **kwargs.get("meta", {})}
        kwargs.setdefault("errback", self.article_failed)
        # Articles before further list pages: a crawl cut short still has whole articles.
        return scrapy.Request(url, callback=self.parse_article, priority=10, **kwargs)

    def article_failed(self, failure) -> None:
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            return  # skipped on purpose (already recorded, robots.txt), not a failure
        self.crawler.stats.inc_value("newsbot/articles_failed")
        self.logger.warning("Article failed: %s (%s)", failure.request.url, failure.getErrorMessage())

    def article_links(self, response: Response) -> list[str]:
        """Absolute article URLs on a list page, in page order, each once."""
        hrefs = response.css(self.list_link_css).getall() if self.list_link_css else []
        links = [response.urljoin(h.strip()) for h in hrefs if self.urls.is_article(h)]
        return list(dict.fromkeys(links))

    def list_entries(self, response: Response) -> list[ListEntry]:
        """The articles on a list page, in page order, each once, dated when the list prints dates."""
        if not (self.list_item_css and self.list_item_link_css and self.list_item_date_css):
            return [ListEntry(url) for url in self.article_links(response)]
        entries: dict[str, ListEntry] = {}
        for node in response.css(self.list_item_css):
            day = parse_list_date(" ".join(node.css(self.list_item_date_css).getall()))
            for href in node.css(self.list_item_link_css).getall():
                if self.urls.is_article(href):
                    url = response.urljoin(href.strip())
                    entries.setdefault(url, ListEntry(url, day))
        return list(entries.values())

    def list_page_number(self, url: str) -> int:
        values = parse_qs(urlsplit(url).query).get(self.page_param)
        try:
            return int(values[0]) if values else self.first_page
        except ValueError:
            return self.first_page

    def next_list_url(self, response: Response) -> str | None:
        """The next (older) list page; None when the walk should stop."""
        page = self.list_page_number(response.url)
        if self.max_pages is not None and page - self.first_page + 1 >= self.max_pages:
            return None
        return add_or_replace_parameter(response.url, self.page_param, str(page + 1))

    def parse_list(self, response: Response):
        entries = self.list_entries(response)
        stats = self.crawler.stats
        stats.inc_value("newsbot/list_pages")
        # Where the walk is, for the progress line (newsbot/extensions/progress.py)
        stats.set_value(LIST_PAGE_STAT, response.url)
        stats.set_value("newsbot/walk/list_page_number", self.list_page_number(response.url))
        for entry in entries:
            saw_date(stats, entry.day)
        if not entries:
            # The end of the archive, or a list layout this spider no longer understands.
            self.crawler.stats.inc_value("newsbot/list_pages_without_articles")
            self.logger.info("No article links on list page %s: stopping this list", response.url)
            return
        stats.inc_value("newsbot/article_links_found", len(entries))
        plan: PagePlan = self.list_walk().plan(entries)
        stats.inc_value("newsbot/skipped_out_of_range", plan.out_of_range)
        stats.inc_value("newsbot/skipped_already_recorded", plan.recorded - sum(k == "recheck" for _, k in plan.fetch))
        for url, kind in plan.fetch:
            stats.inc_value(f"newsbot/article_requests/{kind}")
            yield self.article_request(url, meta={ARTICLE_META: kind})
        if plan.stop:
            self.logger.info("List walk ends at %s: %s", response.url, plan.stop)
            return
        next_url = self.next_list_url(response)
        if next_url:
            yield self.list_request(next_url)

    # -- articles ------------------------------------------------------------
    def parse_article(self, response: Response):
        self.crawler.stats.inc_value(ARTICLE_PAGES_STAT)
        page = self.article_page(response.url, response.selector)
        reason = page.not_an_article()
        if reason:
            # A CMS error page (e.g. gnuboard's "post does not exist" alert, served as 200):
            # nothing to record and no layout change to report.
            self.crawler.stats.inc_value("newsbot/not_an_article")
            self.logger.info("Not an article (%s): %s", reason, response.url)
            return
        item = ArticleItem(site=self.site, **page.to_dict())
        warc = response.meta.get(WARC_META_KEY) or {}
        item["warc_filename"] = warc.get("filename")
        item["warc_record_id"] = warc.get("record_id")
        yield item
