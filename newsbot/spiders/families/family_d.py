"""Family D: gnuboard5 boards, ``/bbs/board.php?bo_table=X&page=N`` lists, ``&wr_id=N`` articles.

A gnuboard site holds several boards; which one is the news is per outlet (``board``),
and a user can pick another with ``-a board=NAME``.
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

from scrapy.exceptions import UsageError

from newsbot.extract.family_d import FamilyDArticle
from newsbot.spiders.base import NewsSpider

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
