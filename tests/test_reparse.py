"""``scrapy reparse``: JSON Lines from archives, exactly as a live crawl of the same responses,
through the same reading path as replay; and crawl -> replay -> crawl round trips."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from newsbot.testing.generated_site import GeneratedSite
from newsbot.testing.localsite import LocalSite, load_routes

from .conftest import FIXTURES, REPO, CrawlResult, run_scrapy

EXPECTED_IDS = ["71401", "71402", "71403", "71404", "71405"]
# fields that legitimately differ between records of two captures of the same page
RUN_FIELDS = ("crawled_at", "reparsed_at")
# ... and between a record and its re-parse: crawled_at stays the WARC record's date
REPARSE_FIELDS = ("reparsed_at",)
POINTER_FIELDS = ("warc_filename", "warc_record_id")


def by_id(records, ignore=RUN_FIELDS):
    return {r["article_id"]: {k: v for k, v in r.items() if k not in ignore} for r in records}


def reparse(out, *paths, settings=None, processes=None):
    options = ["--processes", str(processes)] if processes else []
    return run_scrapy(["reparse", "gginews", *map(str, paths), *options], out, settings)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """One live crawl of the gginews fixture site; tests copy what they change."""
    out = tmp_path_factory.mktemp("live")
    with LocalSite(load_routes(FIXTURES / "gginews")) as site:
        result = run_scrapy(["crawl", "gginews", "-a", f"base_url={site.base_url}"], out)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.parametrize("processes", [None, 2])
def test_reparse_equals_the_live_crawl_and_points_at_the_source_archive(live, tmp_path, processes):
    # no site is running: a request to the network would fail
    again = reparse(tmp_path / "reparsed", live.output_dir / "gginews" / "warc", processes=processes)
    assert again.returncode == 0, again.stderr[-3000:]
    # by default 5 articles stay in one process (a shard is worth it from 200 articles)
    assert len(list((again.output_dir / "gginews" / "reparse" / "jsonl").glob("*.jsonl"))) == (processes or 1)
    assert not (again.output_dir / "gginews" / "jsonl").exists()    # never among a crawl's records
    assert again.warcs("gginews") == []                           # nothing archived again
    assert sorted(r["article_id"] for r in again.reparsed_records("gginews")) == EXPECTED_IDS
    # identical records, WARC pointers and crawled_at included: they name the live crawl's response records
    assert by_id(again.reparsed_records("gginews"), REPARSE_FIELDS) == by_id(live.records("gginews"), REPARSE_FIELDS)
    assert len({r["reparsed_at"] for r in again.reparsed_records("gginews")}) == 1   # one stamp, every process
    assert all(r["reparsed_at"] is None for r in live.records("gginews"))
    stats = again.stats()
    assert stats["newsbot/replay/hits"] == 5 and stats.get("newsbot/replay/missing", 0) == 0


def test_reparse_re_emits_articles_the_site_state_already_recorded(live, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(live.output_dir, out)
    again = reparse(out, out / "gginews" / "warc")
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(again.records("gginews")) == 5 and len(again.reparsed_records("gginews")) == 5
    assert again.stats().get("newsbot/items_duplicate", 0) == 0


def test_reparse_of_a_recrawl_resolves_revisits_to_the_original_payload(gginews_site, crawl, tmp_path):
    out = tmp_path / "out"
    for _ in range(2):
        assert crawl("gginews", "-a", f"base_url={gginews_site.base_url}", output_dir=out).returncode == 0
        # forget what was recorded (as after a crash before the JSON was written): the
        # second run fetches every article again, and archives unchanged ones as revisits
        for state in (out / "gginews").glob("state.sqlite3*"):
            state.unlink()
    first, second = sorted((out / "gginews" / "warc").glob("*.warc.gz"))
    again = reparse(tmp_path / "reparsed", first, second)
    assert again.returncode == 0, again.stderr[-3000:]
    stats = again.stats()
    assert stats["newsbot/replay/revisits_resolved"] == 5     # the latest capture of each is a revisit
    first_jsonl = sorted((out / "gginews" / "jsonl").glob("*.jsonl"))[0]
    first_run = [json.loads(line) for line in first_jsonl.read_text(encoding="utf-8").splitlines()]
    assert by_id(again.reparsed_records("gginews"), RUN_FIELDS + POINTER_FIELDS) == by_id(first_run, RUN_FIELDS + POINTER_FIELDS)


def test_crawl_replay_crawl_round_trip_gives_identical_records(live, crawl, tmp_path):
    base_url = live.records("gginews")[0]["url"].split("/news/")[0]
    replay1 = crawl("gginews", "-a", f"base_url={base_url}", output_dir=tmp_path / "b",
                    settings={"REPLAY_WARC": str(live.output_dir / "gginews" / "warc")})
    # the second replay reads the WARC the first replay wrote, not the live one
    replay2 = crawl("gginews", "-a", f"base_url={base_url}", output_dir=tmp_path / "c",
                    settings={"REPLAY_WARC": str(tmp_path / "b" / "gginews" / "warc")})
    for run in (replay1, replay2):
        assert run.returncode == 0, run.stderr[-3000:]
    assert len(replay2.warcs("gginews")) == 1
    ignore = RUN_FIELDS + POINTER_FIELDS
    assert by_id(replay2.records("gginews"), ignore) == by_id(replay1.records("gginews"), ignore) \
        == by_id(live.records("gginews"), ignore)
    assert len(live.records("gginews")) == 5


def _corrupt_member(path, index_of_member):
    """Flip bytes in the middle of the given gzip member; return its offset."""
    data = bytearray(path.read_bytes())
    offset, member = 0, 0
    while True:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        inflater.decompress(bytes(data[offset:]))
        length = len(data) - offset - len(inflater.unused_data)
        if member == index_of_member:
            middle = offset + length // 2
            data[middle:middle + 8] = bytes(b ^ 0xFF for b in data[middle:middle + 8])
            path.write_bytes(bytes(data))
            return offset
        offset += length
        member += 1


@pytest.mark.parametrize("processes", [1, 2])
def test_damaged_archive_reports_file_and_offset_and_keeps_records_around_it(live, tmp_path, processes):
    (source,) = live.warcs("gginews")
    warc = tmp_path / source.name
    shutil.copyfile(source, warc)
    from warcio.archiveiterator import ArchiveIterator

    with warc.open("rb") as fh:
        kinds = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(fh)]
    # corrupt the response of article 71403; articles archived before and after it survive
    victim = next(i for i, (t, u) in enumerate(kinds) if t == "response" and u.endswith("idx=71403"))
    bad_offset = _corrupt_member(warc, victim)
    # and cut the file mid-record at the end
    size = warc.stat().st_size
    with warc.open("r+b") as fh:
        fh.truncate(size - 40)

    again = reparse(tmp_path / "reparsed", warc, processes=processes)
    assert again.returncode == 0, again.stderr[-3000:]
    # reported once, by the process that read the archive (shards open its index, not the WARC)
    assert f"Damaged archive {warc} at offset {bad_offset} (" in again.stderr
    assert again.stderr.count(f"Damaged archive {warc} at offset") == 2     # the flip and the cut
    assert again.stats()["newsbot/archive_damage"] == 2
    assert kinds[-1][0] != "response"  # the cut record is a request or metadata record
    # every article but the damaged one: records before and after the damage are used
    assert sorted(r["article_id"] for r in again.reparsed_records("gginews")) == ["71401", "71402", "71404", "71405"]


@pytest.mark.parametrize("processes", [1, 2])
def test_a_record_damaged_after_its_warc_was_indexed_is_reported_by_whoever_reads_it(live, tmp_path, processes):
    # The WARC and its CDXJ copied with their times (as a backup keeps them); then bit rot in
    # article 71403's response, the file's time unchanged: the CDXJ still stands in for reading
    # the WARC, so the damage is found when that record is read, by whichever process reads it.
    warcs = tmp_path / "warc"
    shutil.copytree(live.output_dir / "gginews" / "warc", warcs, ignore=shutil.ignore_patterns("*.sqlite3*"))
    (warc,) = warcs.glob("*.warc.gz")
    from warcio.archiveiterator import ArchiveIterator

    with warc.open("rb") as fh:
        kinds = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(fh)]
    victim = next(i for i, (t, u) in enumerate(kinds) if t == "response" and u.endswith("idx=71403"))
    stamp = warc.stat().st_mtime_ns
    bad_offset = _corrupt_member(warc, victim)
    os.utime(warc, ns=(stamp, stamp))

    again = reparse(tmp_path / "reparsed", warcs, processes=processes)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stderr.count(f"Damaged archive {warc} at offset {bad_offset} (") == 1
    assert again.stderr.count("Damaged archive") == 1
    stats = again.stats()
    assert stats["newsbot/archive_damage"] == 1
    assert stats.get("newsbot/reparse/processes", 1) == processes
    assert sorted(r["article_id"] for r in again.reparsed_records("gginews")) == ["71401", "71402", "71404", "71405"]


# -- several processes ------------------------------------------------------------
GENERATED_ARTICLES = 40


@pytest.fixture(scope="module")
def generated_archive(tmp_path_factory):
    """A crawl of a 40-article generated site, plus a second archive holding article 1003
    again under another spelling (no ``&mcode=``): 41 archived article URLs, 40 articles."""
    out = tmp_path_factory.mktemp("generated")
    site = GeneratedSite(GENERATED_ARTICLES, seed=5, per_page=20)
    with site.serve() as server:
        first = run_scrapy(["crawl", "gginews", "-a", f"base_url={server.base_url}"], out / "a")
        second = run_scrapy(["crawl", "gginews", "-a", f"base_url={server.base_url}", "-a",
                             f"urls={server.base_url}/news/view.php?idx=1003"], out / "b")
    for result in (first, second):
        assert result.returncode == 0, result.stderr[-3000:]
    assert len(first.records("gginews")) == GENERATED_ARTICLES and len(second.records("gginews")) == 1
    return [out / "a" / "gginews" / "warc", out / "b" / "gginews" / "warc"]


def jsonl_files(result):
    return sorted((result.output_dir / "gginews" / "reparse" / "jsonl").glob("*.jsonl"))


def test_two_processes_write_every_article_once_and_the_records_of_one_process(generated_archive, tmp_path):
    one = reparse(tmp_path / "one", *generated_archive, processes=1)
    two = reparse(tmp_path / "two", *generated_archive, processes=2)
    for result in (one, two):
        assert result.returncode == 0, result.stderr[-3000:]
    # two JSON Lines files of 20 records each, no article in both
    per_file = [[json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]
                for path in jsonl_files(two)]
    assert [len(ids) for ids in per_file] == [20, 20]
    assert len(set(per_file[0]) | set(per_file[1])) == GENERATED_ARTICLES
    # the same records, WARC pointers included; 1003 once, from its first-archived spelling
    assert by_id(two.reparsed_records("gginews")) == by_id(one.reparsed_records("gginews"))
    assert len(by_id(two.reparsed_records("gginews"))) == GENERATED_ARTICLES
    assert "/news/view.php?idx=1003&mcode=" in by_id(two.reparsed_records("gginews"))["1003"]["url"]
    # the latest view holds every shard's articles: exactly the records written
    latest = [json.loads(line) for line in
              (two.output_dir / "gginews" / "latest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in latest] == sorted(r["id"] for r in two.reparsed_records("gginews"))
    assert by_id(latest, ()) == by_id(two.reparsed_records("gginews"), ())
    # one stats dump for the whole run: the children's counts added up
    stats = two.stats()
    assert stats["newsbot/reparse/processes"] == 2
    assert stats["newsbot/reparse/archived_articles"] == stats["newsbot/items_written"] == GENERATED_ARTICLES
    assert stats["newsbot/replay/hits"] == GENERATED_ARTICLES and stats["newsbot/latest/articles"] == GENERATED_ARTICLES
    assert "newsbot/reparse/processes" not in one.stats()
    assert "Re-parse of gginews: 40 of 40 archived articles written in" in two.stderr


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def _start_reparse(out: Path, paths, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "scrapy", "reparse", "gginews", *map(str, paths), "--processes", "2",
               "-s", f"OUTPUT_DIR={out}", *extra]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _wait_for(condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_child_that_dies_is_named_and_fails_the_run_the_other_shard_completes(generated_archive, tmp_path):
    parent = _start_reparse(tmp_path, generated_archive)
    try:
        _wait_for(lambda: len(_children(parent.pid)) == 2)
        victim = _children(parent.pid)[0]       # still importing Scrapy: it has written nothing
        os.kill(victim, signal.SIGKILL)
        _, stderr = parent.communicate(timeout=120)
    finally:
        parent.kill()
    assert parent.returncode == 1, stderr[-3000:]
    assert stderr.count("Re-parse shard") == 1
    assert f"Re-parse shard 1/2 (20 articles, pid {victim}) was killed by signal SIGKILL" in stderr
    (survivor,) = jsonl_files(CrawlResult(0, "", "", tmp_path))
    assert len(survivor.read_text(encoding="utf-8").splitlines()) == 20
    assert "Re-parse of gginews: 20 of 40 archived articles written in" in stderr


def test_sigterm_stops_every_child_cleanly_and_settings_reach_the_children(generated_archive, tmp_path):
    # -s DOWNLOAD_DELAY=0.25 (the command line outranks replay's 0): each child takes ~5 s,
    # time to stop both mid-way; that it does proves the children got the user's -s
    parent = _start_reparse(tmp_path, generated_archive, "-s", "DOWNLOAD_DELAY=0.25",
                            "-s", "RANDOMIZE_DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=INFO")
    try:
        # both children writing: their files are <name>.jsonl.open until finished (docs/records.md)
        _wait_for(lambda: len(list((tmp_path / "gginews" / "reparse" / "jsonl").glob("*.jsonl.open"))) == 2)
        children = _children(parent.pid)
        assert len(children) == 2
        parent.send_signal(signal.SIGTERM)
        _, stderr = parent.communicate(timeout=60)
    finally:
        parent.kill()
    assert parent.returncode == 0, stderr[-3000:]
    assert "Received SIGTERM: passing it on to 2 re-parse processes" in stderr
    assert all(not Path(f"/proc/{child}").exists() for child in children)
    result = CrawlResult(0, "", stderr, tmp_path)
    stats = result.stats()
    assert stats["finish_reason"] == "shutdown"
    written = stats["newsbot/items_written"]
    assert 2 <= written < GENERATED_ARTICLES
    # whole lines only, each article once, and the latest view has exactly them
    ids = [r["id"] for r in result.reparsed_records("gginews")]
    assert len(ids) == len(set(ids)) == written
    latest = (tmp_path / "gginews" / "latest.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["id"] for line in latest) == sorted(ids)
