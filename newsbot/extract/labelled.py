"""Layer (c): fields read from labelled Korean text, wherever the skin put it.

Korean news pages label what they print: ``입력 2024.01.01 12:00``, ``기사입력: 2012/08/02
[10:36]``, ``승인 …``, ``수정 …``, ``업데이트 …``; bylines read ``홍길동 기자``, ``기자명
홍길동``, ``글·사진 홍길동 기자``, ``[경남=뉴시스] 홍길동 기자 =`` at the body's start or a
``홍길동 기자 hong@…`` line at its end; photo captions sit next to their image and start
with ``▲``.  These labels are the same on every CMS, so this layer reads any skin.

Two scopes, by cost: the body's first and last lines (cheap: the family's selectors have
found the body) are always read for a byline; the text lines of the whole page outside the
body (a walk of the page) only when the family's selectors found no publication date,
i.e. the header's layout is unknown.

Hand-written because no library reads these Korean labels (htmldate, trafilatura's date
search, looks for dates in markup and English/European wording; it neither knows
``승인`` from ``수정`` nor bylines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from newsbot.dates import DateParseError, parse_kst
from newsbot.text import BLOCK_TAGS, SKIP_TAGS, clean_line, element_lines

#: labels before a publication date / a modification date (longest first: 기사입력 before 입력)
PUBLISHED_LABELS = ("기사입력", "기사등록", "기사승인", "최초입력", "최초등록", "입력", "등록", "승인", "작성일", "게시일", "게재",
                    "날짜")
MODIFIED_LABELS = ("최종수정", "최종 수정", "최종업데이트", "최종 업데이트", "기사수정", "수정", "업데이트")

# a date as parse_kst reads it, with an optional time: 2012/08/02 [10:36], 2024.01.01 12:00,
# 21-07-17 13:33, 2024년 5월 1일 오후 3:12
_DATE_TEXT = (
    r"(?:\d{4}|\d{2})\s*[-./년]\s*\d{1,2}\s*[-./월]\s*\d{1,2}\s*일?"
    r"(?:[\s\[(]*(?:\([월화수목금토일]\)\s*)?(?:오전|오후|AM|PM|am|pm)?\s*\d{1,2}\s*[:시]\s*\d{2}\s*분?"
    r"(?:\s*:\s*\d{2})?\s*[\])]?)?"
)


def _labelled_date_pattern(labels: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(re.escape(label).replace(r"\ ", r"\s*") for label in labels)
    # not inside a longer word (미등록, 재입력), the label (등록일, 입력일시 ...) then an optional colon, then the date
    return re.compile(rf"(?<![가-힣])(?:{alternatives})\s*(?:일시|일자|시간|일)?\s*[:：]?\s*{_DATE_TEXT}")


_PUBLISHED = _labelled_date_pattern(PUBLISHED_LABELS)
_MODIFIED = _labelled_date_pattern(MODIFIED_LABELS)

_NAME = r"[가-힣]{2,5}"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_REPORTER = r"(?:기자|특파원|객원기자|인턴기자|통신원)"
#: a byline standing alone (a line, or a part of a "|"-separated header line)
_BYLINE_ALONE = re.compile(
    rf"^(?:(?:글|사진|글\s*[·・/]\s*사진)\s*[:：]?\s*)?(?P<name>{_NAME})\s?{_REPORTER}"
    rf"(?:\s*[(<\[]?\s*{_EMAIL}\s*[)>\]]?)?$"
    rf"|^기자명\s*[:：]?\s*(?P<name2>{_NAME})$"
)
#: the body's first line: "[경남=뉴시스] 홍길동 기자 = ..." or "[브레이크뉴스경기남부=평택 정하윤기자] ..."
_BODY_LEAD = re.compile(
    rf"^\[[^\]]{{1,40}}\]\s*(?P<name>{_NAME})\s?{_REPORTER}\s*=|"
    rf"^\[[^\]=]{{1,30}}=\s*(?:[가-힣]+\s+)?(?P<name2>{_NAME})\s?{_REPORTER}\s*\]"
)
_SPLIT_PARTS = re.compile(r"\s*[|｜]\s*|\s+/\s+|\s{2,}")
#: the first characters of a caption next to a photo
CAPTION_MARK = re.compile(r"^\s*[▲△▶▷◀◆■]\s*")
_CAPTION_HINT = re.compile(r"[©ⓒ]|사진\s*[=:]|사진\s*제공|/\s*사진|제공\s*$")
#: a caption is short; a longer text next to an image is article text
MAX_CAPTION_CHARS = 200


def labelled_date(lines: list[str], modified: bool = False) -> str | None:
    """The first ``label date`` in ``lines`` that parses, as printed (``기사입력: 2012/08/02 [10:36]``)."""
    pattern = _MODIFIED if modified else _PUBLISHED
    for line in lines:
        for match in pattern.finditer(line):
            text = clean_line(match.group(0))
            try:
                parse_kst(text)
            except DateParseError:
                continue
            return text
    return None


def _byline_name(part: str) -> str | None:
    match = _BYLINE_ALONE.match(part)
    return (match["name"] or match["name2"]) if match else None


def byline_in_lines(lines: list[str]) -> str | None:
    """A byline that stands alone on a line or between ``|`` separators, as printed."""
    for line in lines:
        for part in _SPLIT_PARTS.split(line):
            part = clean_line(part)
            if part and _byline_name(part):
                return part
    return None


def byline_in_body(lines: list[str]) -> str | None:
    """The reporter named at the body's start (``[경남=뉴시스] 홍길동 기자 =``) or in a
    byline/e-mail line among its last three lines; the name as printed with its 기자."""
    # only the ends are read: a body is hundreds of lines on a long article
    first = next((clean_line(line) for line in lines if line and not line.isspace()), None)
    if first is None:
        return None
    match = _BODY_LEAD.match(first)
    if match:
        return f"{match['name'] or match['name2']} 기자"
    last = []
    for line in reversed(lines):
        if line and not line.isspace():
            text = clean_line(line)
            if _byline_name(text):
                return text
            last.append(text)
            if len(last) == 3:
                break
    return None


@dataclass
class PageText:
    """Text lines of a page outside its body: ``before`` the body (the header, where
    titles, bylines and dates sit) and ``after`` it."""

    before: list[str]
    after: list[str]

    @property
    def lines(self) -> list[str]:
        return self.before + self.after


def page_text(root: etree._Element, body: etree._Element | None) -> PageText:
    """The rendered lines of ``<body>`` (the whole page when there is none), the article
    body excluded, split at ``body``."""
    start = next(iter(root.iter("body")), root)
    before: list[str] = []
    after: list[str] = []
    target = before

    def walk(node) -> None:
        nonlocal target
        tag = node.tag if isinstance(node.tag, str) else None
        if tag is None or tag.lower() in SKIP_TAGS:
            return
        if node is body:
            target.append("\n")
            target = after
            return
        block = tag.lower() in BLOCK_TAGS
        if block:
            target.append("\n")
        if node.text:
            target.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                target.append(child.tail)
        if block:
            target.append("\n")

    walk(start)
    split = lambda parts: [line for line in map(clean_line, "".join(parts).split("\n")) if line]  # noqa: E731
    return PageText(split(before), split(after))


def photo_captions(body: etree._Element, skip: list[etree._Element]) -> list[tuple[etree._Element, str]]:
    """Photo blocks in ``body`` the family's selectors do not know, with their caption.

    A photo block is the nearest ancestor of an ``<img>`` (at most three levels up, never
    ``body`` itself) that holds text; it is a caption when that text is short and marked
    as one (``▲ …``, ``© …``, ``사진=…``, or a ``<figcaption>``).  Returned in page order,
    each block once; the layers leave them out of the body text.
    """
    skipped = set(skip)
    found: list[tuple[etree._Element, str]] = []
    seen = set()
    for img in body.iter("img"):
        node = img
        for _ in range(3):
            node = node.getparent()
            if node is None or node is body:
                break
            if node in skipped or any(ancestor in skipped for ancestor in node.iterancestors()):
                break
            lines = [line for line in map(clean_line, element_lines(node)) if line]
            if not lines:
                continue
            text = " ".join(lines)
            marked = bool(CAPTION_MARK.match(text) or _CAPTION_HINT.search(text)
                          or next(node.iter("figcaption"), None) is not None)
            if marked and len(text) <= MAX_CAPTION_CHARS and node not in seen:
                seen.add(node)
                found.append((node, CAPTION_MARK.sub("", text)))
            break
    return found
