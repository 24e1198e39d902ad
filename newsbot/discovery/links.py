"""Article links in a page's main content region: the list, not the page's furniture.

When a family's list selectors find nothing (a skin nobody catalogued), the article links
are still on the page, among links to the same articles in menus and boxes.  This finds
the list the way a reader does:

1. furniture is left out: ``<nav>``, ``<header>``, ``<footer>``, ``<aside>``, ARIA
   navigation/banner/complementary/contentinfo regions, elements whose class or id names a
   menu or a box (``gnb``, ``lnb``, ``menu``, ``side``, ``right``, ``banner``, ``popular``,
   ``best``, ``most``, ``rank``, ``hot``, ``related``, ``photo``, ``gallery``, ``video``,
   ``sns``, ``recommend``, a board's ``notice`` rows ...), and boxes whose heading says what they are (``많이 본 기사``,
   ``인기``, ``최신``, ``포토``, ``관련``, ``추천``, ``랭킹``);
2. of the article links left (``is_article``), the region is found by descending from
   ``<body>`` into the child that holds more than half of them, as long as one does: the
   list's own container, where links spread over its entries;
3. the links inside that region, in page order, each once.

If the class and heading rules leave no article link at all (a skin naming its list
``photo-list``), the page is read again with only the tag rules.  Hand-written: the
main-content extractors (trafilatura, readability) return text, not the links of a list.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin

from lxml import etree

from newsbot.text import SKIP_TAGS, clean_line
from newsbot.urls import is_http_url

FURNITURE_TAGS = frozenset({"nav", "header", "footer", "aside", "menu"})
FURNITURE_ROLES = frozenset({"navigation", "banner", "complementary", "contentinfo", "menu", "menubar"})
#: class/id words (split at "-", "_", spaces and camelCase) of menus and boxes beside a list
BOX_WORDS = frozenset({
    "nav", "navi", "navigation", "gnb", "lnb", "snb", "tnb", "fnb", "menu", "menus", "header", "footer", "foot",
    "aside", "side", "sidebar", "right", "wing", "banner", "banners", "ad", "ads", "advert", "popular", "best",
    "most", "rank", "ranking", "hot", "related", "relation", "photo", "photos", "gallery", "video", "vod",
    "sns", "share", "recommend", "comment", "comments", "copyright", "sitemap", "family", "login", "quick",
    "notice",  # a board's notice rows (gnuboard's bo_notice) repeat on every page
})
#: headings of boxes beside a list: most read, popular, latest, photo, related, recommended, ranking
BOX_HEADING = re.compile(r"많이\s*(?:본|읽은)|인기|최신|포토|사진|관련|추천|랭킹|핫\s*이슈|영상|PHOTO|BEST|HOT", re.IGNORECASE)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def _words(value: str) -> set[str]:
    return {word.lower() for word in _WORDS.findall(value)}


def _tag(element) -> str:
    return element.tag.lower() if isinstance(element.tag, str) else ""


def is_furniture(element: etree._Element, by_name: bool = True) -> bool:
    """A menu, header, footer, or (``by_name``) a box named or titled as one."""
    tag = _tag(element)
    if tag in FURNITURE_TAGS or (element.get("role") or "").lower() in FURNITURE_ROLES:
        return True
    if not by_name:
        return False
    names = f"{element.get('class') or ''} {element.get('id') or ''}"
    if names.strip() and _words(names) & BOX_WORDS:
        return True
    for child in element:
        if _tag(child) in _HEADINGS:
            return bool(BOX_HEADING.search(clean_line(" ".join(child.itertext()))))
    return False


def _article_anchors(root, base_url: str, is_article: Callable[[str], bool], by_name: bool):
    """(anchor, absolute URL) of every article link outside furniture, in page order."""
    found = []

    def walk(node) -> None:
        for child in node:
            tag = _tag(child)
            if not tag or tag in SKIP_TAGS or is_furniture(child, by_name):
                continue
            if tag == "a":
                href = (child.get("href") or "").strip()
                if href and not href.startswith(("#", "javascript:", "mailto:")):
                    url = urljoin(base_url, href)
                    if is_http_url(url) and is_article(url):
                        found.append((child, url))
            walk(child)

    walk(next(root.iter("body"), root))
    return found


def _region(anchors, top) -> etree._Element:
    """The element holding the list: from ``top`` down into the child with most of the links."""
    counts: dict[etree._Element, int] = {}
    for anchor, _ in anchors:
        for ancestor in anchor.iterancestors():
            counts[ancestor] = counts.get(ancestor, 0) + 1
            if ancestor is top:
                break
    node = top
    while True:
        children = [child for child in node if counts.get(child)]
        if not children:
            return node
        best = max(children, key=lambda child: counts[child])
        if counts[best] * 2 <= counts.get(node, 0):
            return node
        node = best


def main_content_links(root: etree._Element, base_url: str, is_article: Callable[[str], bool]) -> list[str]:
    """Absolute URLs of the article links in the page's main content region (see the module doc)."""
    anchors = _article_anchors(root, base_url, is_article, by_name=True)
    if not anchors:
        anchors = _article_anchors(root, base_url, is_article, by_name=False)
    if not anchors:
        return []
    top = next(root.iter("body"), root)
    region = _region(anchors, top)
    inside = [url for anchor, url in anchors if region is top or any(a is region for a in anchor.iterancestors())]
    return list(dict.fromkeys(inside))


def page_links(root: etree._Element, base_url: str) -> list[str]:
    """Absolute http(s) URLs of every ``<a href>`` outside menus, headers and footers (tag
    rules only), in page order, each once: what URL-shape learning reads on a home page."""
    anchors = _article_anchors(root, base_url, lambda url: True, by_name=False)
    return list(dict.fromkeys(url for _, url in anchors))
