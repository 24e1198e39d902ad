"""Plain text from article HTML: paragraphs kept, furniture dropped, Unicode normalized.

Two pure steps, used by every CMS family:

* :func:`element_lines` turns a body element into raw lines, one per block, skipping
  the sub-elements an extractor excludes (captions, ads, related-article boxes);
* :func:`normalize_text` makes those lines clean text: NFC, whitespace collapsed,
  one paragraph per line, page-furniture lines removed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from lxml import etree

# Elements whose boundaries are line breaks in the rendered page.
BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer form h1 h2 h3 "
    "h4 h5 h6 header hr li main nav ol p pre section table tbody td th thead tr ul".split()
)
# Elements that never hold article text.
SKIP_TAGS = frozenset("script style noscript iframe object embed button select textarea template svg".split())

# Lines that are page furniture on Korean news CMSes, whatever the family.
FURNITURE_PATTERNS = (
    r"기사\s*메일\s*전송",
    r"기사\s*수정",
    r"다른 곳에 퍼가실 때는.*",
    r"나도 한마디",
    r"※\s*로그인 후 의견을.*",
    r"많이 본 (?:뉴스|기사).*",
    r"최신\s*뉴스(?:\s*더보기)?",
    r"모바일 버전 바로가기",
    r"목록 바로가기",
    r"인쇄",
    # a board's buttons under a post (gnuboard and other board skins)
    r"(?:목록|목록보기|글쓰기|답변|답글|수정|삭제|이전글|다음글|스크랩|신고|맨\s*위로)",
    r"[-+]",
    r"\d+",  # lone counters (likes, comment counts) left by share widgets
    r".*(?:저작권|[ⓒ©]|[Cc]opyright).*무단\s*전재.*",  # copyright notices
)
_FURNITURE = re.compile(r"^(?:" + "|".join(FURNITURE_PATTERNS) + r")$")
# The same test in two parts: the copyright pattern backtracks over the whole line (a
# paragraph is hundreds of letters), so it only runs on lines that hold its "무단".
_FURNITURE_SHORT = re.compile(r"^(?:" + "|".join(FURNITURE_PATTERNS[:-1]) + r")$")
_COPYRIGHT = re.compile(r"^(?:" + FURNITURE_PATTERNS[-1] + r")$")
_SPACES = re.compile(r"[^\S\n]+")


def element_lines(element, exclude: Iterable = ()) -> list[str]:
    """Text of an lxml element (or parsel Selector) as lines, one per block element.

    ``exclude`` holds elements (or Selectors) to skip with everything inside them; the
    tree itself is not modified, so a response's parsed tree can be shared by all fields.
    """
    root = getattr(element, "root", element)
    # The elements themselves, not id()s: lxml proxies are only stable while referenced.
    skipped = {getattr(e, "root", e) for e in exclude}
    parts: list[str] = []

    def walk(node) -> None:
        tag = node.tag if isinstance(node.tag, str) else None
        if tag is None or node in skipped or tag.lower() in SKIP_TAGS:
            return
        block = tag.lower() in BLOCK_TAGS
        if block:
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n")

    if isinstance(root, etree._Element):
        walk(root)
    elif root is not None:
        parts.append(str(root))
    return "".join(parts).split("\n")


def _nfc_visible(text: str) -> str:
    """NFC, zero-width space and BOM dropped."""
    return unicodedata.normalize("NFC", text).replace("\u200b", "").replace("\ufeff", "")


def clean_line(text: str) -> str:
    """One line: NFC, every kind of space (nbsp, ideographic) collapsed to one, trimmed."""
    text = _nfc_visible(text)
    if "\n" in text:
        return _SPACES.sub(" ", text).strip()  # a "\n" inside stays
    # str.split() splits at runs of exactly what re's \s matches (str.isspace) and drops
    # them at both ends: the same result, 2.5x faster than the regex substitution.
    return " ".join(text.split())


def _is_clean_furniture(line: str) -> bool:
    """``_FURNITURE.match`` of an already cleaned line, the copyright pattern only when it can match."""
    return bool(_FURNITURE_SHORT.match(line) or ("무단" in line and _COPYRIGHT.match(line)))


def normalize_text(lines: str | Iterable[str], extra_furniture: re.Pattern | None = None) -> str:
    """Clean paragraphs joined by ``\\n``: blank lines and furniture lines dropped."""
    if isinstance(lines, str):
        # NFC over the whole text, then clean_line's space collapsing per line: the same
        # lines, since NFC never composes across a "\n"; a regex call per line (most of
        # them blank) cost twice as much.
        lines = [" ".join(line.split()) for line in _nfc_visible(lines).split("\n")]
    else:
        lines = [clean_line(line) for line in lines]  # a given line may hold a "\n": kept whole
    kept = []
    for line in lines:
        if not line or _is_clean_furniture(line):
            continue
        if extra_furniture is not None and extra_furniture.match(line):
            continue
        kept.append(line)
    return "\n".join(kept)


def is_furniture(line: str) -> bool:
    return bool(_FURNITURE.match(clean_line(line)))
