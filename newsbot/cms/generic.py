"""Any outlet, on a CMS nobody here has named: ``scrapy crawl generic -a base_url=URL -a site=ID``.

Nothing is known in advance but the outlet's address, so the spider learns:

1. **where articles are listed**: its feeds (``feeds``, ``-a feeds=``, and those its home page
   announces in ``<link rel="alternate" type="application/rss+xml">``), the ``Sitemap:`` lines
   of its robots.txt and any ``sitemaps`` given, and its home page (``list_paths``, default
   ``/``; ``-a start_urls=`` for other pages to read links from);
2. **what an article URL looks like**: once the home page, the feeds and robots.txt have
   answered, the shape with the most distinct article ids among the home page's links and
   the feeds' entries (which count three times: a feed lists articles only) is the
   outlet's article shape (:mod:`newsbot.discovery.patterns`: ``/news/article.html?no=<id>``,
   ``/article/<id>`` ...).  It is logged, counted in the report (``discovery.url_shape``) and
   kept in the state store, so the next run names articles the same way even if its home
   page shows too few links to learn from; a run that learns another shape says so;
3. **the article's fields**: the page object has no selectors, so every field comes from
   the extraction layers after them (structured metadata, labelled Korean text,
   trafilatura for the body: :mod:`newsbot.extract.layers`), each named in ``provenance``.

Records carry the outlet's own ``site`` and an ``id`` from the learned id (``ID:<id>``;
``ID:url:<hash>`` for a feed entry of another shape).  The bare ``generic`` spider refuses
to run without ``-a site=``: it must never label an outlet's records ``generic:``.  An
outlet in the registry (newsbot/data/outlets.toml, ``cms = "generic"``) is a subclass with
its own name, host, feeds and home region.

Re-parsing (``scrapy reparse generic WARC… -a site=ID -a base_url=URL``): the shape is
learned again, from the archived URLs (mostly the articles the crawl fetched): see
:meth:`GenericSpider.archived_url_rules`.

Canonical URLs: an article of the learned shape is named by its path and id alone
(``/news/article.html?no=5102``: a section or page parameter beside the id spells the same
article); any other URL keeps every query parameter but tracking and list-context ones
(``page``, ``sort``, search words): without a CMS's rules, any other parameter may name it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.exceptions import UsageError
from scrapy.http import Response

from newsbot.discovery.links import page_links
from newsbot.discovery.patterns import UrlShape, learn_shape
from newsbot.extract.base import ArticlePage
from newsbot.spiders.base import NewsSpider
from newsbot.spiders.walk import ListEntry
from newsbot.state import state_store
from newsbot.urls import ArticleUrls, on_origins

#: query parameters that place a link in a list, not name an article
LIST_CONTEXT_PARAMS = frozenset({
    "page", "pagenum", "pageno", "cpage", "sort", "order", "view_type", "list_type", "search", "keyword",
    "query", "sfl", "stx", "sca", "sst", "sod", "sop", "spt",
})
#: the state-store mark holding the shape learned last
SHAPE_MARK = "generic_url_shape"
#: request meta of the requests whose answers the shape is learned from
GATE_META = "newsbot_generic_gate"


def announced_feeds(response: Response) -> list[str]:
    """Absolute URLs of the RSS/Atom feeds a page names in its ``<link rel="alternate">``."""
    hrefs = response.xpath(
        "//link[contains(concat(' ', normalize-space(@rel), ' '), ' alternate ')]"
        "[contains(@type, 'rss') or contains(@type, 'atom')]/@href").getall()
    return list(dict.fromkeys(response.urljoin(href.strip()) for href in hrefs if href.strip()))


class GenericUrls(ArticleUrls):
    """URL rules of an outlet whose CMS is unknown: which URLs are articles and their ids
    come from a learned :class:`~newsbot.discovery.patterns.UrlShape` (:meth:`learned`
    makes the class for one); this base knows none (no URL is an article)."""

    canonical_drop_params = LIST_CONTEXT_PARAMS
    shape: ClassVar[UrlShape | None] = None
    #: relative hrefs are resolved against it
    base_url: ClassVar[str] = ""

    @classmethod
    def learned(cls, shape: UrlShape | None, base_url: str = "") -> type[GenericUrls]:
        if shape is None:
            return cls
        return type("LearnedUrls", (cls,), {"shape": shape, "base_url": base_url,
                                            "__doc__": f"Articles are {shape.describe()}"})

    @classmethod
    def _absolute(cls, url: str) -> str:
        return urljoin(cls.base_url + "/", url) if cls.base_url else url

    @classmethod
    def is_article(cls, url: str) -> bool:
        return cls.shape is not None and cls.shape.matches(cls._absolute(url))

    @classmethod
    def article_id(cls, url: str) -> str | None:
        return cls.shape.article_id(cls._absolute(url)) if cls.shape is not None else None

    @classmethod
    def canonicalize(cls, url: str) -> str:
        """An article URL of the learned shape is named by its id alone (``?no=5102``, the path
        for a path id): the list's section or page parameters beside it spell the same
        article.  Any other URL keeps every parameter but tracking and list context."""
        if cls.shape is not None:
            absolute = cls._absolute(url)
            article_id = cls.shape.article_id(absolute)
            if article_id is not None:
                parts = urlsplit(absolute)
                query = urlencode({cls.shape.id_param: article_id}) if cls.shape.id_param else ""
                path = parts.path if cls.shape.id_param else parts.path.rstrip("/")  # /article/77/ = /article/77
                url = urlunsplit((parts.scheme, parts.netloc, path, query, ""))
        return super().canonicalize(url)


class GenericArticle(ArticlePage):
    """No selectors: layers (b)-(d) find every field (newsbot/extract/layers.py)."""

    urls = GenericUrls


class GenericSpider(NewsSpider):
    name = "generic"
    cms = "generic"
    urls = GenericUrls
    article_page = GenericArticle
    #: pages whose links the article shape is learned from and articles taken (not paged)
    list_paths = ("/",)
    robots_sitemaps = True
    sitemap_undated_in_backfill = True

    def is_foreign(self, url: str) -> bool:
        """Only another origin is foreign: the URLs given (-a urls) are what the article shape
        is learned from, not judged by it."""
        return not on_origins(url, self.outlet_origins)

    def __init__(self, name: str | None = None, **kwargs):
        base_url = kwargs.get("base_url") or self.base_url
        if not base_url:
            raise UsageError(f"spider {name or self.name!r} needs -a base_url=URL (the outlet's home page)")
        if (name or self.name) == GenericSpider.name and not kwargs.get("site"):
            raise UsageError("the generic spider needs -a site=ID (the outlet's id in records and folders: "
                             "letters, digits, _ and -), and should get -a outlet=NAME and -a home_region=…")
        super().__init__(name, **kwargs)
        self.shape: UrlShape | None = None
        self._gate: set[str] = set()       # discovery answers still awaited before learning
        self._home_links: list[str] = []
        self._feed_entries: list[ListEntry] = []
        self._later_sitemaps: list[str] = []
        self._learned = False

    # -- the learned shape ----------------------------------------------------------------
    def canonicalize(self, url: str) -> str:  # type: ignore[override]
        """The learned shape's rule (an instance's: each outlet learns its own); every
        component asks the spider (:func:`newsbot.urls.canonical_rule`)."""
        return self.urls.canonicalize(url)

    def use_shape(self, shape: UrlShape | None) -> None:
        """From now on, articles are URLs of ``shape`` (None: no URL shape known)."""
        self.shape = shape
        # instance attributes: every component asks the spider (canonical_rule, page objects)
        self.urls = GenericUrls.learned(shape, self.base_url)
        self.article_page = type("LearnedArticle", (GenericArticle,), {"urls": self.urls})
        if shape is not None:
            self.crawler.stats.set_value("newsbot/generic/url_shape", shape.describe())

    def stored_shape(self) -> UrlShape | None:
        value = state_store(self.crawler).get_mark(SHAPE_MARK)
        try:
            return UrlShape.from_dict(value) if value else None
        except (KeyError, TypeError):
            return None

    def ensure_shape(self) -> None:
        """Articles parsed before any learning (earlier runs' failures, retried first) use the
        shape the state store kept."""
        if self.shape is None and not self._learned:
            stored = self.stored_shape()
            if stored is not None:
                self.use_shape(stored)

    @classmethod
    def archived_url_rules(cls, urls: Iterable[str]) -> type[ArticleUrls]:
        """For a re-parse: the article shape learned from an archive's URLs.  They are mostly
        the articles the crawl fetched (besides its home page, feeds and sitemaps), so the
        shape with the most ids among them is the one the crawl used."""
        return GenericUrls.learned(learn_shape(list(urls)), cls.base_url)

    # -- start ----------------------------------------------------------------------------
    async def start(self):
        self.ensure_shape()
        if self.article_urls:
            # exactly these articles: they are the evidence (a re-parse gives its archive's)
            if self.shape is None or not any(self.shape.matches(u) for u in self.article_urls):
                self.apply_learned(learn_shape([], known_articles=self.article_urls, min_score=1), "-a urls",
                                   keep=False)
            self._learned = True
            for url in self.article_urls:
                yield self.article_request(url)
            return
        self.list_walk()
        requests = [self.gated(self.discovery_request(url, "feed", self.parse_feed)) for url in self.feed_urls()]
        requests.append(self.gated(self.discovery_request(urljoin(self.base_url + "/", "robots.txt"), "robots",
                                                          self.parse_robots)))
        requests += [self.gated(scrapy.Request(url, callback=self.parse_home, errback=self.discovery_failed,
                                               meta={"newsbot_discovery": "home"}))
                     for url in self.start_urls]
        self._later_sitemaps = self.sitemap_urls()
        for request in requests:
            yield request

    def gated(self, request: scrapy.Request) -> scrapy.Request:
        # never dropped by the duplicate filter: each must answer (or fail) to open the gate
        request = request.replace(dont_filter=True, meta={**request.meta, GATE_META: request.url})
        self._gate.add(request.url)
        return request

    def passed_gate(self, meta: dict):
        """One of the learning sources answered (or failed); after the last one, learn."""
        self._gate.discard(meta.get(GATE_META))
        if self._gate or self._learned:
            return
        self._learned = True
        yield from self.learn_and_fetch()

    # -- callbacks ------------------------------------------------------------------------
    def parse_feed(self, response: Response):
        same_site = set(self.allowed_domains)
        self._feed_entries += [e for e in self.read_feed(response) if urlsplit(e.url).hostname in same_site]
        yield from self.passed_gate(response.meta)

    def parse_robots(self, response: Response):
        self._later_sitemaps += self.robots_sitemap_urls(response)
        yield from self.passed_gate(response.meta)

    def parse_home(self, response: Response):
        if response.status == 200 and hasattr(response, "selector"):
            self._home_links += page_links(response.selector.root, response.url)
            self.crawler.stats.inc_value("newsbot/generic/home_pages")
            # feeds the page announces (<link rel="alternate" type="application/rss+xml">)
            known = set(self.feed_urls())
            for url in announced_feeds(response):
                if url not in known and urlsplit(url).hostname in self.allowed_domains:
                    known.add(url)
                    self.logger.info("Feed announced on %s: %s", response.url, url)
                    yield self.gated(self.discovery_request(url, "feed", self.parse_feed))
        else:
            self.logger.warning("Home page %s answered HTTP %d: no links to learn from", response.url, response.status)
        yield from self.passed_gate(response.meta)

    def discovery_failed(self, failure):
        super().discovery_failed(failure)
        yield from self.passed_gate(failure.request.meta)

    # -- learning ---------------------------------------------------------------------------
    def apply_learned(self, shape: UrlShape | None, evidence: str, keep: bool = True) -> None:
        """Use ``shape`` (learned from ``evidence``), or the stored one when none was learned;
        ``keep``: remember it in the state store for the next run."""
        stored = self.stored_shape()
        if shape is None and stored is not None:
            self.logger.info("No article URL shape in %s: using the one learned before, %s", evidence,
                             stored.describe())
            shape = stored
        elif shape is not None and stored is not None and shape != stored:
            self.logger.warning("The article URL shape changed: %s before, %s now (from %s)",
                                stored.describe(), shape.describe(), evidence)
            self.crawler.stats.set_value("newsbot/generic/url_shape_changed_from", stored.describe())
        if shape is None:
            self.logger.warning("No article URL shape found in %s: only feed and sitemap entries are fetched",
                                evidence)
            self.crawler.stats.inc_value("newsbot/generic/no_url_shape")
            return
        self.logger.info("Articles of %s are %s (learned from %s)", self.site, shape.describe(), evidence)
        self.use_shape(shape)
        if keep and shape != stored:
            state_store(self.crawler).set_mark(SHAPE_MARK, shape.to_dict())

    def learn_and_fetch(self):
        feed_urls = [e.url for e in self._feed_entries]
        shape = learn_shape(self._home_links, known_articles=feed_urls, hosts=self.allowed_domains)
        self.apply_learned(shape, f"{len(self._home_links)} home page links and {len(feed_urls)} feed entries")
        yield from self.discovered(self._feed_entries, "feed")
        if self.shape is not None:
            home = [ListEntry(url) for url in dict.fromkeys(self._home_links) if self.shape.matches(url)]
            yield from self.discovered(home, "home")
        for url in self._later_sitemaps:
            request = self.sitemap_request(url)
            if request is not None:
                yield request

    def sitemap_entries(self, entries) -> list[ListEntry]:
        if self.shape is None:  # neither home page nor feeds showed one: the sitemap may
            self.apply_learned(learn_shape([e.url for e in entries], hosts=self.allowed_domains), "a sitemap")
        return super().sitemap_entries(entries)

    def parse_article(self, response: Response):
        self.ensure_shape()
        yield from super().parse_article(response)
