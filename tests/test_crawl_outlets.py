"""What outlet spiders do that a fixture folder cannot say as data.

Each family's crawl (list pages, articles with exact values, the family's variants:
EUC-KR declared only in <meta>, gnuboard's alert page for a deleted post, layout drift
kept and flagged) is data: ``tests/fixtures/<site>/expected.json``, crawled by
tests/test_fixture_crawls.py.  Here: the outlets ``scrapy list`` shows, gnuboard's
``-a board=`` argument, and where ND Soft outlets start.
"""

from __future__ import annotations

import subprocess
import sys

from newsbot.testing.localsite import LocalSite, load_routes

from .conftest import FIXTURES, REPO, run_scrapy

ALL_OUTLETS = ["breaknews_gn", "firstnews", "gginews", "idomin", "jejusori", "kado", "newsstep", "voicekorea"]


def test_scrapy_list_shows_every_outlet():
    # Outlets are registry entries (newsbot/data/outlets.toml): every one whose CMS has a
    # spider base is listed (generic ones once newsbot/cms/generic.py exists), the first
    # eight among them under their old names.
    from newsbot import registry
    from newsbot.cms import spider_base

    expected = sorted({o.site for o in registry.load() if spider_base(o.cms) is not None} | {"generic"})
    listed = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, capture_output=True, text=True,
                            timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == expected
    assert set(ALL_OUTLETS) <= set(expected) and len(expected) >= 40


def test_board_argument_picks_another_board(tmp_path):
    routes = load_routes(FIXTURES / "firstnews")
    # the same pages served as board "paju"
    renamed = {target.replace("bo_table=firstnews", "bo_table=paju"): route for target, route in routes.items()}
    with LocalSite(renamed) as site:
        result = run_scrapy(["crawl", "firstnews", "-a", f"base_url={site.base_url}", "-a", "board=paju",
                             "-a", "max_pages=1"], tmp_path / "out")
        assert result.returncode == 0, result.stderr[-3000:]
        assert [r for r in site.requests if r.startswith("/bbs/board.php?bo_table=")][0] == "/bbs/board.php?bo_table=paju"
    bad = run_scrapy(["crawl", "firstnews", "-a", "board=../etc"], tmp_path / "bad")
    assert bad.returncode != 0
    assert "-a board: not a gnuboard board name" in bad.stderr


def test_nd_soft_outlets_start_at_their_all_articles_list():
    from newsbot.spiders.registry import IdominSpider, JejusoriSpider, KadoSpider

    starts = {cls.name: (cls().start_urls, cls().allowed_domains) for cls in (IdominSpider, KadoSpider, JejusoriSpider)}
    assert starts == {
        "idomin": (["https://www.idomin.com/news/articleList.html?view_type=sm"], ["www.idomin.com"]),
        "kado": (["https://www.kado.net/news/articleList.html?view_type=sm"], ["www.kado.net"]),
        "jejusori": (["https://www.jejusori.net/news/articleList.html?view_type=sm"], ["www.jejusori.net"]),
    }
