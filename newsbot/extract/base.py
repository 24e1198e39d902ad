"""Page objects: an article page in, raw article fields out, no crawling involved.

A CMS family subclasses :class:`ArticlePage` and mostly just declares CSS selectors
(first match wins, so skin variants are listed side by side).  Methods are there to
override when a family needs more than a selector.  Output is *raw*: dates as printed,
body as text lines; :mod:`newsbot.normalize` turns that into the record, so the same
normalization serves every family and re-parsing from WARCs.

Tested on HTML strings: ``FamilyAArticle.from_html(html, url).to_dict()``.
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector

from newsbot.text import clean_line, element_lines

_DIGIT = re.compile(r"\d")


class ArticlePage:
    """Extracts one article from a parsed page; subclasses declare selectors."""

    #: query parameter (or path regex with one group) that holds the CMS's article id
    id_param: ClassVar[str | None] = None
    id_path_re: ClassVar[re.Pattern | None] = None

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

    def __init__(self, url: str, selector: Selector):
        self.url = url
        self.selector = selector

    @classmethod
    def from_html(cls, html: str | bytes, url: str) -> ArticlePage:
        if isinstance(html, bytes):
            # parsel refuses an empty body; an empty page is a page with nothing on it
            return cls(url, Selector(body=html or b"<html></html>", type="html"))
        return cls(url, Selector(text=html, type="html"))

    # -- helpers -------------------------------------------------------------
    def first(self, css: tuple[str, ...], root: Selector | None = None) -> Selector | None:
        root = root if root is not None else self.selector
        for query in css:
            found = root.css(query)
            if found:
                return found[0]
        return None

    def first_text(self, css: tuple[str, ...]) -> str | None:
        """Text of the first selector that matches with non-empty text."""
        for query in css:
            for node in self.selector.css(query):
                text = self.node_text(node)
                if text:
                    return text
        return None

    @staticmethod
    def node_text(node: Selector) -> str:
        if isinstance(node.root, str):  # attribute or text() selections
            return clean_line(node.root)
        return " ".join(filter(None, (clean_line(line) for line in element_lines(node))))

    def meta(self, *names: str) -> str | None:
        for name in names:
            value = self.selector.xpath(
                f'//meta[@property="{name}" or @name="{name}"]/@content'
            ).get()
            if value and value.strip():
                return clean_line(value)
        return None

    def query_param(self, name: str | None) -> str | None:
        if not name:
            return None
        values = parse_qs(urlsplit(self.url).query).get(name)
        return values[0] if values else None

    # -- fields --------------------------------------------------------------
    def article_id(self) -> str | None:
        if self.id_param:
            value = self.query_param(self.id_param)
            if value:
                return value
        if self.id_path_re is not None:
            match = self.id_path_re.search(urlsplit(self.url).path)
            if match:
                return match.group(1)
        return None

    def title(self) -> str | None:
        return self.first_text(self.title_css) or self.meta("og:title")

    def subtitle(self) -> str | None:
        for query in self.subtitle_css:
            nodes = self.selector.css(query)
            lines = [line for node in nodes for line in map(clean_line, element_lines(node)) if line]
            if lines:
                return "\n".join(lines)
        return None

    def author(self) -> str | None:
        return self.first_text(self.author_css)

    def date_texts(self) -> list[str]:
        texts = []
        for query in self.date_css:
            texts.extend(self.node_text(node) for node in self.selector.css(query))
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

    def body_node(self) -> Selector | None:
        return self.first(self.body_css)

    def photo_nodes(self, body: Selector) -> list[Selector]:
        # one node may match several selectors ("figure.photo-layout", "figure"): once each,
        # in page order (captions are listed in the order the photos appear)
        nodes = {node.root: node for query in self.photo_css for node in body.css(query)}
        position = {element: index for index, element in enumerate(body.root.iter())}
        return sorted(nodes.values(), key=lambda node: position.get(node.root, 0))

    def excluded_nodes(self, body: Selector) -> list[Selector]:
        return [node for query in self.body_exclude_css for node in body.css(query)]

    def body_parts(self) -> tuple[Selector | None, list[Selector], list[Selector]]:
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
            nodes = next((found for q in self.caption_css if (found := photo.css(q))), [photo])
            captions.extend(t for t in (self.node_text(n) for n in nodes) if t)
        return captions

    def images(self) -> list[str]:
        body, _, excluded_nodes = self.body_parts()
        if body is None:
            return []
        # images inside ad or related-article blocks are not the article's
        # (a set of the elements themselves: lxml proxies are only stable while referenced)
        excluded = {img.root for node in excluded_nodes for img in node.css("img")}
        seen, images = set(), []
        for img in body.css("img"):
            if img.root in excluded:
                continue
            src = (img.attrib.get("src") or "").strip()
            if not src or src.startswith("data:"):
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
        """Raw fields; ``None`` (or empty list) where the page does not have them."""
        return {
            "url": self.url,
            "article_id": self.article_id(),
            "section": self.section(),
            "title": self.title(),
            "subtitle": self.subtitle(),
            "author": self.author(),
            "published_at_raw": self.published_raw(),
            "modified_at_raw": self.modified_raw(),
            "body": "\n".join(self.body_lines()),
            "body_en": self.body_en(),
            "captions": self.captions(),
            "images": self.images(),
        }
