"""Page requisites: what an article page needs to look, in replay, as its readers saw it.

A WARC that holds only the HTML of an article replays unstyled and without its photos,
and the photo is often the news.  Web archivists' crawlers (Heritrix's embeds,
browsertrix-crawler's browser) fetch the page's requisites with the page; newsbot does
it for article pages, as ordinary requests: every requisite goes through the same
downloader (robots.txt of its own host, per-host concurrency, AutoThrottle), the same
WARC capture (a ``response`` + ``request`` pair, or a ``revisit`` when the same URL's
payload is already archived) and is replayed from the archive like any page.

What is captured (setting ``REQUISITES``):

* ``images``: the article's photos (the page object's ``images``) and ``og:image``;
* ``images+css`` (the default): also the page's stylesheets (``<link rel=stylesheet>``),
  what they ``@import``, and the fonts and images their ``url()``\\ s name (``@font-face``
  sources, backgrounds, logos), and the ``url()``\\ s of the page's own ``<style>``
  blocks and ``style`` attributes;
* ``none``: the HTML only, as before.

Rules, so that "requisites" never become a second crawl:

* only ``http``/``https`` URLs (never ``file:``, ``data:`` or another scheme, redirects
  included: Scrapy's redirect middleware follows only http(s));
* what the article page names itself (photos, ``og:image``, stylesheets) may be on any
  host: photos often live on a CDN (``cdn.idomin.com``), so these requests carry
  Scrapy's ``allow_offsite`` meta; what a *stylesheet* names is fetched only from the
  same site (registrable domain) as that stylesheet or as the article page;
* size caps per request (Scrapy's ``download_maxsize`` meta): ``REQUISITES_MAXSIZE`` for
  images, ``REQUISITES_STYLE_MAXSIZE`` for stylesheets and fonts; at most
  :data:`MAX_PER_DOCUMENT` requisites per page or stylesheet, ``@import`` chains at most
  :data:`MAX_CSS_DEPTH` deep;
* each URL once per run (Scrapy's duplicate filter, newsbot's ``RunDupeFilter``): the
  site's stylesheet and logo are fetched once, however many articles name them; a later
  run that fetches them again stores a revisit when they did not change;
* a priority between articles and list pages: an article's requisites come soon after
  it, and a crawl cut short has whole articles first.

Requisites are not articles: they are never parsed as one, never enter the fault ledger
(a failed photo is not retried by later runs as an article, does not count in the
report's article ``failed`` and never sets the exit status).  Their outcomes are counted
under ``newsbot/requisites/...`` (see :func:`requisites_report`, the crawl report's
``requisites`` section).  Nothing is fetched when nothing archives (``WARC_ENABLED=0``,
e.g. a re-parse).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

from itemadapter import ItemAdapter, is_item
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured, UsageError
from scrapy.http.request import NO_CALLBACK
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import get_base_url

from newsbot.warc import BROWSER_ARCHIVED_FLAG, REQUISITE_META_KEY

logger = logging.getLogger(__name__)

#: ``REQUISITES`` values -> the kinds of requisite an article page gets
MODES = {
    "none": frozenset(),
    "images": frozenset({"image"}),
    "images+css": frozenset({"image", "css"}),
}
IMAGE, CSS, FONT = "image", "css", "font"

#: between list pages (0) and articles (10): see the module docstring
PRIORITY = 5
#: requisites taken from one page or one stylesheet at most (a pathological page cannot
#: turn into thousands of requests); the rest are counted as skipped
MAX_PER_DOCUMENT = 200
#: stylesheet -> @import -> @import ...: deeper imports are counted as skipped
MAX_CSS_DEPTH = 3

#: what a browser's Accept says for each kind (DEFAULT_REQUEST_HEADERS asks for HTML);
#: images: no AVIF/WebP preference, so a server that negotiates sends the formats every
#: replay browser shows
ACCEPT = {IMAGE: "image/*,*/*;q=0.8", CSS: "text/css,*/*;q=0.1", FONT: "*/*"}

STAT = "newsbot/requisites"
#: request meta key, set by the failure path, so a failure is counted once
_COUNTED = "newsbot_requisite_counted"


class Requisite(NamedTuple):
    url: str
    kind: str


def requisites_mode(settings) -> frozenset[str]:
    """The kinds ``REQUISITES`` asks for; an unknown value is a usage error."""
    value = (settings.get("REQUISITES") or "none").strip().lower()
    if value not in MODES:
        raise UsageError(f"REQUISITES: {value!r} is not one of {', '.join(MODES)}")
    return MODES[value]


def is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


# -- finding requisites: pure functions ----------------------------------------------
def _absolute(raw: str | None, base: str) -> str | None:
    """An http(s) URL for an attribute or ``url()`` value; None for data:, fragments, other schemes."""
    if not raw:
        return None
    raw = raw.strip()
    if not raw or raw.startswith(("#", "data:", "javascript:", "about:")):
        return None
    url = urljoin(base, raw).split("#", 1)[0]
    return url if is_http_url(url) else None


def _url_values(tokens) -> list[str]:
    """Every URL a list of tinycss2 component values names: ``url(x)``, ``url("x")``, and the
    strings of ``image-set()``; nested blocks and functions included."""
    found = []
    for token in tokens:
        kind = token.type
        if kind == "url":
            found.append(token.value)
        elif kind == "function":
            name = token.lower_name
            if name in ("url", "src"):   # url("x") with a quoted string is a function token
                found.extend(arg.value for arg in token.arguments if arg.type == "string")
            elif name in ("image-set", "-webkit-image-set"):
                found.extend(arg.value for arg in token.arguments if arg.type == "string")
                found.extend(_url_values(token.arguments))
            else:
                found.extend(_url_values(token.arguments))
        elif kind in ("() block", "[] block", "{} block"):
            found.extend(_url_values(token.content))
    return found


#: at-rules whose block holds rules (so @font-face inside @media is still a font)
_GROUPING_RULES = frozenset({"media", "supports", "layer", "container", "document", "-moz-document", "scope"})


def _rule_references(rules, found: list[tuple[str, str]]) -> None:
    import tinycss2

    for rule in rules:
        if rule.type == "qualified-rule":
            found.extend((value, IMAGE) for value in _url_values(rule.content))
        elif rule.type == "at-rule":
            keyword = rule.lower_at_keyword
            if keyword == "import":
                values = _url_values(rule.prelude) or [t.value for t in rule.prelude if t.type == "string"]
                if values:
                    found.append((values[0], CSS))
            elif keyword == "font-face":
                found.extend((value, FONT) for value in _url_values(rule.content or []))
            elif rule.content is not None and keyword in _GROUPING_RULES:
                _rule_references(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True),
                                 found)
            elif rule.content is not None:   # @page, @keyframes ...: declarations
                found.extend((value, IMAGE) for value in _url_values(rule.content))


def _mentions_url(css: str) -> bool:
    # Most pages' inline styles name no URL: no need to parse them (benchmark pages carry 120 rules).
    lowered = css.lower()
    return "url(" in lowered or "@import" in lowered or "image-set(" in lowered


def css_references(css: str | bytes, base_url: str, *, encoding: str | None = None) -> list[Requisite]:
    """The requisites a stylesheet names, in order, each once: ``@import`` (kind ``css``),
    ``@font-face`` sources (``font``), every other ``url()`` (``image``), resolved against
    ``base_url``.  ``css`` as bytes is decoded as browsers do (BOM, ``encoding`` from the
    HTTP header, ``@charset``; tinycss2)."""
    import tinycss2

    if isinstance(css, bytes):
        if not _mentions_url(css.decode("latin-1")):
            return []
        rules, _ = tinycss2.parse_stylesheet_bytes(css, protocol_encoding=encoding, skip_comments=True,
                                                  skip_whitespace=True)
    else:
        if not _mentions_url(css):
            return []
        rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    found: list[tuple[str, str]] = []
    _rule_references(rules, found)
    return _resolved(found, base_url)


def style_attribute_references(value: str, base_url: str) -> list[Requisite]:
    """The images a ``style="..."`` attribute names (``background: url(...)``)."""
    import tinycss2

    if not _mentions_url(value):
        return []
    tokens = tinycss2.parse_component_value_list(value, skip_comments=True)
    return _resolved([(v, IMAGE) for v in _url_values(tokens)], base_url)


def _resolved(found, base_url: str) -> list[Requisite]:
    seen: dict[str, Requisite] = {}
    for raw, kind in found:
        url = _absolute(raw, base_url)
        if url and url not in seen:
            seen[url] = Requisite(url, kind)
    return list(seen.values())


def _is_stylesheet_link(rel: str | None) -> bool:
    tokens = (rel or "").lower().split()
    # an alternate stylesheet is not applied unless a reader picks it
    return "stylesheet" in tokens and "alternate" not in tokens


_OG_IMAGE = ("og:image", "og:image:url", "og:image:secure_url")


def page_requisites(root, base_url: str, images=(), *, css: bool = True) -> list[Requisite]:
    """The requisites of an article page, in order, each once.

    ``root``: the page's lxml tree; ``base_url``: what its relative URLs resolve against
    (``<base href>`` applied: :func:`scrapy.utils.response.get_base_url`); ``images``:
    the article's photos (the page object's, absolute).  Photos first, then ``og:image``,
    then (``css``) stylesheets and the ``url()`` s of the page's ``<style>`` blocks and
    ``style`` attributes.
    """
    found: dict[str, Requisite] = {}

    def add(requisite: Requisite) -> None:
        found.setdefault(requisite.url, requisite)

    for raw in images:
        url = _absolute(raw, base_url)
        if url:
            add(Requisite(url, IMAGE))
    stylesheets, inline = [], []
    for element in root.iter("meta", "link", "style"):
        tag = element.tag
        if tag == "meta":
            if (element.get("property") or element.get("name") or "").strip().lower() in _OG_IMAGE:
                url = _absolute(element.get("content"), base_url)
                if url:
                    add(Requisite(url, IMAGE))
        elif not css:
            continue
        elif tag == "link":
            if _is_stylesheet_link(element.get("rel")):
                url = _absolute(element.get("href"), base_url)
                if url:
                    stylesheets.append(Requisite(url, CSS))
        elif element.text:
            inline.extend(css_references(element.text, base_url))
    for requisite in stylesheets:
        add(requisite)
    if css:
        for value in root.xpath("//@style[contains(., 'url(') or contains(., 'URL(')]"):
            inline.extend(style_attribute_references(str(value), base_url))
        for requisite in inline:
            add(requisite)
    return list(found.values())


@lru_cache(maxsize=4096)
def site_of_host(host: str) -> str:
    """A host's site: its registrable domain (``cdn.idomin.com`` -> ``idomin.com``, from the
    Public Suffix List snapshot tldextract ships: nothing is fetched); an IP address or a
    bare name is its own site."""
    return _extract()(host).top_domain_under_public_suffix or host


@lru_cache(maxsize=1)
def _extract():
    from tldextract import TLDExtract

    return TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True,
                      include_psl_private_domains=True)


def same_site(url: str, *others: str) -> bool:
    """Whether ``url``'s host is on the same site as any of ``others``' hosts."""
    site = site_of_host(urlsplit(url).hostname or "")
    return any(site == site_of_host(urlsplit(other).hostname or "") for other in others)


# -- counting ----------------------------------------------------------------------------
def count_failure(crawler, request, cause: str, detail: str = "") -> None:
    """A requisite that was not archived: counted once, one log line; never an article fault."""
    if request.meta.get(_COUNTED):
        return
    request.meta[_COUNTED] = cause
    info = request.meta.get(REQUISITE_META_KEY) or {}
    kind = info.get("kind", IMAGE)
    url = (request.meta.get("redirect_urls") or [request.url])[0]
    stats = crawler.stats
    if cause == "robots":
        stats.inc_value(f"{STAT}/skipped/robots")
        logger.debug("Requisite %s forbidden by robots.txt: %s", kind, url)
        return
    stats.inc_value(f"{STAT}/failed/{kind}")
    stats.inc_value(f"{STAT}/failures/{cause}")
    logger.info("Requisite not archived: %s %s (%s%s; for %s)", kind, url, cause,
                f": {detail}" if detail else "", info.get("page", "?"))


def requisites_report(stats, settings=None) -> dict:
    """The crawl report's ``requisites`` section, from the stats."""
    values = stats.get_stats()

    def group(prefix: str) -> dict:
        prefix = f"{STAT}/{prefix}/"
        return {key[len(prefix):]: value for key, value in sorted(values.items()) if key.startswith(prefix)}

    mode = None
    if settings is not None:
        mode = (settings.get("REQUISITES") or "none").strip().lower()
    return {
        "mode": mode,
        "fetched": group("fetched"),
        "revisits": values.get(f"{STAT}/revisits", 0),
        "failed": group("failed"),
        "failure_causes": group("failures"),
        "skipped": group("skipped"),
        "robots_unavailable": values.get(f"{STAT}/robots_unavailable", 0),   # hosts whose robots.txt failed
        "archived": values.get(f"{STAT}/archived", 0),
        "bytes_received": values.get(f"{STAT}/bytes_received", 0),
        "bytes_archived": values.get(f"{STAT}/bytes_archived", 0),
    }


def requisites_lines(section: dict) -> list[str]:
    """The crawl report's summary line for requisites (none when nothing was asked or seen)."""
    fetched, failed, skipped = section["fetched"], section["failed"], section["skipped"]
    if not (fetched or failed or skipped or section["archived"]):
        return []

    def listed(counts: dict) -> str:
        return ", ".join(f"{value} {key}" for key, value in counts.items()) or "none"

    return [f"  requisites ({section['mode']}): {sum(fetched.values())} fetched ({listed(fetched)}; "
            f"{section['revisits']} revisits), {sum(failed.values())} failed ({listed(section['failure_causes'])}), "
            f"{sum(skipped.values())} skipped; {section['bytes_received']:,} bytes received, "
            f"{section['bytes_archived']:,} archived"]


def count_capture(stats, request, body_length: int, location: dict) -> None:
    """Called by the WARC capture for every requisite response it archives."""
    stats.inc_value(f"{STAT}/archived")
    stats.inc_value(f"{STAT}/bytes_received", body_length)
    stats.inc_value(f"{STAT}/bytes_archived", location.get("length", 0))
    if location.get("revisit"):
        stats.inc_value(f"{STAT}/revisits")


# -- scheduling -------------------------------------------------------------------------
class RequisitesMiddleware:
    """Spider middleware: after each article item, requests for its page's requisites.

    A spider middleware because only there are the article's response (its stylesheets,
    ``og:image``) and the item made from it (its photos) seen together.  The requests'
    callback and errback are the spider's ``parse_requisite`` / ``requisite_failed``
    (:class:`newsbot.spiders.base.NewsSpider`), which hand over to :meth:`parsed` and
    :meth:`failed`: spider methods, so the requests can be stored (``JOBDIR``, a cluster's
    Redis queue) like any other.
    """

    def __init__(self, crawler):
        settings = crawler.settings
        self.kinds = requisites_mode(settings)
        if not self.kinds or not settings.getbool("WARC_ENABLED", True):
            raise NotConfigured   # nothing archives them: no reason to fetch them
        self.crawler = crawler
        self.image_maxsize = settings.getint("REQUISITES_MAXSIZE")
        self.style_maxsize = settings.getint("REQUISITES_STYLE_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    # -- from article pages --------------------------------------------------------------
    def process_spider_output(self, response, result, spider=None):
        for output in result:
            yield output
            if self._is_article_item(output):
                yield from self.page_requests(response, output)

    async def process_spider_output_async(self, response, result, spider=None):
        async for output in result:
            yield output
            if self._is_article_item(output):
                for request in self.page_requests(response, output):
                    yield request

    @staticmethod
    def _is_article_item(output) -> bool:
        # newsbot's callbacks yield items only for articles (parse_article)
        return is_item(output)

    def page_requests(self, response, item) -> list:
        if not hasattr(response, "selector"):
            return []
        if BROWSER_ARCHIVED_FLAG in response.flags:
            # rendered in a browser (newsbot/browser/), which archived every response it
            # received for the page, photos and stylesheets included: not fetched twice
            return []
        spider = self.crawler.spider
        if not hasattr(spider, "parse_requisite"):
            return []
        images = (ItemAdapter(item).get("images") or ()) if IMAGE in self.kinds else ()
        found = page_requisites(response.selector.root, get_base_url(response), images, css=CSS in self.kinds)
        return self._requests(found, response.url, depth=0)

    def _requests(self, found: list[Requisite], page: str, depth: int) -> list:
        if len(found) > MAX_PER_DOCUMENT:
            self.crawler.stats.inc_value(f"{STAT}/skipped/over_limit", len(found) - MAX_PER_DOCUMENT)
            found = found[:MAX_PER_DOCUMENT]
        return [self.request(requisite, page, depth) for requisite in found]

    def request(self, requisite: Requisite, page: str, depth: int = 0):
        spider = self.crawler.spider
        maxsize = self.image_maxsize if requisite.kind == IMAGE else self.style_maxsize
        return Request(
            requisite.url, callback=spider.parse_requisite, errback=spider.requisite_failed, priority=PRIORITY,
            headers={"Accept": ACCEPT[requisite.kind]},
            meta={REQUISITE_META_KEY: {"kind": requisite.kind, "page": page, "depth": depth},
                  # photos often live on a CDN host: named by the page itself (module docstring)
                  "allow_offsite": True,
                  "download_maxsize": maxsize,
                  "download_warnsize": 0},   # the cap is the limit; a big photo is no warning
        )

    # -- the requisite's own response ----------------------------------------------------
    def parsed(self, response) -> list:
        """A requisite arrived (the capture archived it): counted; a stylesheet's own
        requisites requested, those on its site or the page's."""
        info = response.meta.get(REQUISITE_META_KEY) or {}
        kind = info.get("kind", IMAGE)
        stats = self.crawler.stats
        stats.inc_value(f"{STAT}/fetched/{kind}")
        if kind != CSS or CSS not in self.kinds:
            return []
        encoding = None
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        if "charset=" in content_type.lower():
            encoding = content_type.lower().split("charset=", 1)[1].split(";")[0].strip().strip('"') or None
        found = css_references(response.body, response.url, encoding=encoding)
        page, depth = info.get("page", response.url), info.get("depth", 0) + 1
        kept = []
        for requisite in found:
            if not same_site(requisite.url, response.url, page):
                stats.inc_value(f"{STAT}/skipped/other_site")
            elif requisite.kind == CSS and depth >= MAX_CSS_DEPTH:
                stats.inc_value(f"{STAT}/skipped/too_deep")
            else:
                kept.append(requisite)
        return self._requests(kept, page, depth)

    def failed(self, failure) -> None:
        """A requisite that did not arrive.  Faults newsbot's fault middlewares saw are
        counted already (``newsbot.faults.record_fault`` hands them here); what is left is
        robots.txt (Scrapy's middleware raises a plain IgnoreRequest, whose message is the
        only thing that tells it apart) and errors no middleware classified."""
        request = failure.request
        if failure.check(HttpError):
            cause = f"http_{failure.value.response.status}"
        elif failure.check(IgnoreRequest):
            cause = "robots" if "robots.txt" in str(failure.value) else "ignored"
        else:
            cause = type(failure.value).__name__
        count_failure(self.crawler, request, cause, str(failure.value) if cause not in ("robots",) else "")


class RequisiteRobotsMiddleware:
    """Downloader middleware (45, before the origin check at 50): the robots.txt of a
    requisite's host is fetched, and so obeyed, like the outlet's own.

    The robots.txt middleware (100) asks for ``<host>/robots.txt`` before the first request
    to a host, through the whole downloader chain, which starts with the offsite check
    (``newsbot.offsite.OriginOffsiteMiddleware``, 50): it drops the robots.txt request of a
    host outside the outlet's origins (a photo CDN), even when the request it is for carries
    ``allow_offsite``; a robots.txt that could not be fetched then shut the host out for the
    run (RFC 9309) without ever having been asked for.  Such a robots.txt request exists
    only for a request that already passed the offsite check (50 runs before 100), so
    letting it pass too widens nothing.  When a requisite host's robots.txt is unreachable,
    the host is disallowed as RFC 9309 says, and counted as
    ``newsbot/requisites/robots_unavailable``, not as a problem of the run
    (``newsbot.faults.robots``).
    """

    def __init__(self, crawler):
        if not requisites_mode(crawler.settings) or not crawler.settings.getbool("WARC_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        if (request.callback is NO_CALLBACK and request.meta.get("dont_obey_robotstxt")
                and urlsplit(request.url).path == "/robots.txt" and not outlet_url(self.crawler.spider, request.url)):
            request.meta["allow_offsite"] = True
        return None


def outlet_url(spider, url: str) -> bool:
    """``url`` is on the outlet's own origins (``spider.origins``, newsbot.offsite), or, for a
    spider without them, its ``allowed_domains``: anything else a crawl requests is a requisite."""
    from newsbot.urls import on_origins

    origins = getattr(spider, "origins", None)
    if origins is not None:
        return on_origins(url, origins)
    host = urlsplit(url).hostname or ""
    domains = getattr(spider, "allowed_domains", None) or []
    return not domains or any(host == d or host.endswith("." + d) for d in domains if d)


def requisites_middleware(crawler) -> RequisitesMiddleware | None:
    """The crawl's requisites middleware (None when ``REQUISITES=none`` or nothing archives)."""
    return crawler.get_spider_middleware(RequisitesMiddleware)

