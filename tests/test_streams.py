"""Streams a consumer can follow: rotated JSON Lines, the latest view, Scrapy's feed exports
(real ``scrapy crawl`` against the gginews fixture site), and the enriched fields in them."""

import json
import tracemalloc

from newsbot.latest import LatestView
from newsbot.schema import validate_record

EXPECTED_IDS = ["gginews:71401", "gginews:71402", "gginews:71403", "gginews:71404", "gginews:71405"]


def by_id(records):
    return {r["id"]: r for r in records}


def test_json_lines_rotate_by_size_and_the_latest_view_holds_every_article(gginews_site, crawl):
    limit = 4000  # records are 1.5-4 kB: several files, most holding more than one record
    result = crawl("gginews", "-a", f"base_url={gginews_site.base_url}", settings={"JSONL_MAX_SIZE": str(limit)})
    assert result.returncode == 0, result.stderr[-3000:]
    files = sorted((result.output_dir / "gginews" / "jsonl").glob("*.jsonl"))
    contents = [f.read_bytes() for f in files]
    assert sum(c.count(b"\n") for c in contents) == 5 and len(files) > 1
    for n, content in enumerate(contents):
        assert content.endswith(b"\n")
        last_line = content[content.rstrip(b"\n").rfind(b"\n") + 1:]
        assert len(content) - len(last_line) < limit  # the file was still open for its last record
        if n < len(contents) - 1:
            assert len(content) >= limit  # ... and closed once that record crossed the limit
    stats = result.stats()
    assert stats["newsbot/jsonl_files"] == len(files)
    records = result.records("gginews")  # validated against the schema by conftest

    latest_path = result.output_dir / "gginews" / "latest.jsonl"
    latest = [json.loads(line) for line in latest_path.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in latest] == EXPECTED_IDS  # ordered by id
    assert latest == sorted(records, key=lambda r: r["id"])  # the very records written
    assert stats["newsbot/latest/articles"] == 5
    assert not list(latest_path.parent.glob(".latest.jsonl.*"))  # no temp file left


def test_records_carry_schema_version_regions_and_topics(gginews_site, crawl):
    result = crawl("gginews", "-a", f"base_url={gginews_site.base_url}")
    assert result.returncode == 0, result.stderr[-3000:]
    records = by_id(result.records("gginews"))
    first = records["gginews:71401"]
    assert first["schema_version"] == "1.2"
    assert list(first)[:4] == ["schema_version", "id", "version", "content_digest"]
    assert list(first)[-3:] == ["extraction_warnings", "provenance", "reparsed_at"]
    assert first["provenance"] == {
        "title": "selector", "subtitle": None, "author": "selector", "published_at": "selector",
        "modified_at": "selector", "section": "url:mcode", "body": "selector", "captions": "selector",
        "images": "selector"}
    assert first["regions"] == [{
        "name": "경기도 하남시", "code": "41450", "level": "sigungu", "sido": "경기도", "sido_code": "41",
        "matched": ["하남시"], "mentions": 2, "in_title": True, "resolved_by": "unique",
        "ambiguous": False, "candidates": [],
    }]
    assert first["topics"] == [{"topic": "integrity", "label": "청렴·반부패", "terms": {"청렴": 3, "부패취약": 1},
                                "hits": 4, "in_title": True}]
    # 광주시의회: 경기도 광주시 or 광주광역시; the outlet's home (경기도) settles it
    (gwangju,) = records["gginews:71402"]["regions"]
    assert (gwangju["name"], gwangju["code"], gwangju["resolved_by"]) == ("경기도 광주시", "41610", "home_region")
    assert [t["topic"] for t in records["gginews:71402"]["topics"]] == ["budget"]
    summary = {i: [(r["name"], r["code"]) for r in rec["regions"]] for i, rec in records.items()}
    assert summary == {
        "gginews:71401": [("경기도 하남시", "41450")], "gginews:71402": [("경기도 광주시", "41610")],
        "gginews:71403": [("경기도 이천시", "41500")], "gginews:71404": [("경기도 성남시", "41130")],
        "gginews:71405": [("경기도 용인시", "41460")],
    }
    assert {i: [t["topic"] for t in rec["topics"]] for i, rec in records.items()} == {
        "gginews:71401": ["integrity"], "gginews:71402": ["budget"], "gginews:71403": ["integrity"],
        "gginews:71404": ["integrity"], "gginews:71405": [],
    }
    stats = result.stats()
    assert stats["newsbot/regions/resolved"] == 5 and stats["newsbot/regions/ambiguous"] == 0
    assert stats["newsbot/topics/integrity"] == 3 and stats["newsbot/topics/budget"] == 1


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
