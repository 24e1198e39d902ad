"""``scrapy reparse``: JSON Lines from archives, exactly as a live crawl of the same responses,
through the same reading path as replay; and crawl -> replay -> crawl round trips."""

from __future__ import annotations

import json
import shutil
import zlib

import pytest

from newsbot.testing.localsite import LocalSite, load_routes

from .conftest import FIXTURES, run_scrapy

EXPECTED_IDS = ["71401", "71402", "71403", "71404", "71405"]
# fields that legitimately differ between two runs over the same responses
RUN_FIELDS = ("crawled_at",)
POINTER_FIELDS = ("warc_filename", "warc_record_id")


def by_id(records, ignore=RUN_FIELDS):
    return {r["article_id"]: {k: v for k, v in r.items() if k not in ignore} for r in records}


def reparse(out, *paths, settings=None):
    return run_scrapy(["reparse", "gginews", *map(str, paths)], out, settings)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """One live crawl of the gginews fixture site; tests copy what they change."""
    out = tmp_path_factory.mktemp("live")
    with LocalSite(load_routes(FIXTURES / "gginews")) as site:
        result = run_scrapy(["crawl", "gginews", "-a", f"base_url={site.base_url}"], out)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_reparse_equals_the_live_crawl_and_points_at_the_source_archive(live, tmp_path):
    # no site is running: a request to the network would fail
    again = reparse(tmp_path / "reparsed", live.output_dir / "gginews" / "warc")
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.warcs("gginews") == []                           # nothing archived again
    assert sorted(r["article_id"] for r in again.records("gginews")) == EXPECTED_IDS
    # identical records, WARC pointers included: they name the live crawl's response records
    assert by_id(again.records("gginews")) == by_id(live.records("gginews"))
    stats = again.stats()
    assert stats["newsbot/replay/hits"] == 5 and stats.get("newsbot/replay/missing", 0) == 0


def test_reparse_re_emits_articles_the_site_state_already_recorded(live, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(live.output_dir, out)
    again = reparse(out, out / "gginews" / "warc")
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(again.records("gginews")) == 10   # the live file's 5 + the re-parse's 5
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
    assert by_id(again.records("gginews"), RUN_FIELDS + POINTER_FIELDS) == by_id(first_run, RUN_FIELDS + POINTER_FIELDS)


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


def test_damaged_archive_reports_file_and_offset_and_keeps_records_around_it(live, tmp_path):
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

    again = reparse(tmp_path / "reparsed", warc)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"Damaged archive {warc} at offset {bad_offset} (" in again.stderr
    assert again.stderr.count(f"Damaged archive {warc} at offset") == 2     # the flip and the cut
    assert again.stats()["newsbot/archive_damage"] == 2
    assert kinds[-1][0] != "response"  # the cut record is a request or metadata record
    # every article but the damaged one: records before and after the damage are used
    assert sorted(r["article_id"] for r in again.records("gginews")) == ["71401", "71402", "71404", "71405"]
