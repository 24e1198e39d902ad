"""An outlet's article URL shape, learned from its links (the generic spider's URL rules).

A site on a CMS nobody named still spells every article URL one way, with the article's
number in a query parameter or a path segment: ``/news/article.html?no=123``,
``/article.php?aid=1784592000801402141``, ``/view/busan/view.php?code=2025…``,
``/page/view/2023042610365543000``, ``/article/12345``, ``/news/12345.html``.  Among a
page's links (and a feed's entries, which are articles by definition), the shape with the
most distinct ids is the articles'; menus, categories and paging have few.

A shape is one of:

* a path and the query parameter holding the id (``/news/article.html`` + ``no``): any
  other parameters may come and go;
* a path template whose last numbered segment is the id (``/article/{id}``,
  ``/news/{id}.html``, ``/{n}/{n}/{id}``: earlier all-digit segments, dates, match any number).

Not candidates: paging and sorting parameters (``page``, ``offset`` ...), paths naming a
list, category, tag, search, feed, login or print page, and static files (images, scripts,
documents).  Hand-written: no maintained library infers a site's article URL pattern
(trafilatura's link filters and courlan decide "looks like an article" per URL, without
an id to name records by).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median
from urllib.parse import parse_qsl, urlsplit

#: query parameters that page, sort or filter a list: never an article's id
PAGING_PARAMS = frozenset({
    "page", "pagenum", "pageno", "page_no", "pg", "cpage", "curpage", "nowpage", "offset", "start", "limit",
    "size", "rows", "sort", "order", "total", "year", "month", "day", "date",
})
#: words in a path (split at non-letters and camelCase) that name a page that is no article
NOT_ARTICLE_WORDS = frozenset({
    "list", "lists", "cate", "category", "categories", "section", "sections", "tag", "tags", "search", "login",
    "logout", "join", "member", "members", "rss", "feed", "feeds", "sitemap", "print", "popup", "mail", "email",
    "reply", "comment", "comments", "write", "download", "banner", "ad", "ads", "author", "reporter", "index",
    "main", "menu", "company", "about", "policy", "privacy", "rank", "ranking",
})
STATIC_EXTENSIONS = frozenset({
    "jpg", "jpeg", "png", "gif", "webp", "svg", "ico", "bmp", "css", "js", "pdf", "hwp", "hwpx", "doc", "docx",
    "xls", "xlsx", "ppt", "pptx", "zip", "mp3", "mp4", "avi", "wmv", "xml", "txt", "json",
})
#: a query value that is an id: digits (2026050822016001868, 20260508.22016001868), or a
#: short letter prefix and digits (AKR20240101000100001)
_ID_VALUE = re.compile(r"^(?:[A-Za-z]{1,5}\d{3,}|\d+)(?:\.\d+)?$")
#: a path segment holding an id: 12345, 12345.html, view12345.html, 12345-slug
_ID_SEGMENT = re.compile(r"^(?P<prefix>[A-Za-z_]{0,16}?)(?P<id>\d+)(?P<rest>\.[A-Za-z]{2,5}|[-_][^/]+)?$")
_DIGITS = re.compile(r"^\d+$")
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
#: feed entries are articles by definition: each distinct id from one counts this many times
KNOWN_ARTICLE_WEIGHT = 3


def _words(path: str) -> set[str]:
    return {word.lower() for word in _WORDS.findall(path)}


@dataclass(frozen=True)
class UrlShape:
    """An article URL shape: ``path`` (a template when the id is in the path) and the query
    parameter holding the id (None when it is in the path)."""

    path: str
    id_param: str | None = None

    # -- matching ---------------------------------------------------------------------------
    @property
    def path_re(self) -> re.Pattern:
        cached = self.__dict__.get("_path_re")
        if cached is None:
            pattern = ""
            for piece in re.split(r"(\{id\}|\{n\}|\{slug\})", self.path):
                pattern += {"{id}": r"(\d+)", "{n}": r"\d+", "{slug}": r"[-_][^/]*"}.get(piece, re.escape(piece))
            cached = re.compile(f"^{pattern}/?$")
            object.__setattr__(self, "_path_re", cached)
        return cached

    def article_id(self, url: str) -> str | None:
        """The article's id in ``url`` (an absolute URL or a site-absolute path), or None
        when ``url`` is not of this shape."""
        parts = urlsplit(url)
        match = self.path_re.match(parts.path or "/")
        if match is None:
            return None
        if self.id_param is None:
            return match.group(1)
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if name == self.id_param and _ID_VALUE.match(value):
                return value
        return None

    def matches(self, url: str) -> bool:
        return self.article_id(url) is not None

    # -- naming -------------------------------------------------------------------------------
    def describe(self) -> str:
        """``/news/article.html?no=<id>``, ``/article/<id>``: for logs and the report."""
        text = self.path.replace("{id}", "<id>").replace("{n}", "<n>").replace("{slug}", "-<slug>")
        return f"{text}?{self.id_param}=<id>" if self.id_param else text

    def to_dict(self) -> dict:
        return {"path": self.path, "id_param": self.id_param}

    @classmethod
    def from_dict(cls, value: dict) -> UrlShape:
        return cls(str(value["path"]), value.get("id_param") or None)


def candidates(url: str) -> list[tuple[UrlShape, str]]:
    """The shapes ``url`` could be an article of, each with the id it would have."""
    parts = urlsplit(url)
    path = parts.path or "/"
    segments = path.split("/")
    last = segments[-1] if segments[-1] else (segments[-2] if len(segments) > 1 else "")
    if "." in last and last.rsplit(".", 1)[1].lower() in STATIC_EXTENSIONS:
        return []
    found = []
    # the id in a query parameter, the path literal
    if not _words(path) & NOT_ARTICLE_WORDS:
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if name.lower() not in PAGING_PARAMS and _ID_VALUE.match(value):
                found.append((UrlShape(path.rstrip("/") or "/", name), value))
    # the id in the last numbered path segment, earlier numbers generalized
    stripped = [s for s in segments]
    while stripped and stripped[-1] == "":
        stripped.pop()
    for index in range(len(stripped) - 1, 0, -1):
        match = _ID_SEGMENT.match(stripped[index])
        if match is None:
            continue
        rest = match["rest"] or ""
        rest = "{slug}" if rest[:1] in "-_" and rest else rest
        template = [("{n}" if _DIGITS.match(s) else s) for s in stripped[:index]]
        literal = "/".join(s for s in template)
        if _words(literal + "/" + match["prefix"] + rest.replace("{slug}", "")) & NOT_ARTICLE_WORDS:
            break
        found.append((UrlShape(f"{literal}/{match['prefix']}{{id}}{rest}"), match["id"]))
        break
    return found


def learn_shape(links: Iterable[str], known_articles: Iterable[str] = (), hosts: Iterable[str] | None = None,
                min_score: int = 3) -> UrlShape | None:
    """The article URL shape among ``links`` (a page's) and ``known_articles`` (a feed's
    entries, ``-a urls``): the shape with the most distinct ids, ``known_articles``
    counting :data:`KNOWN_ARTICLE_WEIGHT` times; ties go to longer ids, then to a query
    parameter.  None when no shape scores ``min_score``.  ``hosts``: only links on these
    hosts count (default: all)."""
    allowed = {h.lower() for h in hosts} if hosts is not None else None
    ids: dict[UrlShape, dict[str, int]] = {}
    for weight, urls in ((KNOWN_ARTICLE_WEIGHT, known_articles), (1, links)):
        for url in urls:
            host = (urlsplit(url).hostname or "").lower()
            if allowed is not None and host not in allowed:
                continue
            for shape, article_id in candidates(url):
                seen = ids.setdefault(shape, {})
                seen[article_id] = max(seen.get(article_id, 0), weight)
    if not ids:
        return None

    def score(shape: UrlShape) -> tuple:
        found = ids[shape]
        return (sum(found.values()), median(len(i) for i in found), shape.id_param is not None, shape.describe())

    best = max(ids, key=score)
    return best if score(best)[0] >= min_score else None
