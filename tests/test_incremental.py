"""Incremental runs: only what is new is fetched; an edited article becomes a new version."""

import json
import sqlite3

import pytest

from newsbot.testing.generated_site import GeneratedSite

SITE = "gginews"


def list_targets(requests):
    return [t for t in requests if t.startswith("/news/list.php")]


def article_targets(requests):
    return [t for t in requests if t.startswith("/news/view.php")]


@pytest.fixture
def generated():
    site = GeneratedSite(95, seed=11, per_page=20)
    with site.serve() as server:
        yield site, server


def test_scheduled_runs_fetch_only_what_is_new(generated, crawl, tmp_path):
    site, server = generated
    out = tmp_path / "out"
    run = lambda *extra, **kw: crawl(SITE, "-a", f"base_url={server.base_url}", *extra, output_dir=out, **kw)

    first = run()
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(article_targets(server.requests)) == 95
    assert len(list_targets(server.requests)) == 6  # 5 pages of entries, then the empty page 6
    records = first.records(SITE)
    assert sorted(int(r["article_id"]) for r in records) == list(site.article_ids())
    assert {r["version"] for r in records} == {1}
    db = sqlite3.connect(out / SITE / "state.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 95
    high_water = json.loads(db.execute("SELECT value FROM marks WHERE name='high_water'").fetchone()[0])
    assert high_water == {"article_id": "1095", "published_at": site.published(1095).isoformat()}
    assert db.execute("SELECT COUNT(*) FROM marks WHERE name='open_walk'").fetchone()[0] == 0

    # An hourly run on an unchanged site: page 1 (nothing new) and one page of overlap.
    server.requests.clear()
    unchanged = run()
    assert unchanged.returncode == 0, unchanged.stderr[-3000:]
    assert list_targets(server.requests) == ["/news/list.php", "/news/list.php?page=2"]
    assert article_targets(server.requests) == []
    assert len(unchanged.records(SITE)) == 95
    assert "nothing new on 2 page(s) in a row" in unchanged.stderr

    # 25 new articles: pages 1-2 hold them, pages 3-4 hold nothing new, then it stops.
    new_ids = site.publish(25)
    server.requests.clear()
    grown = run()
    assert grown.returncode == 0, grown.stderr[-3000:]
    assert sorted(int(t.split("idx=")[1].split("&")[0]) for t in article_targets(server.requests)) == new_ids
    assert list_targets(server.requests) == ["/news/list.php"] + [f"/news/list.php?page={p}" for p in (2, 3, 4)]
    records = grown.records(SITE)
    assert len(records) == 120 and len({r["id"] for r in records}) == 120
    stats = grown.stats()
    assert stats["newsbot/items_new"] == 25 and "newsbot/items_duplicate" not in stats

    # The same with no overlap: one list page only.
    server.requests.clear()
    strict = run(settings={"NEWSBOT_OVERLAP_PAGES": "0"})
    assert strict.returncode == 0
    assert list_targets(server.requests) == ["/news/list.php"]


def test_edited_article_is_recorded_again_as_next_version(generated, crawl, tmp_path):
    site, server = generated
    out = tmp_path / "out"
    recheck_all = {"NEWSBOT_RECHECK_DAYS": "100000", "NEWSBOT_RECHECK_AFTER_HOURS": "0"}
    run = lambda **kw: crawl(SITE, "-a", f"base_url={server.base_url}", output_dir=out, **kw)
    assert run().returncode == 0

    site.modify(1090)
    server.requests.clear()
    second = run(settings=recheck_all)
    assert second.returncode == 0, second.stderr[-3000:]
    # recent articles on the walked pages (1 and 2) are re-fetched ...
    assert len(article_targets(server.requests)) == 40
    stats = second.stats()
    # ... one of them changed: re-recorded as version 2; the 39 unchanged are not written again
    assert stats["newsbot/items_updated"] == 1
    assert stats["newsbot/items_duplicate"] == 39
    assert stats["newsbot/items_written"] == 1
    versions = [r for r in second.records(SITE) if r["article_id"] == "1090"]
    assert [r["version"] for r in versions] == [1, 2]
    assert versions[0]["content_digest"] != versions[1]["content_digest"]
    assert versions[1]["modified_at"] == site.expected(1090)["modified_at"]
    assert versions[1]["body"] == site.expected(1090)["body"]
    db = sqlite3.connect(out / SITE / "state.sqlite3")
    assert db.execute("SELECT version FROM articles WHERE article_id='1090'").fetchone() == (2,)
    assert db.execute("SELECT COUNT(*) FROM versions").fetchone() == (96,)

    # A third run finds nothing changed: nothing written, nothing duplicated in the JSONL.
    third = run(settings=recheck_all)
    assert third.stats()["newsbot/items_duplicate"] == 40
    assert len(third.records(SITE)) == 96
