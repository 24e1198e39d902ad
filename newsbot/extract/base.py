"""Page objects: an article page in, raw article fields out, no crawling involved.

A CMS family subclasses :class:`ArticlePage` and mostly just declares CSS selectors
(first match wins, so skin variants are listed side by side).  Methods are there to
override when a family needs more than a selector.  Output is *raw*: dates as printed,
body as text lines; :mod:`newsbot.normalize` turns that into the record, so the same
normalization serves every family and re-parsing from WARCs.

Tested on HTML strings: ``McodeArticle.from_html(html, url).to_dict()``.

Queries run on the lxml tree (``selector.root``) through XPath compiled once per CSS
string (:func:`css_query`), not through parsel's ``Selector.css``: that re-translates and
looks up the query and wraps every result in a new Selector on every call, which was a
third of extraction time (docs/performance.md).  Results are lxml elements, or strings
for ``::text`` / ``::attr()`` queries.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import ClassVar
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml import etree
from parsel import Selector
from parsel.csstranslator import HTMLTranslator

from newsbot.text import clean_line, element_lines
from newsbot.urls import ArticleUrls

_DIGIT = re.compile(r"\d")
_TRANSLATOR = HTMLTranslator()  # what parsel's Selector.css uses for HTML: same XPath, same matches
_TITLE_TEXT = etree.XPath("/descendant::title[1]/text()", smart_strings=False)
_IMAGES = etree.XPath("descendant-or-self::img")

#: where lazy-loading scripts keep a photo's real address while ``src`` holds a placeholder
#: (a 1x1 GIF, a data: URI, a spinner) or a thumbnail; common on Korean CMS skins
LAZY_SOURCE_ATTRS = ("data-src", "data-original", "data-lazy-src", "data-lazy", "data-echo", "data-url")


def srcset_candidates(srcset: str) -> list[tuple[str, str]]:
    """(URL, descriptor) pairs of a ``srcset``, split as the HTML standard says: a URL runs to
    the next whitespace (it may hold commas), its descriptor to the next comma."""
    candidates, pos, end = [], 0, len(srcset)
    while pos < end:
        while pos < end and (srcset[pos].isspace() or srcset[pos] == ","):
            pos += 1
        start = pos
        while pos < end and not srcset[pos].isspace():
            pos += 1
        url, descriptor = srcset[start:pos], ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            start = pos
            while pos < end and srcset[pos] != ",":
                pos += 1
            descriptor = srcset[start:pos].strip()
        if url:
            candidates.append((url, descriptor))
    return candidates


def largest_srcset_candidate(srcset: str | None) -> str | None:
    """The widest (or highest-density) URL of a ``srcset``; None when it has none."""
    best, best_size = None, -1.0
    for url, descriptor in srcset_candidates(srcset or ""):
        if url.startswith("data:"):
            continue
        try:
            size = float(descriptor[:-1]) if descriptor[-1:] in ("w", "x") else 1.0
        except ValueError:
            size = 1.0
        if size > best_size:
            best, best_size = url, size
    return best


def image_source(img) -> str | None:
    """The address of the photo an ``<img>`` shows once the page has loaded: a lazy loader's
    attribute first (``src`` is then a placeholder or a thumbnail), else ``src``, else the
    largest ``srcset`` candidate; never a ``data:`` URI."""
    for attr in LAZY_SOURCE_ATTRS:
        value = (img.get(attr) or "").strip()
        if value and not value.startswith("data:"):
            return value
    src = (img.get("src") or "").strip()
    if src and not src.startswith("data:"):
        return src
    return largest_srcset_candidate(img.get("srcset") or img.get("data-srcset"))


@lru_cache(maxsize=1024)  # bounded: a family building CSS strings per page must not grow memory
def css_query(css: str) -> etree.XPath:
    """``css`` compiled once: call it on an lxml element for what ``Selector.css(css)`` finds.

    A group (``"a, b"``) is one XPath union: each node once, in document order.
    """
    # smart_strings=False as parsel: text and attribute results are plain str
    return etree.XPath(_TRANSLATOR.css_to_xpath(css), smart_strings=False)


class ArticlePage:
    """Extracts one article from a parsed page; subclasses declare selectors."""

    #: the CMS's URL rules (article id, canonical form): newsbot.urls.ArticleUrls
    urls: ClassVar[type[ArticleUrls]] = ArticleUrls

    title_css: ClassVar[tuple[str, ...]] = ()
    subtitle_css: ClassVar[tuple[str, ...]] = ()
    author_css: ClassVar[tuple[str, ...]] = ()
    #: elements whose text holds dates, each e.g. ``기사등록 2024-08-06 07:38:57``
    date_css: ClassVar[tuple[str, ...]] = ()
    published_labels: ClassVar[tuple[str, ...]] = ("기사등록", "등록", "기사입력", "입력", "기사승인", "승인", "작성일")
    modified_labels: ClassVar[tuple[str, ...]] = ("기사수정", "수정", "업데이트")
    body_css: ClassVar[tuple[str, ...]] = ()
    #: inside the body: elements that are not article text (ads, related links, share bars)
    body_exclude_css: ClassVar[tuple[str, ...]] = ()
    #: inside the body: photo blocks; their text is the caption, their <img> the images
    photo_css: ClassVar[tuple[str, ...]] = ()
    caption_css: ClassVar[tuple[str, ...]] = ()
    section_css: ClassVar[tuple[str, ...]] = ()
    section_param: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Compiled when the family is defined: a selector CSS cannot parse fails at import,
        # not on the first article.
        for name in dir(cls):
            if name.endswith("_css"):
                for css in getattr(cls, name):
                    css_query(css)
        for group in (cls.photo_css, cls.body_exclude_css):
            if group:
                css_query(", ".join(group))

    def __init__(self, url: str, selector: Selector):
        self.url = url
        self.selector = selector
        self.root = selector.root  # the lxml tree every query runs on
        #: ("metadata", name, value) or ("url", param, value): the last :meth:`meta` or
        #: :meth:`query_param` that answered; the layers read it to tell a family method's
        #: own metadata fallback (``... or self.meta("og:title")``) from its selectors
        self.answered_by: tuple[str, str, str] | None = None

    @classmethod
    def from_html(cls, html: str | bytes, url: str) -> ArticlePage:
        if isinstance(html, bytes):
            # parsel refuses an empty body; an empty page is a page with nothing on it
            return cls(url, Selector(body=html or b"<html></html>", type="html"))
        return cls(url, Selector(text=html, type="html"))

    # -- helpers -------------------------------------------------------------
    def select(self, css: str, root: etree._Element | None = None) -> list:
        """What ``css`` finds under ``root`` (default: the page): elements, or strings for
        ``::text`` and ``::attr()``."""
        return css_query(css)(self.root if root is None else root)

    def first(self, css: tuple[str, ...], root: etree._Element | None = None) -> etree._Element | None:
        """The first element of the first query that finds any."""
        for query in css:
            found = self.select(query, root)
            if found:
                return found[0]
        return None

    def first_text(self, css: tuple[str, ...]) -> str | None:
        """Text of the first selector that matches with non-empty text."""
        for query in css:
            for node in self.select(query):
                text = self.node_text(node)
                if text:
                    return text
        return None

    @staticmethod
    def node_text(node) -> str:
        """One line of text of an element (a Selector's too), or a ``::text``/attribute string."""
        node = getattr(node, "root", node)
        if isinstance(node, str):  # attribute or text() selections
            return clean_line(node)
        # one clean_line over the joined lines: the same words as cleaning each line and
        # joining the non-empty ones (NFC never composes across the joining space), one call
        return clean_line(" ".join(element_lines(node)))

    def _read_head_data(self) -> None:
        # One walk over <meta> and <script> (lxml's tag-filtered iter, as cheap as one
        # XPath): the metas by name, and the JSON-LD scripts the metadata layer may parse.
        self._metas, self._jsonld_scripts = {}, []
        for element in self.root.iter("meta", "script"):
            if element.tag == "script":
                if (element.get("type") or "").strip().lower() == "application/ld+json":
                    self._jsonld_scripts.append(element)
                continue
            content = element.get("content")
            if content is None:
                continue
            # the first (in page order) to carry a key wins, as the first result of
            # //meta[@property=NAME or @name=NAME]/@content did
            for key in (element.get("property"), element.get("name")):
                if key is not None:
                    self._metas.setdefault(key, content)

    def meta_map(self) -> dict[str, str]:
        """Every ``<meta>`` with a ``content``: property or name -> content (first wins)."""
        if getattr(self, "_metas", None) is None:
            self._read_head_data()
        return self._metas

    def jsonld_scripts(self) -> list[etree._Element]:
        """The page's ``<script type="application/ld+json">`` elements, in page order."""
        if getattr(self, "_jsonld_scripts", None) is None:
            self._read_head_data()
        return self._jsonld_scripts

    def html_title(self) -> str:
        """The ``<title>`` text, cleaned ("" when there is none)."""
        found = _TITLE_TEXT(self.root)
        return clean_line(found[0]) if found else ""

    def meta(self, *names: str) -> str | None:
        """``content`` of the first ``<meta property=NAME>`` or ``<meta name=NAME>``, for the
        first NAME whose value is not blank."""
        metas = self.meta_map()
        for name in names:
            value = metas.get(name)
            if value and value.strip():
                value = clean_line(value)
                self.answered_by = ("metadata", name, value)
                return value
        return None

    def query_param(self, name: str | None) -> str | None:
        if not name:
            return None
        if getattr(self, "_query", None) is None:
            self._query = parse_qs(urlsplit(self.url).query)
        values = self._query.get(name)
        if values:
            self.answered_by = ("url", name, values[0])
            return values[0]
        return None

    # -- fields --------------------------------------------------------------
    def article_id(self) -> str | None:
        return self.urls.article_id(self.url)

    def title(self) -> str | None:
        return self.first_text(self.title_css) or self.meta("og:title")

    def subtitle(self) -> str | None:
        for query in self.subtitle_css:
            lines = [line for node in self.select(query) for line in map(clean_line, element_lines(node)) if line]
            if lines:
                return "\n".join(lines)
        return None

    def author(self) -> str | None:
        return self.first_text(self.author_css)

    def date_texts(self) -> list[str]:
        texts = []
        for query in self.date_css:
            texts.extend(self.node_text(node) for node in self.select(query))
            if texts:
                break
        return [t for t in texts if t]

    def _dated(self, labels: tuple[str, ...]) -> str | None:
        # published and modified both read the date texts: looked up once per page
        if getattr(self, "_date_texts", None) is None:
            self._date_texts = self.date_texts()
        for text in self._date_texts:
            compact = text.replace(" ", "")
            if any(compact.startswith(label) for label in labels) and _DIGIT.search(text):
                return text
        return None

    def published_raw(self) -> str | None:
        return self._dated(self.published_labels) or self.meta("article:published_time")

    def modified_raw(self) -> str | None:
        # A bare "기사수정" button has no digits and is skipped by _dated.
        return self._dated(self.modified_labels) or self.meta("article:modified_time")

    def body_node(self) -> etree._Element | None:
        return self.first(self.body_css)

    def photo_nodes(self, body: etree._Element) -> list[etree._Element]:
        # one node may match several selectors ("figure.photo-layout", "figure"): the union
        # of the group has it once, in page order (captions follow the photos' order)
        return self.select(", ".join(self.photo_css), body) if self.photo_css else []

    def excluded_nodes(self, body: etree._Element) -> list[etree._Element]:
        return self.select(", ".join(self.body_exclude_css), body) if self.body_exclude_css else []

    def body_parts(self) -> tuple[etree._Element | None, list[etree._Element], list[etree._Element]]:
        """(body, its photo nodes, its excluded nodes), found once per page: body lines,
        captions and images all start from them (a third of extraction time when each
        looked them up again; docs/performance.md)."""
        if getattr(self, "_body_parts", None) is None:
            body = self.body_node()
            self._body_parts = (body, [], []) if body is None else (
                body, self.photo_nodes(body), self.excluded_nodes(body))
        return self._body_parts

    def body_lines(self) -> list[str]:
        body, photos, excluded = self.body_parts()
        if body is None:
            return []
        return element_lines(body, exclude=photos + excluded)

    def captions(self) -> list[str]:
        body, photos, _ = self.body_parts()
        if body is None:
            return []
        captions = []
        for photo in photos:
            nodes = next((found for q in self.caption_css if (found := self.select(q, photo))), [photo])
            captions.extend(t for t in (self.node_text(n) for n in nodes) if t)
        return captions

    def images(self) -> list[str]:
        body, _, excluded_nodes = self.body_parts()
        if body is None:
            return []
        # images inside ad or related-article blocks are not the article's
        # (a set of the elements themselves: lxml proxies are only stable while referenced)
        excluded = {img for node in excluded_nodes for img in _IMAGES(node)}
        seen, images = set(), []
        for img in _IMAGES(body):
            if img in excluded:
                continue
            src = image_source(img)
            if not src:
                continue
            absolute = urljoin(self.url, src)
            if absolute not in seen:
                seen.add(absolute)
                images.append(absolute)
        return images

    def body_en(self) -> str | None:
        """A machine translation some outlets append after the body (family B); never in ``body``."""
        return None

    def not_an_article(self) -> str | None:
        """Why this page is not an article at all (a CMS error page), else None.

        Such a page is skipped and counted, not reported as a layout change.
        """
        return None

    def section(self) -> str | None:
        return self.first_text(self.section_css) or self.meta("article:section") or self.query_param(self.section_param)

    def to_dict(self) -> dict:
        """Raw fields; ``None`` (or empty list) where no layer found them.

        Each field comes from the first layer that yields a plausible value (the family's
        selectors, the page's structured metadata, labelled text, a main-content
        extractor), with ``provenance`` saying which; see :mod:`newsbot.extract.layers`.
        """
        from newsbot.extract.layers import layered_fields  # layers import this module

        return layered_fields(self)
