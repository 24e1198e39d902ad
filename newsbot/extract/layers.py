"""Layered extraction: each field from the first layer that yields a plausible value.

Layers, in order, and the provenance each writes for a field (``record["provenance"]``,
documented in docs/records.md; the vocabulary is part of the record's contract):

``selector``
    (a) the family page object: its CSS selectors and its own rules;
``metadata:<source>``
    (b) the page's structured data (:mod:`newsbot.extract.structured`), ``<source>``
    naming where: ``og:title``, ``dable:author``, ``article:published_time``,
    ``json-ld:datePublished``, ``microdata:author``, ``dc.creator``, ``html-title`` ...;
``label``
    (c) labelled Korean text (:mod:`newsbot.extract.labelled`): ``입력 2024.01.01 12:00``,
    ``홍길동 기자``, ``▲ caption``;
``main_content:trafilatura``
    (d) body (and its images) only: a main-content extractor (:mod:`newsbot.extract.main_content`);
``url:<param>``
    the section only, last: the family's section query parameter (``sc_section_code``).

A field no layer yields has provenance ``null``.  A family method that falls back to a
``<meta>`` itself (``title() or meta("og:title")``) is credited to ``metadata:og:title``.

The known-family path stays cheap: a layer runs only for the fields the ones before it
did not fill, the page-wide label scan only when the family's selectors found no date (an
unknown header layout), and the main-content extractor only when they found no body.

"Plausible", per field (a value that fails is skipped and the next layer asked):

* title: 2-300 characters, not the site's own name (``og:site_name``, ``<title>``'s tail);
* subtitle: not empty, not the title again;
* author: 2-30 characters once ``기자``/e-mail are stripped, not only digits, not a label
  word (``기자``, ``작성자``); from metadata also not a URL, an ``@handle`` or the site's name
  (``<meta name="author">`` often names the outlet);
* published/modified time: parses (:func:`newsbot.dates.parse_kst`), not before 1990, not
  more than a day in the future;
* section: 1-30 characters with a letter, not a counter (``댓글 0``, ``조회수 57``), a date,
  or a byline;
* body: any text from the family; from the main-content extractor at least
  :data:`MIN_MAIN_CONTENT_CHARS` letters and digits (Hangul, Latin) of text besides bylines,
  e-mail and URL lines, and those at least :data:`MIN_WORD_SHARE` of its characters: less
  is more likely page furniture (or bytes that are no HTML) than an article.

Warnings (``extraction_warnings``; normalize adds the names of missing required fields):
``published_at:disagrees_with_metadata`` when the family's date and the page's metadata
date are more than a day apart (the record keeps the family's).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from newsbot.dates import KST, DateParseError, parse_kst
from newsbot.extract import labelled
from newsbot.extract.base import image_source
from newsbot.extract.main_content import EXTRACTOR, extract_main_content
from newsbot.extract.structured import StructuredData
from newsbot.normalize import clean_author
from newsbot.text import clean_line, is_furniture

if TYPE_CHECKING:
    from newsbot.extract.base import ArticlePage

SELECTOR = "selector"
LABEL = "label"
MAIN_CONTENT = f"main_content:{EXTRACTOR}"
#: the fields that carry a provenance, in record order
LAYERED_FIELDS = ("title", "subtitle", "author", "published_at", "modified_at", "section",
                  "body", "captions", "images")
#: extraction warning: the family's publication time and the page's metadata disagree
PUBLISHED_DISAGREES = "published_at:disagrees_with_metadata"
#: dates further apart than this disagree (a date printed without its time is midnight)
DISAGREEMENT = timedelta(days=1)
MIN_MAIN_CONTENT_CHARS = 100
MIN_WORD_SHARE = 0.6
_WORD_CHARS = re.compile(r"[가-힣A-Za-z0-9]")
EARLIEST_YEAR = 1990

_LABEL_WORDS = frozenset({"기자", "작성자", "기자명", "글", "사진", "글쓴이", "관리자", "admin", "administrator"})
_HAS_LETTER = re.compile(r"[가-힣A-Za-z]")
#: a counter ("댓글 0", "조회수 1,024"), a date, or a byline where a section name should be
_NOT_A_SECTION = re.compile(
    r"^(?:댓글|조회|조회수|추천|공유|좋아요|스크랩|읽음|hits?|views?)\s*[:：]?\s*[\d,]+$"
    r"|\d{2,4}\s*[-./]\s*\d{1,2}\s*[-./]\s*\d{1,2}|기자$",
    re.IGNORECASE)
_URL_OR_MAIL_LINE = re.compile(r"^(?:https?://\S+|\S+@\S+)$")
#: a site's footer line: copyright notices ("Copyright 남강신문 All rights reserved", "무단 전재 …")
_FOOTER_LINE = re.compile(r"copyright|all rights reserved|무단\s*(?:전재|복제)|ⓒ|©", re.IGNORECASE)
#: how far into / from the end of a main-content body its page furniture is looked for
_HEAD_LINES, _TAIL_LINES = 12, 3
_PLAIN_NAME = re.compile(r"^\s*[가-힣]{2,5}\s?(?:기자)?\s*$")


def layered_fields(page: ArticlePage, now: datetime | None = None) -> dict:
    """The page's raw fields with ``provenance`` and ``extraction_warnings`` (see module doc)."""
    return _Layering(page, now).fields()


class _Layering:
    def __init__(self, page: ArticlePage, now: datetime | None):
        self.page = page
        self.now = now
        self.structured = StructuredData(page)
        self.provenance: dict[str, str | None] = dict.fromkeys(LAYERED_FIELDS)
        self.warnings: list[str] = []
        self._page_text: labelled.PageText | None = None
        self.published_time: datetime | None = None  # the family's, parsed once
        self.latest: datetime | None = None  # a date after this is in the future
        self._site_names: set[str] | None = None
        self.title: str | None = None

    # -- helpers ---------------------------------------------------------------
    def source_of(self, value) -> str:
        """Provenance of what a family method just returned (``page.answered_by`` reset
        before the call): ``selector``, or the metadata/URL source when the method's own
        fallback (``meta()``, ``query_param()``) answered."""
        answered = self.page.answered_by
        if answered is not None and value and answered[2] == value:
            return f"{answered[0]}:{answered[1]}"
        return SELECTOR

    def site_names(self) -> set[str]:
        if self._site_names is None:
            self._site_names = self.structured.site_names()
        return self._site_names

    def page_text(self) -> labelled.PageText:
        if self._page_text is None:
            body = self.page.body_parts()[0]
            self._page_text = labelled.page_text(self.page.root, body)
        return self._page_text

    # -- plausibility ------------------------------------------------------------
    def plausible_title(self, text: str | None, from_metadata: bool = False) -> bool:
        text = (text or "").strip()  # the families' text is already clean_line()d
        if not 2 <= len(text) <= 300:
            return False
        return not from_metadata or clean_line(text) not in self.site_names()

    def strip_site_name(self, title: str) -> str:
        """``기사 제목 - 사이트`` -> ``기사 제목`` for a metadata title carrying the site's name."""
        for name in self.site_names():
            for separator in (" - ", " | ", " :: ", " : ", " – ", " — ", " · "):
                if title.endswith(separator + name):
                    return title[: -len(separator + name)].strip()
        return title

    def plausible_author(self, raw: str | None, from_metadata: bool = False) -> bool:
        if not raw:
            return False
        if not from_metadata and _PLAIN_NAME.match(raw):
            return True  # "홍길동 기자", "홍길동": the common case, without clean_author's regexes
        name = clean_author(raw)
        if not name or not 2 <= len(name) <= 30 or name.isdigit() or name.lower() in _LABEL_WORDS:
            return False
        if from_metadata:
            if name.startswith(("@", "http://", "https://", "www.")) or "/" in name:
                return False
            if name in self.site_names():
                return False
        return True

    def parse_plausible_date(self, text: str | None) -> datetime | None:
        if not text:
            return None
        try:
            value = parse_kst(text)
        except DateParseError:
            return None
        if self.latest is None:
            self.latest = (self.now or datetime.now(KST)) + timedelta(days=1)
        if value.year < EARLIEST_YEAR or value > self.latest:
            return None
        return value

    @staticmethod
    def plausible_section(text: str | None) -> bool:
        text = (text or "").strip()
        return 1 <= len(text) <= 30 and bool(_HAS_LETTER.search(text)) and not _NOT_A_SECTION.search(text)

    @staticmethod
    def plausible_main_content(lines: list[str]) -> bool:
        """Enough text, and text in words: Hangul, Latin letters and digits are most of it
        (bytes that are no HTML at all decode to a soup of symbols and accented letters)."""
        text = "".join(
            line for line in map(clean_line, lines)
            if line and not (is_furniture(line) or _URL_OR_MAIL_LINE.match(line) or labelled.byline_in_lines([line]))
        ).replace(" ", "")
        words = len(_WORD_CHARS.findall(text))
        return words >= MIN_MAIN_CONTENT_CHARS and words >= MIN_WORD_SHARE * len(text)

    # -- fields ------------------------------------------------------------------
    # Each field: the family's value (kept when plausible, with a cheap test inline: this is
    # the path every page takes), else a ``*_fallback`` method that asks the next layers.
    # Written flat on purpose: per-call overhead was most of the layering's cost.
    def metadata(self, field: str, plausible, deep: bool = False, transform=None):
        value, source = self.structured.first(field, plausible, deep=deep, transform=transform)
        return (value, f"metadata:{source}") if value else (None, None)

    def title_fallback(self):
        plausible = lambda v: self.plausible_title(v, from_metadata=True)  # noqa: E731
        return self.metadata("title", plausible, deep=True, transform=lambda v: self.strip_site_name(clean_line(v)))

    def published_fallback(self):
        value, source = self.metadata("published_at", self.parse_plausible_date, deep=True)
        if value:
            return value, source
        value = labelled.labelled_date(self.page_text().lines)
        return (value, LABEL) if value else (None, None)

    def modified_fallback(self, header_known: bool):
        value, source = self.metadata("modified_at", self.parse_plausible_date, deep=not header_known)
        if value or header_known:
            # the family found the dates: a modification time it did not find is not there
            return value, source
        value = labelled.labelled_date(self.page_text().lines, modified=True)
        return (value, LABEL) if value else (None, None)

    def author_fallback(self, header_known: bool, body_lines: list[str]):
        value, source = self.metadata("author", lambda v: self.plausible_author(v, from_metadata=True),
                                      deep=not header_known)
        if value:
            return value, source
        if not header_known:
            value = labelled.byline_in_lines(self.page_text().before)
            if self.plausible_author(value):
                return value, LABEL
        value = labelled.byline_in_body(body_lines)
        if self.plausible_author(value):
            return value, LABEL
        return None, None

    def section_fallback(self, header_known: bool):
        value, source = self.metadata("section", self.plausible_section, deep=not header_known)
        if value:
            return value, source
        self.page.answered_by = None
        value = self.page.query_param(self.page.section_param)
        if self.plausible_section(value):
            return value, f"url:{self.page.section_param}"
        return None, None

    def body_captions_images(self):
        """(body lines, body text, provenance, captions, provenance, images, provenance)."""
        page = self.page
        body, photos, excluded = page.body_parts()
        labelled_captions = []
        images = page.images() if body is not None else []
        if images and not photos:
            # photos the family's selectors do not know: their captions are labelled (▲ …)
            blocks = labelled.photo_captions(body, excluded)
            if blocks:
                page._body_parts = (body, [node for node, _ in blocks], excluded)
                labelled_captions = [caption for _, caption in blocks]
        lines = page.body_lines()
        text = "\n".join(lines)
        if text and not text.isspace():
            if labelled_captions:
                captions, captions_source = labelled_captions, LABEL
            else:
                captions = page.captions()
                captions_source = SELECTOR if captions else None
            return lines, text, SELECTOR, captions, captions_source, images, SELECTOR if images else None

        main = extract_main_content(page.root, page.url)
        if main is None or not self.plausible_main_content(main.lines):
            return lines, text, None, [], None, [], None
        lines = self.trim_page_furniture(main.lines)
        captions = []
        page_body = next(page.root.iter("body"), None)
        if main.images and page_body is not None:
            kept = set(main.images)
            for node, caption in labelled.photo_captions(page_body, []):
                sources = {urljoin(page.url, src) for img in node.iter("img") if (src := image_source(img))}
                if sources & kept:
                    captions.append(caption)
        if captions:
            caption_lines = set(captions)
            lines = [line for line in lines if labelled.CAPTION_MARK.sub("", clean_line(line)) not in caption_lines]
        return (lines, "\n".join(lines), MAIN_CONTENT, captions, LABEL if captions else None,
                main.images, MAIN_CONTENT if main.images else None)

    def trim_page_furniture(self, lines: list[str]) -> list[str]:
        """A main-content body without the page around the article that the extractor kept
        on table layouts: menu lines and the headline before the title line, the dated
        byline line after it, copyright lines at the end."""
        cleaned = [clean_line(line) for line in lines]
        title = clean_line(self.title or "")
        start = 0
        if title:
            for index, line in enumerate(cleaned[:_HEAD_LINES]):
                if line == title:
                    start = index + 1
                    break
        while start < len(cleaned) and start < _HEAD_LINES and cleaned[start] and (
                labelled.labelled_date([cleaned[start]]) or labelled.byline_in_lines([cleaned[start]]) == cleaned[start]):
            start += 1
        end = len(lines)
        while end > start and len(lines) - end < _TAIL_LINES and _FOOTER_LINE.search(cleaned[end - 1]):
            end -= 1
        return lines[start:end]

    def check_published_against_metadata(self) -> None:
        """Warn when the family's publication time (``self.published_time``) and the first
        plausible one in the page's metadata are more than :data:`DISAGREEMENT` apart."""
        found = {}

        def plausible(value):
            found["time"] = self.parse_plausible_date(value)
            return found["time"] is not None

        # article:published_time and JSON-LD: the metadata a CMS writes from its own clock
        if self.structured.first("published_at", plausible, limit=2)[0] is not None:
            if abs(self.published_time - found["time"]) > DISAGREEMENT:
                self.warnings.append(PUBLISHED_DISAGREES)

    def fields(self) -> dict:
        page = self.page
        provenance = self.provenance

        # title: the family's, else metadata (og:title ... <title>)
        page.answered_by = None
        title = page.title()
        source = self.source_of(title)
        if source != SELECTOR and title:
            title = self.strip_site_name(clean_line(title))
        if not self.plausible_title(title, source != SELECTOR):
            title, source = self.title_fallback()
        provenance["title"] = source if title else None
        self.title = title

        # published: the family's, else metadata, else a labelled date anywhere on the page
        page.answered_by = None
        published = page.published_raw()
        source = self.source_of(published)
        self.published_time = self.parse_plausible_date(published)
        if self.published_time is None:
            published, source = self.published_fallback()
        provenance["published_at"] = source if published else None
        header_known = source == SELECTOR and published is not None
        if header_known:
            self.check_published_against_metadata()

        (body_lines, body_text, provenance["body"], captions, provenance["captions"], images,
         provenance["images"]) = self.body_captions_images()

        page.answered_by = None
        subtitle = page.subtitle()
        source = self.source_of(subtitle)
        if not (subtitle and subtitle.strip()):
            subtitle, source = self.metadata(
                "subtitle", lambda v: clean_line(v) != clean_line(title or ""))
        provenance["subtitle"] = source if subtitle else None

        page.answered_by = None
        author = page.author()
        source = self.source_of(author)
        if not self.plausible_author(author, from_metadata=source != SELECTOR):
            author, source = self.author_fallback(header_known, body_lines)
        provenance["author"] = source if author else None

        page.answered_by = None
        modified = page.modified_raw()
        source = self.source_of(modified)
        if self.parse_plausible_date(modified) is None:
            modified, source = self.modified_fallback(header_known)
        provenance["modified_at"] = source if modified else None

        page.answered_by = None
        section = page.section()
        source = self.source_of(section)
        if not self.plausible_section(section):
            section, source = self.section_fallback(header_known)
        provenance["section"] = source if section else None

        return {
            "url": page.url,
            "article_id": page.article_id(),
            "section": section,
            "title": title,
            "subtitle": subtitle,
            "author": author,
            "published_at_raw": published,
            "modified_at_raw": modified,
            "body": body_text,
            "body_en": page.body_en(),
            "captions": captions,
            "images": images,
            "provenance": provenance,
            "extraction_warnings": self.warnings,
        }
