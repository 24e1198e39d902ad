"""Family D: gnuboard5 boards (``/bbs/board.php?bo_table=X&wr_id=N``, short form ``/X/N``).

Built from gnuboard5's own ``skin/board/basic`` templates: ``#bo_v_title .bo_v_tit``,
``#bo_v_info`` (작성자, ``작성일 21-07-17 13:33`` with a two-digit year), images in
``#bo_v_img`` *outside* the body ``#bo_v_con``.  No ``og:*`` tags by default; the
``<title>`` reads ``제목 > 게시판 | 사이트``.

A deleted or missing post is answered with HTTP 200 and gnuboard's alert page
(``오류안내 페이지``, ``#validation_check``): :meth:`not_an_article` says so.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from newsbot.extract.base import ArticlePage
from newsbot.text import clean_line

# "작성일 21-07-17 13:33" (sound_only label, then the date in y-m-d H:i) anywhere in #bo_v_info
_WRITTEN_AT = re.compile(r"작성일\s*:?\s*(\d{2,4}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)")
_AUTHOR = re.compile(r"작성자\s*:?\s*(\S+)")


class FamilyDArticle(ArticlePage):
    id_param = "wr_id"
    id_path_re = re.compile(r"^/[A-Za-z0-9_]+/(\d+)$")
    section_param = "bo_table"

    title_css = ("#bo_v_title .bo_v_tit", "#bo_v_title")
    author_css = ("#bo_v_info .sv_member", "#bo_v_info .sv_guest", "#bo_v_info .member")
    body_css = ("#bo_v_con",)
    body_exclude_css = (".ad", "[class*=banner]", "#bo_v_share", "#bo_v_act")
    photo_css = ("figure",)
    caption_css = ("figcaption",)

    def section(self) -> str | None:
        # the board: bo_table, or the first path segment of a short URL (/X/N)
        found = super().section()
        if found:
            return found
        match = re.match(r"^/([A-Za-z0-9_]+)/\d+$", urlsplit(self.url).path)
        return match.group(1) if match else None

    def not_an_article(self) -> str | None:
        title = clean_line(self._page_title())
        if title.startswith("오류안내 페이지") or self.select("#validation_check"):
            return "gnuboard alert page"
        return None

    def title(self) -> str | None:
        found = self.first_text(self.title_css) or self.meta("og:title")
        if found:
            return found
        # "제목 > 게시판 | 사이트": the part before the board name
        page_title = clean_line(self._page_title())
        if " > " not in page_title:
            return None
        return page_title.split(" > ")[0].strip() or None

    def _page_title(self) -> str:
        texts = self.select("title::text")
        return texts[0] if texts else ""

    def _info_text(self) -> str:
        return " ".join(self.node_text(node) for node in self.select("#bo_v_info"))

    def author(self) -> str | None:
        found = self.first_text(self.author_css)
        if found:
            return found
        match = _AUTHOR.search(self._info_text())
        return match.group(1) if match else None

    def published_raw(self) -> str | None:
        match = _WRITTEN_AT.search(self._info_text())
        return f"작성일 {match.group(1)}" if match else self.meta("article:published_time")

    def modified_raw(self) -> str | None:
        return None  # gnuboard shows no modification time

    def images(self) -> list[str]:
        # attached images sit in #bo_v_img, before (and outside) the body container
        attached = [urljoin(self.url, src.strip()) for src in self.select("#bo_v_img img::attr(src)")
                    if src.strip()]
        return list(dict.fromkeys([*attached, *super().images()]))
