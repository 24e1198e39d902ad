"""Family D: gnuboard5 boards, ``/bbs/board.php?bo_table=X&page=N`` lists, ``&wr_id=N`` articles.

A gnuboard site holds several boards; which one is the news is per outlet (``board``),
and a user can pick another with ``-a board=NAME``.
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.exceptions import UsageError
from w3lib.url import url_query_parameter

from newsbot.dates import DateParseError, parse_kst
from newsbot.extract.family_d import FamilyDArticle
from newsbot.spiders.base import NewsSpider

#: request meta of the backfill's wr_id walk: {"id": N, "misses": consecutive non-articles}
WALK_META = "gnuboard_walk"

_BOARD_NAME = re.compile(r"^[A-Za-z0-9_]+$")  # gnuboard's own rule for bo_table


class FamilyDSpider(NewsSpider):
    article_page = FamilyDArticle
    #: the board (bo_table) holding the outlet's articles; overridable with -a board=
    board: str = ""
    # notice rows (tr.bo_notice) repeat on every page: skipping them lets an empty page end the walk
    list_link_css = (
        "tr:not(.bo_notice) td.td_subject .bo_tit a::attr(href), "
        "li:not(.bo_notice) .bo_tit a::attr(href)"
    )
    article_url_re = re.compile(r"board\.php\?(?:[^#]*&)?wr_id=\d+|^(?:https?://[^/]+)?/[A-Za-z0-9_]+/\d+$")
    # list context gnuboard appends to article links (page, search, sort, category)
    canonical_drop_params = frozenset({"page", "sca", "sfl", "stx", "sst", "sod", "sop", "spt"})

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
        super().__init__(name, **kwargs)

    def canonicalize(self, url: str) -> str:
        # short-URL mode /X/N names the same post as /bbs/board.php?bo_table=X&wr_id=N
        parts = urlsplit(url)
        short = re.fullmatch(r"/([A-Za-z0-9_]+)/(\d+)", parts.path)
        if short and short[1] != "bbs":
            url = urlunsplit((parts.scheme, parts.netloc, "/bbs/board.php",
                              f"bo_table={short[1]}&wr_id={short[2]}", ""))
        return super().canonicalize(url)

    # -- backfill: walk wr_ids down from the newest post --------------------------------
    # gnuboard lists print MM-DD or HH:MM, never a year, so a list cannot say where `since`
    # is; its wr_ids, though, are assigned in posting order.  A backfill therefore reads the
    # newest id from the first list page and walks the ids downwards, each article's own
    # date deciding whether its lane goes on.  Deleted ids answer gnuboard's alert page.

    def parse_list(self, response):
        ids = [int(i) for url in self.article_links(response)
               if (i := url_query_parameter(self.canonicalize(url), "wr_id")) and i.isdigit()]
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
