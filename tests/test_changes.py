"""The consumer contract end to end: ``scrapy changes`` gives a downstream job every record
exactly once, across runs, out-of-order finishes and a killed run; each run's report lists
the files it finished with their exact size, record count and SHA-256."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsbot.changes import STREAMS, CursorError, format_cursor, parse_cursor, stream_changes
from newsbot.testing.generated_site import GeneratedSite
from tests.conftest import REPO, TEST_SETTINGS, run_scrapy

SITE = "gginews"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


def stamp(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).strftime("%Y%m%dT%H%M%SZ")


def touch(folder, name: str, text: str = "{}\n"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


# -- the cursor, in-process ------------------------------------------------------------
def test_a_file_finished_after_a_newer_one_is_still_delivered_once(tmp_path):
    jsonl = STREAMS["jsonl"]
    long_run = f"gginews-{stamp(5)}-00000.jsonl"    # a long run, still writing
    short_run = f"gginews-{stamp(4)}-00000.jsonl"   # a shorter one, started later, finished first
    touch(tmp_path, long_run + ".open")
    touch(tmp_path, short_run)

    first = stream_changes(tmp_path, jsonl, None, now=NOW)
    assert [p.name for p in first.new] == [short_run] and first.open_files == [long_run]
    # nothing may be assumed delivered below a file still being written
    assert first.position == {"through": None, "also": [short_run]}

    (tmp_path / (long_run + ".open")).rename(tmp_path / long_run)
    touch(tmp_path, f"gginews-{stamp(0.5)}-00000.jsonl")   # a new run, half an hour ago
    second = stream_changes(tmp_path, jsonl, first.position, now=NOW)
    assert [p.name for p in second.new] == [long_run, f"gginews-{stamp(0.5)}-00000.jsonl"]
    # the two old names are settled; the recent one could still get an older neighbour
    assert second.position == {"through": short_run, "also": [f"gginews-{stamp(0.5)}-00000.jsonl"]}

    third = stream_changes(tmp_path, jsonl, second.position, now=NOW + timedelta(hours=2))
    assert third.new == []
    assert third.position == {"through": f"gginews-{stamp(0.5)}-00000.jsonl", "also": []}


def test_max_files_leaves_the_rest_for_the_next_call(tmp_path):
    names = [f"gginews-{stamp(10 - i)}-00000.jsonl" for i in range(5)]
    for name in names:
        touch(tmp_path, name)
    position, got = None, []
    for _ in range(3):
        changes = stream_changes(tmp_path, STREAMS["jsonl"], position, max_files=2, now=NOW)
        got += [p.name for p in changes.new]
        position = changes.position
    assert got == names
    assert position == {"through": names[-1], "also": []}


def test_a_cursor_names_its_site_and_version():
    cursor = format_cursor(SITE, {"jsonl": {"through": "a", "also": ["b"]}})
    assert parse_cursor(cursor, SITE) == {"jsonl": {"through": "a", "also": ["b"]}}
    assert parse_cursor("", SITE) == {}
    with pytest.raises(CursorError, match="a cursor of site 'gginews', not 'idomin'"):
        parse_cursor(cursor, "idomin")
    with pytest.raises(CursorError, match="not a newsbot cursor"):
        parse_cursor('{"jsonl": 3}', SITE)
    with pytest.raises(CursorError, match="version 2"):
        parse_cursor(cursor.replace('"newsbot_cursor":1', '"newsbot_cursor":2'), SITE)


# -- crawls and the command --------------------------------------------------------------
def changes(out, *args):
    result = run_scrapy(["changes", SITE, *args], out)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def records_of(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def reports(out) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((out / SITE / "reports").glob("*.json"))]


def assert_manifest_is_exact(out, report):
    """Every file the report lists exists with that size, digest and record count; and the
    run's WARC files say in their warcinfo record which run wrote them."""
    assert report["files"], report
    for entry in report["files"] + report["adopted_files"]:
        path = out / SITE / entry["path"]
        data = path.read_bytes()
        assert (entry["bytes"], entry["sha256"]) == (len(data), hashlib.sha256(data).hexdigest()), entry
        if entry["kind"] == "warc":
            with path.open("rb") as fh:
                records = list(ArchiveIterator(fh))
            assert entry["records"] == len(records)
        else:
            assert entry["records"] == data.count(b"\n")
    for entry in report["files"]:
        if entry["kind"] == "warc":
            with (out / SITE / entry["path"]).open("rb") as fh:
                info = next(iter(ArchiveIterator(fh)))
                assert f"newsbot-run-id: {report['run_id']}" in info.content_stream().read().decode()


def test_a_consumer_after_each_run_gets_each_record_exactly_once(crawl, tmp_path):
    site = GeneratedSite(30, seed=5, per_page=10)
    out, cursor = tmp_path / "out", tmp_path / "consumer" / "gginews.cursor"
    with site.serve() as server:
        first = crawl(SITE, "-a", f"base_url={server.base_url}", output_dir=out)
        assert first.returncode == 0, first.stderr[-3000:]
        got_first = changes(out, "--cursor-file", str(cursor))
        again = changes(out, "--cursor-file", str(cursor))
        warcs_first = changes(out, "--since", "", "--stream", "warc", "--files")

        published = site.publish(4)
        second = crawl(SITE, "-a", f"base_url={server.base_url}", output_dir=out)
        assert second.returncode == 0, second.stderr[-3000:]
        # the safe pattern: the next cursor aside, moved over the old one once the batch is stored
        got_second = changes(out, "--cursor-file", str(cursor), "--next-cursor-file", f"{cursor}.next")
        replayed = changes(out, "--cursor-file", str(cursor))       # not moved yet: the same batch
        os.replace(f"{cursor}.next", cursor)
        got_none = changes(out, "--cursor-file", str(cursor))

    first_ids = [r["article_id"] for r in records_of(got_first)]
    assert sorted(first_ids) == sorted(str(i) for i in range(1001, 1031))
    assert records_of(again) == [] and "jsonl: 0 new file(s), 0 record(s)" in again.stderr
    assert sorted(r["article_id"] for r in records_of(got_second)) == [str(i) for i in published]
    assert replayed.stdout == got_second.stdout
    assert records_of(got_none) == []
    # byte for byte the finished files, each once
    finished = sorted((out / SITE / "jsonl").glob("*.jsonl"))
    assert got_first.stdout + got_second.stdout == "".join(p.read_text(encoding="utf-8") for p in finished)

    run1, run2 = reports(out)
    assert run1["run_id"] != run2["run_id"]
    for report in (run1, run2):
        assert_manifest_is_exact(out, report)
        assert [e["kind"] for e in report["files"]] == ["jsonl", "warc", "cdxj"] and report["adopted_files"] == []
    (run1_warc,) = [e["path"] for e in run1["files"] if e["kind"] == "warc"]
    assert warcs_first.stdout == f"{out / SITE / run1_warc}\n"
    # the next cursor goes to stderr when there is no cursor file
    assert "newsbot: next cursor: {" in warcs_first.stderr.splitlines()[-1]


def test_one_cursor_follows_the_crawl_and_its_re_parse_apart(crawl, tmp_path):
    site = GeneratedSite(12, seed=6, per_page=10)
    out, cursor = tmp_path / "out", tmp_path / "gginews.cursor"
    with site.serve() as server:
        first = crawl(SITE, "-a", f"base_url={server.base_url}", output_dir=out)
        assert first.returncode == 0, first.stderr[-3000:]
    crawled = records_of(changes(out, "--cursor-file", str(cursor)))
    reparse = run_scrapy(["reparse", SITE, str(out / SITE / "warc"), "--processes", "1"], out)
    assert reparse.returncode == 0, reparse.stderr[-3000:]
    both = changes(out, "--cursor-file", str(cursor), "--stream", "jsonl", "--stream", "reparse")
    again = changes(out, "--cursor-file", str(cursor), "--stream", "reparse")

    assert len(crawled) == 12 and all(r["reparsed_at"] is None for r in crawled)
    reparsed = records_of(both)   # the crawl's stream has nothing new: only the re-parse's records
    assert "jsonl: 0 new file(s), 0 record(s); reparse: 1 new file(s), 12 record(s)" in both.stderr
    assert all(r["reparsed_at"] for r in reparsed)
    # the same articles, each pointing at the fetch it was made from
    assert {r["id"]: r["crawled_at"] for r in reparsed} == {r["id"]: r["crawled_at"] for r in crawled}
    assert records_of(again) == []
    streams = json.loads(cursor.read_text())["streams"]
    assert sorted(streams) == ["jsonl", "reparse"]


def jsonl_lines_so_far(out) -> int:
    folder = out / SITE / "jsonl"
    return sum(p.read_bytes().count(b"\n") for p in folder.iterdir()) if folder.exists() else 0


def test_a_killed_run_shows_nothing_half_written_and_the_next_run_finishes_its_files(tmp_path):
    site = GeneratedSite(120, seed=9, per_page=20, delay=0.02)
    out, cursor = tmp_path / "out", tmp_path / "gginews.cursor"
    with site.serve() as server:
        cmd = [sys.executable, "-m", "scrapy", "crawl", SITE, "-a", f"base_url={server.base_url}",
               "-s", f"OUTPUT_DIR={out}"]
        for name, value in TEST_SETTINGS.items():
            cmd += ["-s", f"{name}={value}"]
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while jsonl_lines_so_far(out) < 20 and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
            assert proc.poll() is None, "the crawl ended before it could be killed"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        # what a consumer sees of a killed run: nothing, since nothing was finished
        assert list((out / SITE / "jsonl").glob("*.jsonl")) == [] and list((out / SITE / "warc").glob("*.warc.gz")) == []
        (left,) = (out / SITE / "jsonl").glob("*.jsonl.open")
        during = changes(out, "--cursor-file", str(cursor))
        assert during.stdout == "" and "1 still being written" in during.stderr

        rerun = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=180)
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        after = changes(out, "--cursor-file", str(cursor))

    assert list(out.rglob("*.open")) == []
    (report,) = reports(out)   # the killed run wrote none
    assert_manifest_is_exact(out, report)
    adopted = {e["kind"]: e for e in report["adopted_files"]}
    assert sorted(adopted) == ["cdxj", "jsonl", "warc"]
    assert adopted["jsonl"]["path"] == f"jsonl/{left.name.removesuffix('.open')}" and adopted["jsonl"]["records"] >= 20
    assert "Finished " in rerun.stderr and "left by a process that ended while writing it" in rerun.stderr
    got = records_of(after)
    assert len(got) == sum(p.read_bytes().count(b"\n") for p in (out / SITE / "jsonl").glob("*.jsonl"))
    # every article is there; one caught between its write and its state mark may be there twice
    assert {r["article_id"] for r in got} == {str(i) for i in site.article_ids()}
    assert len(got) - len(site.article_ids()) <= 1


def test_usage_errors_of_the_command(tmp_path):
    out = tmp_path / "out"
    (out / SITE / "jsonl").mkdir(parents=True)
    other = format_cursor("idomin", {})
    cases = [
        (["changes", "nosuch"], f"newsbot: error: unknown site 'nosuch': no folder {out / 'nosuch'} (sites in {out}: gginews)"),
        (["changes", SITE, "--since", other], "newsbot: error: --since: a cursor of site 'idomin', not 'gginews'"),
        (["changes", SITE, "--stream", "warc"],
         "newsbot: error: --stream warc: binary files have no records to print: add --files"),
        (["changes", SITE, "--since", "", "--cursor-file", "x"],
         "newsbot: error: --since and --cursor-file both give the cursor: use one"),
    ]
    for args, line in cases:
        result = run_scrapy(args, out)
        assert (result.returncode, result.stderr.splitlines()) == (2, [line]), result.stderr
        assert result.stdout == ""
