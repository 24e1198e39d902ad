"""Streams a consumer can follow: Scrapy's feed exports (real ``scrapy crawl`` against the
gginews fixture site) carry our records, and the latest view keeps the newest version.

Rotated JSON Lines: tests/test_pipelines.py; the latest view holding exactly the records
written and the enriched fields (regions, topics) of every gginews record: the fixture
crawls (tests/test_fixture_crawls.py, tests/fixtures/gginews/expected.json)."""

import json
import tracemalloc

from newsbot.latest import LatestView
from newsbot.schema import validate_record

EXPECTED_IDS = ["gginews:71401", "gginews:71402", "gginews:71403", "gginews:71404", "gginews:71405"]


def by_id(records):
    return {r["id"]: r for r in records}


def test_scrapy_feed_exports_to_a_file_and_to_stdout(gginews_site, crawl, tmp_path):
    out_file = tmp_path / "out.jsonl"
    to_file = crawl("gginews", "-a", f"base_url={gginews_site.base_url}", "-O", str(out_file),
                    output_dir=tmp_path / "run1")
    assert to_file.returncode == 0, to_file.stderr[-3000:]
    exported = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    to_stdout = crawl("gginews", "-a", f"base_url={gginews_site.base_url}", "-o", "-:jsonlines",
                      output_dir=tmp_path / "run2")
    assert to_stdout.returncode == 0, to_stdout.stderr[-3000:]
    piped = [json.loads(line) for line in to_stdout.stdout.splitlines()]

    for feed, run in ((exported, to_file), (piped, to_stdout)):
        assert sorted(r["id"] for r in feed) == EXPECTED_IDS
        for record in feed:
            validate_record(record)  # every schema field, same contract as the JSON Lines
        assert by_id(feed) == by_id(run.records("gginews"))  # same values as our own stream


def test_latest_view_keeps_the_newest_version_of_each_article(tmp_path):
    view = LatestView(tmp_path / "latest.sqlite3")

    def record(article, version, crawled_at, digest):
        return {"id": f"site:{article}", "version": version, "content_digest": f"sha256:{digest * 64}",
                "published_at": "2024-08-06T07:38:57+09:00", "crawled_at": crawled_at}

    view.upsert(record(1, 1, "2026-11-01T00:00:00+00:00", "a"))
    view.upsert(record(1, 2, "2026-11-02T00:00:00+00:00", "b"))   # an update: replaces
    view.upsert(record(1, 1, "2026-11-03T00:00:00+00:00", "a"))   # an older version seen later: ignored
    view.upsert(record(2, None, "2026-11-01T00:00:00+00:00", "c"))
    view.upsert(record(2, None, "2026-11-04T00:00:00+00:00", "d"))  # no versions: the later crawl wins
    view.upsert(record(2, None, "2026-11-02T00:00:00+00:00", "e"))  # ... and an earlier one does not
    rows = [json.loads(r) for r in view.records()]
    assert [(r["id"], r["version"], r["content_digest"][7]) for r in rows] == [
        ("site:1", 2, "b"), ("site:2", None, "d")]
    target = tmp_path / "latest.jsonl"
    target.write_text("previous view\n")
    assert view.export_jsonl(target) == 2
    assert [json.loads(line)["id"] for line in target.read_text().splitlines()] == ["site:1", "site:2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.jsonl", "latest.sqlite3",
                                                          "latest.sqlite3-shm", "latest.sqlite3-wal"]


def test_latest_export_memory_stays_flat(tmp_path):
    view = LatestView(tmp_path / "latest.sqlite3")
    body = "본문 " * 400  # ~2.4 kB of text per record
    view.db.execute("BEGIN")
    for n in range(20000):
        view.upsert({"id": f"site:{n:06d}", "version": 1, "content_digest": "sha256:" + "0" * 64,
                     "published_at": None, "crawled_at": "2026-11-22T00:00:00+00:00", "body": body})
    view.db.execute("COMMIT")
    tracemalloc.start()
    lines = view.export_jsonl(tmp_path / "latest.jsonl")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = (tmp_path / "latest.jsonl").stat().st_size
    assert lines == 20000 and size > 50_000_000
    assert peak < 1_000_000  # streamed: peak Python memory well under 1 MB for a ~60 MB view
