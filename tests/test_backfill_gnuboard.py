"""gnuboard backfills walk wr_ids down from the newest post, each article's date deciding.

gnuboard lists print no year, so the list cannot say where ``since`` is: the walk must
stop on article dates, skip deleted ids (gnuboard's 200 alert page) and fetch nothing
below the range.
"""

import re

from newsbot.testing.localsite import LocalSite, Route

from .conftest import FIXTURES

BOARD = "firstnews"
NEWEST, OLDEST, DELETED = 120, 101, 116


def article_html(wr_id: int) -> bytes:
    # The fixture article, dated 2024-01-<wr_id - 100> (one post a day, ids in posting order).
    page = (FIXTURES / "firstnews" / "view_118.html").read_text(encoding="utf-8")
    return page.replace("24-03-05 13:33", f"24-01-{wr_id - 100:02d} 09:00").encode("utf-8")


def board_site() -> LocalSite:
    listing = (FIXTURES / "firstnews" / "list_1.html").read_text(encoding="utf-8")
    # the list's own links point at 118/117/116/115: the newest on page 1 is made 120
    listing = re.sub(r"wr_id=118\b", f"wr_id={NEWEST}", listing)
    routes = {
        f"/bbs/board.php?bo_table={BOARD}": Route(body=listing.encode("utf-8")),
        f"/bbs/board.php?bo_table={BOARD}&page=2": Route(body=listing.encode("utf-8")),
    }
    for wr_id in range(OLDEST, NEWEST + 1):
        body = (FIXTURES / "firstnews" / "alert_missing.html").read_bytes() if wr_id == DELETED else article_html(wr_id)
        routes[f"/bbs/board.php?bo_table={BOARD}&wr_id={wr_id}"] = Route(body=body)
    return LocalSite(routes)


def test_backfill_walks_wr_ids_and_stops_below_since(crawl):
    with board_site() as site:
        result = crawl("firstnews", "-a", f"base_url={site.base_url}", "-a", f"board={BOARD}",
                       "-a", "since=2024-01-13", "-a", "until=2024-01-18")
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(int(r["article_id"]) for r in result.records("firstnews")) == [113, 114, 115, 117, 118]
    fetched = sorted(int(m) for t in site.requests for m in re.findall(r"wr_id=(\d+)", t))
    # two lanes from 120: each ends at its first article older than since (112, 111)
    assert fetched == list(range(111, NEWEST + 1))
    assert not any("page=2" in t for t in site.requests)  # the list is not paged through
    stats = result.stats()
    assert stats["newsbot/not_an_article"] == 1  # 116, deleted
    assert stats["newsbot/skipped_out_of_range"] == 4  # 119 and 120 (after until), 111 and 112 (before since)
    assert "Backfill walks wr_id down from 120 to 2024-01-13 on board firstnews" in result.stderr
