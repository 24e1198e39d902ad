"""Dates cannot poison the walk: a ``published_at`` more than a day after the crawl is kept
in the record with the warning ``published_at:future``, but never becomes the high-water
mark (SQLite and Redis stores) nor a walk's floor; the killed-run scenario of issue 13
(one article dated 2099-12-31, a run killed, the next one) misses no article."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime

from newsbot.dates import KST, is_future
from newsbot.items import ArticleItem
from newsbot.pipelines.normalize import NormalizePipeline
from newsbot.state.sqlite import SqliteStateStore
from newsbot.testing.generated_site import GeneratedSite
from tests.conftest import REPO, TEST_SETTINGS

SITE = "gginews"
DOOMSDAY = "2099-12-31T09:00:00+09:00"


def test_is_future_allows_a_day_of_clock_skew():
    crawled = "2024-08-06T00:00:00+00:00"
    assert not is_future("2024-08-06T23:59:00+09:00", crawled)   # +9 h: a Korean evening, the same UTC day
    assert not is_future("2024-08-07T09:00:00+09:00", crawled)   # exactly a day later
    assert is_future("2024-08-07T09:00:01+09:00", crawled)
    assert is_future(DOOMSDAY) and not is_future(None) and not is_future("not a date")


def test_a_future_published_at_is_kept_with_a_warning():
    pipeline = NormalizePipeline()
    raw = {"url": "http://127.0.0.1:9/news/view.php?idx=7", "title": "제목", "body": "본문",
           "published_at_raw": "기사등록 2099-12-31 09:00:00", "crawled_at": "2024-08-06T01:02:03+00:00"}
    item = pipeline.process_item(ArticleItem(**raw))
    assert item["published_at"] == DOOMSDAY   # kept as printed
    assert item["crawled_at"] == "2024-08-06T01:02:03+00:00"
    assert item["extraction_warnings"] == ["published_at:future"]
    today = pipeline.process_item(ArticleItem(**{**raw, "published_at_raw": "기사등록 2024-08-06 10:00:00"}))
    assert today["extraction_warnings"] == []


def test_the_sqlite_store_never_takes_a_future_date_for_the_newest(tmp_path):
    store = SqliteStateStore(tmp_path / "state.sqlite3", SITE)
    store.mark_recorded("http://x/news/view.php?idx=1", "1", "2024-06-01T09:00:00+09:00")
    store.mark_recorded("http://x/news/view.php?idx=2", "2", DOOMSDAY)
    store.mark_recorded("http://x/news/view.php?idx=3", "3", "2024-06-02T09:00:00+09:00")
    assert store.high_water() == {"article_id": "3", "published_at": "2024-06-02T09:00:00+09:00"}
    assert store.recorded("http://x/news/view.php?idx=2")["published_at"] == DOOMSDAY   # the record keeps it
    # a store whose mark an older newsbot set to the future is repaired when read
    store.set_mark("high_water", {"article_id": "3", "published_at": DOOMSDAY})
    assert store.high_water()["published_at"] == "2024-06-02T09:00:00+09:00"
    store.close()
    row = sqlite3.connect(tmp_path / "state.sqlite3").execute("SELECT value FROM marks WHERE name='high_water'")
    assert json.loads(row.fetchone()[0])["published_at"] == "2024-06-02T09:00:00+09:00"


def test_the_redis_store_never_takes_a_future_date_for_the_newest():
    from newsbot.distributed import ClusterKeys
    from newsbot.distributed.state import RedisStateStore
    from newsbot.testing.redis_server import RedisServer

    with RedisServer() as server:
        keys = ClusterKeys("newsbot", SITE)
        client = server.client()
        client.set(keys.worker("a"), "t", px=60_000)
        client.set(keys.run, "r1")
        store = RedisStateStore(client, SITE, keys, "a|t")
        store.mark_recorded("http://x/news/view.php?idx=1", "1", "2024-06-01T09:00:00+09:00")
        store.mark_recorded("http://x/news/view.php?idx=2", "2", DOOMSDAY)
        assert store.high_water() == {"article_id": "2", "published_at": "2024-06-01T09:00:00+09:00"}
        assert store.recorded("http://x/news/view.php?idx=2")["published_at"] == DOOMSDAY
        store.close()


def jsonl_records(out) -> list[dict]:
    """Every record written so far: finished files and the one a run is writing (``.open``)."""
    folder = out / SITE / "jsonl"
    return [json.loads(line) for path in sorted([*folder.glob("*.jsonl"), *folder.glob("*.jsonl.open")])
            for line in path.read_text(encoding="utf-8").splitlines() if line]


def crawl_command(server, out):
    cmd = [sys.executable, "-m", "scrapy", "crawl", SITE, "-a", f"base_url={server.base_url}", "-s", f"OUTPUT_DIR={out}"]
    for name, value in TEST_SETTINGS.items():
        cmd += ["-s", f"{name}={value}"]
    return cmd


def test_a_run_killed_after_a_future_dated_article_misses_nothing(tmp_path):
    """Issue 13: with 2099-12-31 as the high-water mark, the run after a killed one stopped at
    list page 2 and never fetched 200 of 300 new articles."""
    site = GeneratedSite(40, seed=31, per_page=10, delay=0.04)
    site.misdate(1010, datetime(2099, 12, 31, 9, 0, tzinfo=KST))
    out = tmp_path / "out"
    with site.serve() as server:
        first = subprocess.run(crawl_command(server, out), cwd=REPO, capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr[-3000:]
        (doomed,) = [r for r in jsonl_records(out) if r["article_id"] == "1010"]
        assert doomed["published_at"] == DOOMSDAY and doomed["extraction_warnings"] == ["published_at:future"]
        db = sqlite3.connect(out / SITE / "state.sqlite3")
        high_water = json.loads(db.execute("SELECT value FROM marks WHERE name='high_water'").fetchone()[0])
        db.close()
        assert high_water["published_at"] == site.published(1040).isoformat()

        site.publish(100)
        killed = subprocess.Popen(crawl_command(server, out), cwd=REPO, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(jsonl_records(out)) < 40 + 30 and killed.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert killed.poll() is None, "the run ended before it could be killed"
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        written_by_killed = len(jsonl_records(out)) - 40
        assert 30 <= written_by_killed < 100

        third = subprocess.run(crawl_command(server, out), cwd=REPO, capture_output=True, text=True, timeout=120)
        assert third.returncode == 0, third.stderr[-3000:]
    ids = [int(r["article_id"]) for r in jsonl_records(out)]
    assert sorted(set(ids)) == list(site.article_ids())      # missed: none
    assert len(ids) - len(set(ids)) <= 1                     # at most the record the kill caught mid-mark
