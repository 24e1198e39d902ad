"""gnuboard5 boards (family D): ``/bbs/board.php?bo_table=X&wr_id=N`` articles (short-URL mode
``/X/N``), ``…?bo_table=X&page=N`` lists.

Built from gnuboard5's own ``skin/board/basic`` templates: ``#bo_v_title .bo_v_tit``,
``#bo_v_info`` (작성자, ``작성일 21-07-17 13:33`` with a two-digit year), images in
``#bo_v_img`` *outside* the body ``#bo_v_con``.  No ``og:*`` tags by default; the
``<title>`` reads ``제목 > 게시판 | 사이트``.

A deleted or missing post is answered with HTTP 200 and gnuboard's alert page
(``오류안내 페이지``, ``#validation_check``): :meth:`GnuboardArticle.not_an_article` says so.

A gnuboard site holds several boards; which one is the news is per outlet (``board``),
and a user can pick another with ``-a board=NAME``.
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.exceptions import UsageError

from newsbot.dates import DateParseError, parse_kst
from newsbot.cms import Signature
from newsbot.extract.base import ArticlePage, image_source
from newsbot.spiders.base import NewsSpider
from newsbot.text import clean_line
from newsbot.urls import ArticleUrls

# "작성일 21-07-17 13:33" (sound_only label, then the date in y-m-d H:i) anywhere in #bo_v_info
_WRITTEN_AT = re.compile(r"작성일\s*:?\s*(\d{2,4}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)")
_AUTHOR = re.compile(r"작성자\s*:?\s*(\S+)")
_SHORT_PATH = re.compile(r"/([A-Za-z0-9_]+)/(\d+)")
_BOARD_NAME = re.compile(r"^[A-Za-z0-9_]+$")  # gnuboard's own rule for bo_table

#: request meta of the backfill's wr_id walk: {"id": N, "misses": consecutive non-articles}
WALK_META = "gnuboard_walk"


class GnuboardUrls(ArticleUrls):
    article_url_re = re.compile(r"board\.php\?(?:[^#]*&)?wr_id=\d+|^(?:https?://[^/]+)?/[A-Za-z0-9_]+/\d+$")
    id_param = "wr_id"
    id_path_re = re.compile(r"^/[A-Za-z0-9_]+/(\d+)$")
    # list context gnuboard appends to article links (page, search, sort, category)
    canonical_drop_params = frozenset({"page", "sca", "sfl", "stx", "sst", "sod", "sop", "spt"})

    @classmethod
    def long_form(cls, url: str) -> str:
        # short-URL mode /X/N names the same post as /bbs/board.php?bo_table=X&wr_id=N
        parts = urlsplit(url)
        short = _SHORT_PATH.fullmatch(parts.path)
        if short and short[1] != "bbs":
            return urlunsplit((parts.scheme, parts.netloc, "/bbs/board.php",
                               f"bo_table={short[1]}&wr_id={short[2]}", ""))
        return url


class GnuboardArticle(ArticlePage):
    urls = GnuboardUrls
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
        attached = [urljoin(self.url, src) for img in self.select("#bo_v_img img") if (src := image_source(img))]
        return list(dict.fromkeys([*attached, *super().images()]))


class GnuboardSpider(NewsSpider):
    cms = "gnuboard"
    urls = GnuboardUrls
    article_page = GnuboardArticle
    #: the board (bo_table) holding the outlet's articles; overridable with -a board=
    board: str = ""
    # notice rows (tr.bo_notice) repeat on every page: skipping them lets an empty page end the walk
    list_link_css = (
        "tr:not(.bo_notice) td.td_subject .bo_tit a::attr(href), "
        "li:not(.bo_notice) .bo_tit a::attr(href)"
    )

    accepted_arguments: ClassVar[frozenset[str]] = NewsSpider.accepted_arguments | {"board"}

    #: backfill walk: wr_ids are walked downwards in this many interleaved lanes (one request
    #: in flight per lane, so the per-host limit of 2 is used and never queued past)
    walk_lanes: ClassVar[int] = 2
    #: ... and a lane ends after this many ids in a row that are not articles (deleted posts,
    #: errors): the bottom of the board, or a long deleted stretch
    walk_max_misses: ClassVar[int] = 30

    def __init__(self, name: str | None = None, **kwargs):
        board = kwargs.pop("board", None) or self.board
        if not _BOARD_NAME.match(board or ""):
            raise UsageError(f"-a board: not a gnuboard board name (letters, digits, _): {board!r}")
        self.board = board
        self.list_paths = (f"/bbs/board.php?bo_table={board}",)
        if not self.feeds:  # gnuboard's own RSS of a board (on when the board allows it)
            self.feeds = (f"/bbs/rss.php?bo_table={board}",)
        super().__init__(name, **kwargs)

    # -- backfill: walk wr_ids down from the newest post --------------------------------
    # gnuboard lists print MM-DD or HH:MM, never a year, so a list cannot say where `since`
    # is; its wr_ids, though, are assigned in posting order.  A backfill therefore reads the
    # newest id from the first list page and walks the ids downwards, each article's own
    # date deciding whether its lane goes on.  Deleted ids answer gnuboard's alert page.

    def discovery_requests(self):
        # A backfill walks every wr_id down to `since`: a feed or sitemap adds nothing, and a
        # post it fetched first would take the walk's own request of it (the same URL) away
        # from the duplicate filter, ending that lane.
        return [] if self.since else super().discovery_requests()

    def parse_list(self, response):
        ids = [int(i) for url in self.article_links(response)
               if (i := self.urls.article_id(self.canonicalize(url))) and i.isdigit()]
        if self.since is None or not ids:
            yield from super().parse_list(response)
            return
        newest = max(ids)
        self.crawler.stats.inc_value("newsbot/list_pages")
        self.crawler.stats.inc_value("newsbot/article_links_found", len(ids))
        self.logger.info("Backfill walks wr_id down from %d to %s on board %s", newest, self.since, self.board)
        for lane in range(min(self.walk_lanes, newest)):
            yield self.walk_request(newest - lane, misses=0)

    def walk_request(self, wr_id: int, misses: int) -> scrapy.Request:
        url = f"{self.base_url}/bbs/board.php?bo_table={self.board}&wr_id={wr_id}"
        return self.article_request(url, meta={WALK_META: {"id": wr_id, "misses": misses}},
                                    errback=self.walk_failed)

    def parse_article(self, response):
        items = list(super().parse_article(response))
        yield from items
        walk = response.meta.get(WALK_META)
        if walk is None:
            return
        if not items:  # not an article: a deleted post
            yield from self.walk_on(walk, missed=True)
            return
        try:
            published = parse_kst(items[0].get("published_at_raw")).date()
        except DateParseError:
            published = None  # no date to judge by: keep walking
        if published is not None and published < self.since:
            self.logger.info("Backfill lane ends at wr_id %d (published %s)", walk["id"], published)
            return
        yield from self.walk_on(walk, missed=False)

    def walk_failed(self, failure):
        self.article_failed(failure)
        yield from self.walk_on(failure.request.meta[WALK_META], missed=True)

    def walk_on(self, walk: dict, missed: bool):
        misses = walk["misses"] + 1 if missed else 0
        next_id = walk["id"] - self.walk_lanes
        if next_id >= 1 and misses < self.walk_max_misses:
            yield self.walk_request(next_id, misses)


#: what only this CMS writes: how ``scrapy detect`` recognises it (newsbot/detect.py)
SIGNATURES = (
    Signature("the post body of gnuboard5's board skin", css="#bo_v_con", weight=3),
    Signature("the post's title and info boxes", css="#bo_v_title, #bo_v_info, article#bo_v", weight=1),
    Signature("gnuboard5's script globals (g5_url, g5_bbs_url)", text=r"\bg5_(?:bbs_)?url\b", weight=3),
    Signature("board lists /bbs/board.php?bo_table=", link=r"/bbs/board\.php\?(?:[^#]*&)?bo_table=", weight=2),
)
