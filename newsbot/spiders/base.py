"""What every newsbot spider shares: arguments, start, list walking, the article callback.

A CMS (``newsbot/cms/<name>.py``) subclasses :class:`NewsSpider` and declares its URL
rules, where lists live and how article links look; an outlet is an entry of the outlet
registry, built into a subclass of its CMS's spider (newsbot/spiders/registry.py).

Arguments every spider takes (``scrapy crawl SITE -a NAME=VALUE``):

* ``start_urls=URL[,URL...]`` - begin listing there instead of the outlet's list pages;
* ``urls=URL[,URL...]`` - fetch exactly these articles, no discovery;
* ``max_pages=N`` - stop after N list pages per start URL;
* ``base_url=URL`` - the outlet's address (for mirrors, or a host that moved);
* ``allow_foreign=1`` - crawl ``urls``/``start_urls`` that are not the outlet's (another
  origin, or not an article URL of its CMS) anyway; their records carry the extraction
  warning ``url:foreign`` and the report the problem ``foreign_urls``.  Without it such a
  URL is a usage error: requests and redirects stay on the outlet's origins
  (:mod:`newsbot.offsite`);
* ``site=ID``, ``outlet=NAME``, ``home_region=시·도 [시·군·구]`` - serve another outlet on
  the same CMS under its own identity (records ``ID:…``, output under ``OUTPUT_DIR/ID/``)
  instead of borrowing this spider's;
* ``feeds=URL[,URL...]``, ``sitemaps=URL[,URL...]`` - RSS/Atom feeds and XML sitemaps to
  discover articles in besides the list pages (newsbot/spiders/discovery.py);
* ``since=YYYY-MM-DD``, ``until=YYYY-MM-DD`` - backfill: only articles published in that
  range (inclusive), walking back to ``since``.  Without them a run is incremental: it
  stops paging once list pages hold nothing new (newsbot/spiders/walk.py,
  docs/scheduling.md).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Iterable
from typing import ClassVar
from urllib.parse import parse_qs, urljoin, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from newsbot import exitcodes
from newsbot.extensions.accounting import article_accounts, failure_reason
from newsbot.extensions.progress import ARTICLE_PAGES_STAT, LIST_PAGE_STAT, saw_date
from newsbot.extract.base import ArticlePage
from newsbot.faults import original_url
from newsbot.items import ArticleItem
from newsbot.spiders.discovery import DiscoveryMixin
from newsbot.spiders.walk import ListEntry, ListWalk, PagePlan, backfill_range, parse_list_date
from newsbot.state import state_store
from newsbot.state.middleware import ARTICLE_META
from newsbot.urls import ArticleUrls, has_credentials, is_http_url, on_origins, origin, redact_credentials
from newsbot.warc import WARC_META_KEY, warc_date_iso

# Scrapyd passes _job (and sometimes _version/settings) to every spider.
SCHEDULER_ARGS = frozenset({"_job", "_version", "settings"})
#: the extraction warning of a record whose URL is not the outlet's (``-a allow_foreign=1``)
FOREIGN_WARNING = "url:foreign"
#: list request meta: the walk a list page belongs to, ``{"start": start URL, "page": pages
#: walked from it so far, this one included}``
LIST_META = "newsbot_list"
#: how a list walk may end that leaves older list pages unwalked: the walk is not finished
#: in the state store, so the next run does not trust "nothing new" until past its floor
INCOMPLETE_WALK_ENDS = frozenset({"max_list_pages", "list_page_failed", "robots_txt"})
#: a site id names folders and record ids: letters, digits, "_" and "-" only
SITE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def check_url_argument(url: str, argument: str) -> None:
    """An absolute http(s) URL without user-info, else a usage error that never shows a
    password (a crawler sends no credentials it was given in a URL: they would end up in
    the log, the WARC and the records)."""
    if has_credentials(url):
        raise UsageError(f"-a {argument}: a URL with user credentials is not accepted: {redact_credentials(url)!r}")
    if not is_http_url(url):
        raise UsageError(f"-a {argument}: not an absolute http(s) URL: {url!r}")


def split_urls(value: str | Iterable[str] | None, argument: str) -> list[str]:
    """``a,b`` (or a list) -> validated absolute http(s) URLs; a bad one is a usage error."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    urls = [u.strip() for u in items if u and u.strip()]
    for url in urls:
        check_url_argument(url, argument)
    return urls


class NewsSpider(DiscoveryMixin, scrapy.Spider):
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
    #: origins (``scheme://host[:port]``) besides base_url's that this outlet's requests may
    #: go to, e.g. a photo CDN; anything else is not requested (newsbot/offsite.py)
    allowed_origins: ClassVar[tuple[str, ...]] = ()
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
    #: (newsbot/browser/, docs/browser.md).  Empty: everything stays on the plain downloader.
    browser_pages: ClassVar[frozenset[str]] = frozenset()
    #: a "더보기" (load more) button to press on rendered pages until it is gone
    browser_more_css: ClassVar[str] = ""

    accepted_arguments: ClassVar[frozenset[str]] = frozenset(
        {"start_urls", "urls", "max_pages", "base_url", "since", "until", "site", "outlet", "home_region",
         "allow_foreign"}
    ) | DiscoveryMixin.discovery_arguments

    def __init__(self, name: str | None = None, **kwargs):
        unknown = set(kwargs) - self.accepted_arguments - SCHEDULER_ARGS
        if unknown:
            known = ", ".join(sorted(self.accepted_arguments))
            raise UsageError(f"unknown argument(s) {', '.join(sorted(unknown))} for spider {self.name!r} (known: {known})")
        base_url = kwargs.pop("base_url", None)
        if base_url:
            check_url_argument(base_url, "base_url")
            self.base_url = base_url.rstrip("/")
        self.article_urls = split_urls(kwargs.pop("urls", None), "urls")
        start_urls = split_urls(kwargs.pop("start_urls", None), "start_urls")
        allow_foreign = str(kwargs.pop("allow_foreign", "0")).strip().lower()
        if allow_foreign not in ("0", "1", "true", "false", "yes", "no", ""):
            raise UsageError(f"-a allow_foreign: 1 or 0, not {allow_foreign!r}")
        self.allow_foreign = allow_foreign in ("1", "true", "yes")
        self.foreign_given: list[str] = []   # URL arguments crawled only by allow_foreign
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
        #: per walk (start URL): the signatures of the list pages seen, to find a repeated one
        self._list_signatures: dict[str, dict[str, str]] = {}
        self._walk_incomplete = False
        self.init_discovery(kwargs)
        super().__init__(name, **kwargs)
        self.site = site or self.site or self.name
        self.start_urls = start_urls or [urljoin(self.base_url + "/", p.lstrip("/")) for p in self.list_paths]
        hosts = {urlsplit(u).hostname for u in [*self.start_urls, *self.article_urls, self.base_url] if u}
        self.allowed_domains = sorted(h for h in hosts | self.discovery_hosts() if h)
        #: the outlet's own origins: base_url's and the declared ones (what is not foreign)
        self.outlet_origins = frozenset(o for o in (origin(u) for u in [self.base_url, *self.allowed_origins]) if o)
        #: where this crawl's requests and redirects may go (newsbot/offsite.py): the outlet's,
        #: and those of the start and article URLs, feeds and sitemaps it was given
        self.origins = self.outlet_origins | {
            o for o in (origin(u) for u in [*self.start_urls, *self.article_urls, *self.feed_urls(), *self.sitemap_urls()])
            if o}
        if base_url and site is None:
            self.warn_borrowed_identity()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.check_foreign_urls(crawler.settings)
        return spider

    def is_foreign(self, url: str) -> bool:
        """An article URL that is not this outlet's: another origin, or no article URL of its CMS."""
        return not on_origins(url, self.outlet_origins) or not self.urls.is_article(url)

    def check_foreign_urls(self, settings) -> None:
        """``-a urls``/``-a start_urls`` must be the outlet's (else a usage error naming the
        URL), unless ``-a allow_foreign=1``: then the crawl report says so.  A re-parse's
        URLs are the archive's own articles of this spider (``NEWSBOT_URLS_FROM_ARCHIVE``):
        their origins are the outlet's, whatever base_url that crawl had."""
        if settings.getbool("NEWSBOT_URLS_FROM_ARCHIVE"):
            self.outlet_origins = self.origins
            return
        foreign = [("urls", u) for u in self.article_urls if self.is_foreign(u)]
        foreign += [("start_urls", u) for u in self.start_urls if not on_origins(u, self.outlet_origins)]
        if not foreign:
            return
        argument, url = foreign[0]
        site = self.base_url or "no base_url"
        if not self.allow_foreign:
            if not on_origins(url, self.outlet_origins):
                what = f"not on {self.name}'s site ({site}); give -a base_url= for a mirror, or"
            else:
                what = f"not an article URL of {self.name} ({self.cms or 'its'} CMS);"
            raise UsageError(f"-a {argument}: {url!r} is {what} -a allow_foreign=1 crawls it anyway")
        self.foreign_given = [u for _, u in foreign]   # reported when the crawl starts (stats exist then)

    def report_foreign_urls(self) -> None:
        if not self.foreign_given:
            return
        stats, foreign = self.crawler.stats, self.foreign_given
        stats.set_value("newsbot/foreign_urls", len(foreign))
        exitcodes.report_problem(stats, "foreign_urls",
                                 f"{len(foreign)} URL(s) given are not {self.name}'s (first: {foreign[0]}): crawled "
                                 f"anyway (-a allow_foreign=1), their records flagged url:foreign", exitcodes.OK)
        self.logger.warning("Crawling URLs that are not %s's (-a allow_foreign=1): %s", self.name, " ".join(foreign))

    def warn_borrowed_identity(self) -> None:
        """A family spider pointed at another host keeps its own outlet's identity: say so.

        ``-a base_url`` alone is for the same outlet on a mirror or a new host; another outlet
        on the same CMS needs ``-a site=`` (and ``-a outlet=``, ``-a home_region=``), or its
        records carry this spider's id and home region (docs/adding-an-outlet.md)."""
        own = urlsplit(type(self).base_url).hostname if type(self).base_url else None
        given = urlsplit(self.base_url).hostname
        if own is None or given is None or given.removeprefix("www.") == own.removeprefix("www."):
            return
        self.logger.warning(
            "-a base_url=%s is not %s's host (%s): records will be labelled %s:… (outlet %s, home region %s). "
            "Another outlet on this CMS: add -a site=ID -a outlet=NAME [-a home_region=…]",
            self.base_url, self.name, own, self.site, self.outlet or "-", self.home_region or "-")

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

    @classmethod
    def archived_url_rules(cls, urls: Iterable[str]) -> type[ArticleUrls]:
        """The URL rules a re-parse picks an archive's articles with (``urls``: every URL the
        archive holds): the CMS's own; a CMS that learns its rules learns them from ``urls``."""
        return cls.urls

    # -- start ---------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.report_foreign_urls()
        if self.article_urls:
            for url in self.article_urls:
                yield self.article_request(url)
            return
        self.list_walk()  # opens the walk in the state store before the first list page
        for request in self.discovery_requests():  # feeds, sitemaps: newsbot/spiders/discovery.py
            yield request
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
        if self._walk is not None and reason == "finished" and not self._walk_incomplete:
            self._walk.finish()

    # -- list pages ----------------------------------------------------------
    def list_request(self, url: str) -> scrapy.Request:
        """A list page; the first of a walk (:meth:`parse_list` marks the next ones as its own)."""
        meta = {**self.browser_meta("list"), LIST_META: {"start": url, "page": 1}}
        return scrapy.Request(url, callback=self.parse_list, errback=self.list_failed, meta=meta)

    def article_request(self, url: str, **kwargs) -> scrapy.Request:
        kwargs["meta"] = {**self.browser_meta("article"), **kwargs.get("meta", {})}
        kwargs.setdefault("errback", self.article_failed)
        accounts = article_accounts(self.crawler)
        if accounts is not None:
            accounts.seen(url)
        # Articles before further list pages: a crawl cut short still has whole articles.
        return scrapy.Request(url, callback=self.parse_article, priority=10, **kwargs)

    def article_failed(self, failure) -> None:
        accounts = article_accounts(self.crawler)
        if accounts is not None:  # (a fault already counted keeps its own reason)
            accounts.fail(original_url(failure.request), failure_reason(failure))
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            return  # counted where it was raised (a fault, already recorded, robots.txt)
        self.crawler.stats.inc_value("newsbot/articles_failed")
        self.logger.warning("Article failed: %s (%s)", failure.request.url, failure.getErrorMessage())

    def list_failed(self, failure) -> None:
        """A list page that could not be fetched (its fault is counted and logged by newsbot.faults)."""
        walk = failure.request.meta.get(LIST_META) or {"start": failure.request.url, "page": 1}
        if failure_reason(failure) == "robots_txt":
            self.crawler.stats.inc_value("newsbot/list_pages_forbidden_by_robots")
            self.logger.warning("robots.txt forbids the list page %s: this list walk ends", failure.request.url)
            self.end_walk(walk, "robots_txt")
        else:
            self.end_walk(walk, "list_page_failed")

    def end_walk(self, walk: dict, why: str) -> None:
        """A list walk ends: counted by why (``newsbot/list_walk_end/<why>``, in the report)."""
        self.crawler.stats.inc_value(f"newsbot/list_walk_end/{why}")
        if why in INCOMPLETE_WALK_ENDS:
            self._walk_incomplete = True
        if why == "max_list_pages":
            exitcodes.report_problem(
                self.crawler.stats, "list_walk_cut",
                f"the list walk from {walk['start']} was cut after {walk['page']} pages by "
                f"NEWSBOT_MAX_LIST_PAGES={self.max_list_pages}: older list pages were not walked (raise the "
                f"setting, or backfill in ranges with -a since/until)", exitcodes.LIST_WALK_CUT)

    @property
    def max_list_pages(self) -> int:
        return self.crawler.settings.getint("NEWSBOT_MAX_LIST_PAGES", 5000)

    def repeated_list_page(self, walk: dict, response: Response, canonical_urls: list[str]) -> str | None:
        """The earlier page of this walk that ``response`` repeats (same article set, or the
        same bytes), if any.  Many CMSes answer every page number past the end of a list
        with its last page (or its first): without this, a walk to the end never ends."""
        seen = self._list_signatures.setdefault(walk["start"], {})
        signatures = ("links:" + hashlib.sha1("\n".join(sorted(set(canonical_urls))).encode()).hexdigest(),
                      "body:" + hashlib.sha1(response.body).hexdigest())
        for signature in signatures:
            if signature in seen:
                return seen[signature]
        for signature in signatures:
            seen[signature] = response.url
        return None

    def article_links(self, response: Response) -> list[str]:
        """Absolute article URLs on a list page, in page order, each once."""
        hrefs = response.css(self.list_link_css).getall() if self.list_link_css else []
        links = [response.urljoin(h.strip()) for h in hrefs if self.urls.is_article(h)]
        return list(dict.fromkeys(links))

    def list_entries(self, response: Response) -> list[ListEntry]:
        """The articles on a list page, in page order, each once, dated when the list prints
        dates; when the family's selectors find none, those the list fallback finds
        (:meth:`~newsbot.spiders.discovery.DiscoveryMixin.fallback_list_entries`: layout drift)."""
        entries = self.family_list_entries(response) or self.fallback_list_entries(response)
        self.remember_list_links(response)
        return entries

    def family_list_entries(self, response: Response) -> list[ListEntry]:
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
        # (a response built without a request, as tests and tools make them, has no meta)
        walk = (response.meta.get(LIST_META) if response.request is not None else None) or {
            "start": response.url, "page": 1}
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
            self.end_walk(walk, "no_links")
            return
        repeats = self.repeated_list_page(walk, response, [self.canonicalize(e.url) for e in entries])
        if repeats:
            self.logger.info("List page %s repeats %s: the end of this list", response.url, repeats)
            self.end_walk(walk, "repeated_page")
            return
        stats.inc_value("newsbot/article_links_found", len(entries))
        plan: PagePlan = self.list_walk().plan(entries)
        yield from self.planned_requests(plan)
        if plan.stop:
            self.logger.info("List walk ends at %s: %s", response.url, plan.stop)
            self.end_walk(walk, plan.stop_kind)
            return
        next_url = self.next_list_url(response)
        if not next_url:
            self.end_walk(walk, "max_pages")   # -a max_pages: as far as asked
        elif walk["page"] >= self.max_list_pages:
            self.logger.warning("List walk from %s stops after %d pages (NEWSBOT_MAX_LIST_PAGES) at %s",
                                walk["start"], walk["page"], response.url)
            self.end_walk(walk, "max_list_pages")
        else:
            request = self.list_request(next_url)
            request.meta[LIST_META] = {"start": walk["start"], "page": walk["page"] + 1}
            yield request

    def planned_requests(self, plan: PagePlan):
        """The article requests of a list page's (or a feed's, a sitemap's) plan, its skipped
        entries counted and accounted for."""
        stats = self.crawler.stats
        stats.inc_value("newsbot/skipped_out_of_range", plan.out_of_range)
        stats.inc_value("newsbot/skipped_already_recorded", plan.recorded - sum(k == "recheck" for _, k in plan.fetch))
        accounts = article_accounts(self.crawler)
        if accounts is not None:
            for url, outcome in plan.skipped:
                accounts.settle(url, outcome)
        for url, kind in plan.fetch:
            stats.inc_value(f"newsbot/article_requests/{kind}")
            yield self.article_request(url, meta={ARTICLE_META: kind})

    # -- articles ------------------------------------------------------------
    def parse_article(self, response: Response):
        self.crawler.stats.inc_value(ARTICLE_PAGES_STAT)
        page = self.article_page(response.url, response.selector)
        reason = page.not_an_article()
        accounts = article_accounts(self.crawler)
        if accounts is not None and response.request is not None and original_url(response.request) != response.url:
            accounts.merge(original_url(response.request), response.url)   # a redirect: one article
        if reason:
            # A CMS error page (e.g. gnuboard's "post does not exist" alert, served as 200):
            # nothing to record and no layout change to report.
            self.crawler.stats.inc_value("newsbot/not_an_article")
            self.logger.info("Not an article (%s): %s", reason, response.url)
            if accounts is not None:
                accounts.settle(response.url, "not_an_article")
            return
        item = ArticleItem(site=self.site, **page.to_dict())
        if self.is_foreign((response.meta.get("redirect_urls") or [response.url])[0]):
            # only -a allow_foreign=1 lets such a page be requested (newsbot/offsite.py)
            item["extraction_warnings"] = [*(item.get("extraction_warnings") or []), FOREIGN_WARNING]
        warc = response.meta.get(WARC_META_KEY) or {}
        item["warc_filename"] = warc.get("filename")
        item["warc_record_id"] = warc.get("record_id")
        # when the response was received, as its WARC record says: the same in a crawl and
        # in any later re-parse of it (None without an archive: the pipeline takes "now")
        item["crawled_at"] = warc_date_iso(warc.get("date"))
        yield item

    # -- page requisites (newsbot/warc/requisites.py) --------------------------
    # Spider methods, so the requests can be stored (JOBDIR, a cluster's queue); the
    # requisites middleware that scheduled them does the work.
    def parse_requisite(self, response):
        from newsbot.warc.requisites import requisites_middleware

        middleware = requisites_middleware(self.crawler)
        return middleware.parsed(response) if middleware is not None else []

    def requisite_failed(self, failure) -> None:
        from newsbot.warc.requisites import requisites_middleware

        middleware = requisites_middleware(self.crawler)
        if middleware is not None:
            middleware.failed(failure)
