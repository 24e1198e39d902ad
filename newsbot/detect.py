"""Which CMS does a page come from?  Evidence from its markup, its URLs and its generator tag.

Each CMS module (``newsbot/cms/<name>.py``) declares ``SIGNATURES``: markup only its CMS
writes (``#article-view-content-div``, ``#bo_v_con``), link shapes (``/bbs/board.php?
bo_table=``, ND Soft photo paths), script globals.  On top of those, the CMS's own URL rules
(``XUrls.is_article``) are asked about the page's URL and its links.  Each piece of
evidence has a weight; the CMS with the highest total wins when it reaches
:data:`MIN_SCORE` and is ahead of every other, else the page is of no known family (use
the generic spider).  ``scrapy detect`` (newsbot/commands/detect.py) fetches pages or
reads them from a WARC and prints the verdict with a registry entry to add.

Pure: HTML bytes and a URL in, a :class:`Verdict` out; nothing is fetched here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector

from newsbot.cms import Signature

#: the least total weight a CMS needs to be named: one strong sign (weight 3) or two weaker ones
MIN_SCORE = 3
#: weights of the URL-shape evidence every CMS gets from its URL rules
PAGE_URL_WEIGHT = 3
LINKS_WEIGHT = 2


@dataclass(frozen=True)
class Evidence:
    cms: str
    kind: str       # "url", "links", "markup", "link", "text", "generator"
    what: str
    weight: int
    sign: str = ""  # which sign it is (a page showing it twice, or two pages, count once)

    def line(self) -> str:
        return f"[{self.cms} +{self.weight}] {self.kind}: {self.what}"

    def short(self) -> str:
        """A few words for a registry evidence line."""
        if self.kind == "url":
            return "article URL shape"
        if self.kind == "links":
            return "article links"
        if self.kind == "markup":
            return self.what.split(" (")[0]
        return self.sign


@dataclass
class Page:
    """A page to judge: where it came from and what it says about itself."""

    url: str
    selector: Selector
    html: str

    @classmethod
    def from_bytes(cls, url: str, body: bytes, encoding: str | None = None) -> Page:
        from w3lib.encoding import html_to_unicode

        _, text = html_to_unicode(f"text/html; charset={encoding}" if encoding else None, body)
        return cls(url, Selector(text=text), text)

    def links(self) -> list[str]:
        found = self.selector.css("a::attr(href), link::attr(href), img::attr(src), script::attr(src)").getall()
        return list(dict.fromkeys(urljoin(self.url, href.strip()) for href in found if href.strip()))

    def generator(self) -> str | None:
        value = self.selector.css("meta[name=generator]::attr(content), meta[name=Generator]::attr(content)").get()
        return value.strip() if value else None

    def meta(self, prop: str) -> str | None:
        value = self.selector.css(f"meta[property='{prop}']::attr(content)").get()
        return value.strip() if value else None

    def title(self) -> str:
        return (self.selector.css("title::text").get() or "").strip()

    def feeds(self) -> list[str]:
        hrefs = self.selector.css("link[rel=alternate][type*=rss]::attr(href), "
                                  "link[rel=alternate][type*=atom]::attr(href)").getall()
        return list(dict.fromkeys(urljoin(self.url, h.strip()) for h in hrefs if h.strip()))


@dataclass
class Verdict:
    """What the evidence of one outlet's pages says."""

    urls: list[str]
    scores: dict[str, int]
    evidence: list[Evidence]
    generator: str | None = None
    cms: str | None = None          # None: no known family
    site_name: str | None = None
    feeds: list[str] = field(default_factory=list)
    board: str | None = None

    @property
    def known(self) -> bool:
        return self.cms is not None


def cms_signatures() -> dict[str, tuple[Sequence[Signature], object]]:
    """CMS name -> (its SIGNATURES, its URL rules class), for every CMS with a module."""
    from importlib import import_module

    from newsbot.cms import KNOWN_CMS, spider_base

    found = {}
    for name in KNOWN_CMS:
        base = spider_base(name)
        if base is None:
            continue
        module = import_module(base.__module__)
        found[name] = (getattr(module, "SIGNATURES", ()), base.urls)
    return found


def _is_long_form_article(urls_cls, url: str) -> bool:
    # Only the CMS's own long form is evidence: short forms (/N, /board/N, /news/view/N)
    # look like many other sites' URLs (a year archive /2024 would pass for Break News).
    return urls_cls.is_article(url) and urls_cls.long_form(url) == url


def page_evidence(page: Page, signatures: dict | None = None) -> list[Evidence]:
    """Every sign of every known CMS on one page."""
    signatures = signatures if signatures is not None else cms_signatures()
    links = page.links()
    generator = page.generator() or ""
    found: list[Evidence] = []
    for cms, (signs, urls_cls) in signatures.items():
        if _is_long_form_article(urls_cls, page.url):
            found.append(Evidence(cms, "url", f"the page's own URL has its article shape ({page.url})", PAGE_URL_WEIGHT, "url"))
        article_links = [link for link in links if _is_long_form_article(urls_cls, link)]
        if article_links:
            found.append(Evidence(cms, "links", f"{len(article_links)} link(s) of its article shape, e.g. {article_links[0]}",
                                  LINKS_WEIGHT, "links"))
        for sign in signs:
            if sign.css and page.selector.css(sign.css):
                found.append(Evidence(cms, "markup", f"{sign.css} ({sign.what})", sign.weight, sign.what))
            elif sign.link:
                pattern = re.compile(sign.link)
                hit = next((link for link in links if pattern.search(link)), None)
                if hit:
                    found.append(Evidence(cms, "link", f"{hit} ({sign.what})", sign.weight, sign.what))
            elif sign.text and re.search(sign.text, page.html):
                found.append(Evidence(cms, "text", sign.what, sign.weight, sign.what))
            elif sign.generator and re.search(sign.generator, generator, re.IGNORECASE):
                found.append(Evidence(cms, "generator", f"<meta name=generator content={generator!r}> ({sign.what})",
                                      sign.weight, sign.what))
    return found


def judge(pages: Sequence[Page]) -> Verdict:
    """The verdict over one outlet's pages: the union of their evidence (each sign counted
    once), the CMS with the highest total if it reaches MIN_SCORE and leads alone."""
    signatures = cms_signatures()
    evidence: dict[tuple[str, str], Evidence] = {}
    for page in pages:
        for item in page_evidence(page, signatures):
            evidence.setdefault((item.cms, item.sign), item)  # a sign counts once, however many pages show it
    scores: dict[str, int] = {}
    for item in evidence.values():
        scores[item.cms] = scores.get(item.cms, 0) + item.weight
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    cms = None
    if ranked and ranked[0][1] >= MIN_SCORE and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        cms = ranked[0][0]
    first = pages[0] if pages else None
    return Verdict(
        urls=[p.url for p in pages],
        scores=dict(ranked),
        evidence=sorted(evidence.values(), key=lambda e: (e.cms != cms, -e.weight, e.cms)),
        generator=next((g for p in pages if (g := p.generator())), None),
        cms=cms,
        site_name=next((n for p in pages if (n := p.meta("og:site_name"))), None) or (_title_site(first) if first else None),
        feeds=list(dict.fromkeys(f for p in pages for f in p.feeds())),
        board=_board(pages) if cms == "gnuboard" else None,
    )


def _title_site(page: Page) -> str | None:
    # "기사 제목 < 섹션 < 기사본문 - 매체명" (ND Soft) / "제목 > 게시판 | 사이트" (gnuboard): the last part
    title = page.title()
    parts = [p.strip() for p in re.split(r"\s[-|<>]\s", title) if p.strip()]
    return parts[-1] if len(parts) > 1 else None


def _board(pages: Iterable[Page]) -> str | None:
    from newsbot.cms import spider_base

    long_form = spider_base("gnuboard").urls.long_form  # short-URL mode /board/N names the board too
    counts: dict[str, int] = {}
    for page in pages:
        for url in [page.url, *page.links()]:
            parts = urlsplit(long_form(url))
            if parts.path.endswith("/bbs/board.php"):
                for board in parse_qs(parts.query).get("bo_table", []):
                    counts[board] = counts.get(board, 0) + 1 + (url == page.url) * 100
    return max(counts, key=counts.get) if counts else None


def site_id_for(host: str) -> str:
    """An id for a new outlet from its host: ``www.idomin.com`` -> ``idomin``,
    ``busan.breaknews.com`` -> ``busan_breaknews`` (registered domain without its public
    suffix, subdomains kept; tldextract with its bundled suffix list: nothing is fetched)."""
    import tldextract

    extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    parts = extract(host)
    labels = [label for label in parts.subdomain.split(".") if label and label not in ("www", "m", "mobile")]
    labels.append(parts.domain or host)
    site = re.sub(r"[^A-Za-z0-9_-]+", "_", "_".join(labels)).strip("_-").lower()
    return site or "outlet"
