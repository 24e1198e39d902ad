"""Layer (b): what a page says about itself in machine-readable form.

Sources, each named the way provenance records it (``metadata:<source>``):

* JSON-LD ``NewsArticle``/``Article`` (``json-ld:headline``, ``json-ld:author``,
  ``json-ld:datePublished`` ...), parsed by extruct's JSON-LD extractor;
* ``<meta>`` tags, named as written: OpenGraph and its ``article:*`` (``og:title``,
  ``article:published_time``, ``article:modified_time``, ``article:section``), the byline
  metas Korean CMSes emit for ad and recommendation networks and share previews
  (``dable:author``, which Dable's publisher setup asks for next to ``dable:item_id`` and
  ``article:section``; ``article:author``, ``og:article:author``, ``og:author``, ``author``,
  ``twitter:creator``; KakaoTalk's ``kakao:title``/``kakao:description`` carry no byline),
  Dublin Core (``dc.creator``, ``dcterms.modified`` ..., lower-cased);
* schema.org microdata in an ``itemscope`` whose ``itemtype`` is an article
  (``microdata:datePublished`` ...), parsed by extruct's microdata extractor, read only
  for ``deep`` lookups (see below);
* the ``<title>`` element (``html-title``), only when it reads ``title <sep> site``.

Why extruct only for JSON-LD and microdata (measured on the fixture pages and 20
generated ones, benchmarks/extract_cpu.py's corpus, per page): ``extruct.extract`` with
JSON-LD, OpenGraph, microdata and Dublin Core costs ~90 us, as much as the whole family
extraction (~110 us).  Per syntax: JSON-LD 4.5 us, OpenGraph 19 us, microdata 40 us,
Dublin Core 22 us.  The page's own single pass over ``<meta>`` (4.4 us, needed anyway for
the families' ``og:title`` fallback) already holds every OpenGraph and Dublin Core value,
and also the ``dable:*``/``name=author`` metas extruct's OpenGraph extractor skips (it
keeps only og/article/... namespaces declared in ``<head>``); extruct's Dublin Core
extractor also writes a ``URI`` attribute into the page's tree, which extraction must not
change.  So metas are read from that pass, JSON-LD is parsed per ``<script>`` found by the
same pass (extruct's extractor on the script element itself: no second walk of the page).
Even finding microdata costs a walk of every element (``//*[@itemscope]``: 27 us), so
microdata, and Dublin Core (rare on Korean news pages; its lookup walks every meta name),
are read only for ``deep`` lookups: a required field (title, date) still missing, or a page
whose family selectors found no date at all (an unknown skin).

Everything here is lazy: a page whose family selectors found every field never parses
its JSON-LD.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from extruct.jsonld import JsonLdExtractor
from extruct.w3cmicrodata import MicrodataExtractor

from newsbot.text import clean_line

if TYPE_CHECKING:
    from newsbot.extract.base import ArticlePage

logger = logging.getLogger(__name__)

#: schema.org types taken as "the article" in JSON-LD and microdata
ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "ReportageNews", "AnalysisNewsArticle", "OpinionNewsArticle",
    "BackgroundNewsArticle", "ReviewNewsArticle", "BlogPosting", "Report", "ScholarlyArticle",
})

#: per field, the sources in the order they are tried: ("meta", name) reads a <meta>,
#: ("json-ld", property) / ("microdata", property) the article object, ("html-title", "");
#: Dublin Core and microdata are ``deep`` sources (see the module doc)
SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "title": (("json-ld", "headline"), ("meta", "og:title"), ("meta", "twitter:title"), ("meta", "kakao:title"),
              ("dc", "dc.title"), ("microdata", "headline"), ("html-title", "")),
    "subtitle": (("json-ld", "alternativeHeadline"), ("microdata", "alternativeHeadline")),
    "author": (("json-ld", "author"), ("meta", "dable:author"), ("meta", "article:author"),
               ("meta", "og:article:author"), ("meta", "og:author"), ("meta", "author"), ("meta", "twitter:creator"),
               ("dc", "dc.creator"), ("microdata", "author")),
    "published_at": (("meta", "article:published_time"), ("json-ld", "datePublished"),
                     ("meta", "pubdate"), ("dc", "dcterms.issued"), ("dc", "dcterms.created"),
                     ("dc", "dc.date"), ("microdata", "datePublished")),
    "modified_at": (("meta", "article:modified_time"), ("json-ld", "dateModified"),
                    ("meta", "og:updated_time"), ("dc", "dcterms.modified"), ("microdata", "dateModified")),
    "section": (("meta", "article:section"), ("json-ld", "articleSection"), ("microdata", "articleSection")),
}
_DEEP_KINDS = frozenset({"dc", "microdata"})
#: the same, each with the name provenance gives it, split by depth (built once)
_PLAN: dict[tuple[str, bool], tuple[tuple[str, str, str], ...]] = {
    (field, deep): tuple(
        (kind, name, name if kind in ("meta", "dc") else (f"{kind}:{name}" if name else kind))
        for kind, name in sources if deep or kind not in _DEEP_KINDS)
    for field, sources in SOURCES.items() for deep in (False, True)
}

_TITLE_SEPARATORS = (" | ", " - ", " :: ", " : ", " – ", " — ", " · ")


def _types(item: dict) -> set[str]:
    kind = item.get("@type") or item.get("type") or ()
    kinds = [kind] if isinstance(kind, str) else list(kind)
    # microdata types are URLs (http://schema.org/NewsArticle); JSON-LD ones bare names
    return {str(k).rstrip("/").rsplit("/", 1)[-1] for k in kinds}


def _flatten(items) -> Iterator[dict]:
    """Top-level JSON-LD objects and the members of each ``@graph``."""
    for item in items:
        if isinstance(item, dict):
            yield item
            graph = item.get("@graph")
            if isinstance(graph, list):
                yield from (member for member in graph if isinstance(member, dict))


#: properties whose several values are all kept (joined by ", "); of others, the first counts
_JOINED = frozenset({"author", "creator"})


def _text(value, join: bool = False) -> str | None:
    """One string from a JSON-LD/microdata value: the name of a Person/Organization; of a
    list the first, or with ``join`` all (several authors: "하지원, 문태호")."""
    if value is None:
        return None
    if isinstance(value, list):
        parts = [t for t in (_text(v) for v in value) if t]
        if not join:
            return parts[0] if parts else None
        return ", ".join(dict.fromkeys(parts)) or None
    if isinstance(value, dict):
        inner = value.get("properties") if isinstance(value.get("properties"), dict) else value
        return _text(inner.get("name") or inner.get("@value"))
    if isinstance(value, (str, int, float)):
        return clean_line(str(value)) or None
    return None


class StructuredData:
    """The structured metadata of one page, each source read on first use."""

    def __init__(self, page: ArticlePage):
        self.page = page
        self._jsonld: dict | None | bool = False  # False: not looked at yet
        self._microdata: dict | None | bool = False
        self._dublin_core: dict[str, str] | None = None

    # -- sources -------------------------------------------------------------
    def dublin_core(self, name: str) -> str | None:
        if self._dublin_core is None:
            # Dublin Core names are written DC.creator, dc.Creator, DCTERMS.modified ...
            self._dublin_core = {}
            for key, value in self.page.meta_map().items():
                lower = key.lower()
                if lower.startswith(("dc.", "dcterms.")) and value and value.strip():
                    self._dublin_core.setdefault(lower, value)
        value = self._dublin_core.get(name)
        return clean_line(value) if value else None

    def jsonld_article(self) -> dict | None:
        if self._jsonld is False:
            self._jsonld = None
            extractor = JsonLdExtractor()
            for script in self.page.jsonld_scripts():
                try:
                    items = extractor.extract_items(script)
                except (ValueError, TypeError) as exc:  # broken JSON: this script says nothing
                    logger.debug("Unreadable JSON-LD on %s: %s", self.page.url, exc)
                    continue
                for item in _flatten(items):
                    if _types(item) & ARTICLE_TYPES:
                        self._jsonld = item
                        break
                if self._jsonld is not None:
                    break
        return self._jsonld

    def microdata_article(self) -> dict | None:
        if self._microdata is False:
            self._microdata = None
            for item in MicrodataExtractor().extract_items(self.page.root, self.page.url):
                if _types(item) & ARTICLE_TYPES:
                    self._microdata = item.get("properties") or {}
                    break
        return self._microdata

    def site_names(self) -> set[str]:
        names = {self.page.meta("og:site_name"), self.page.meta("application-name")}
        title = self.page.html_title()
        for separator in _TITLE_SEPARATORS:
            if separator in title:
                names.add(title.rsplit(separator, 1)[1].strip())
        return {n for n in names if n}

    def html_title(self) -> str | None:
        """The article part of ``<title>`` when it reads ``title <sep> site`` (or gnuboard's
        ``title > board | site``); a ``<title>`` without a separator is often the site name
        alone and is not a candidate."""
        title = self.page.html_title()
        if " > " in title:
            return title.split(" > ", 1)[0].strip() or None
        for separator in _TITLE_SEPARATORS:
            if separator in title:
                return title.rsplit(separator, 1)[0].strip() or None
        return None

    # -- per field ---------------------------------------------------------------
    def first(self, field: str, plausible, deep: bool = False, transform=None,
              limit: int | None = None) -> tuple[str | None, str | None]:
        """The first plausible value for ``field`` and its source name, in :data:`SOURCES`
        order (``deep`` sources only when asked, the first ``limit`` sources only when
        given); ``(None, None)`` when none is.  ``transform`` is applied before the test."""
        metas = self.page.meta_map()
        plan = _PLAN[field, deep]
        for kind, name, source in plan[:limit] if limit else plan:
            if kind == "meta":
                value = metas.get(name)
                if not value or value.isspace():
                    continue
                value = clean_line(value)
            elif kind == "json-ld":
                if not self.page.jsonld_scripts():
                    continue
                article = self.jsonld_article()
                value = _text(article.get(name), name in _JOINED) if article else None
            elif kind == "dc":
                value = self.dublin_core(name)
            elif kind == "microdata":
                article = self.microdata_article()
                value = _text(article.get(name), name in _JOINED) if article else None
            else:
                value = self.html_title()
            if not value:
                continue
            if transform is not None:
                value = transform(value)
            if plausible(value):
                return value, source
        return None, None
