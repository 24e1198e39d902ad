"""Archives get the live downloader's limit (``DOWNLOAD_MAXSIZE``): a record that would
inflate (or read) past it is not inflated past it, is reported once as oversized with its
file and offset, counted, skipped like damage (the records around it are used), and never
replayed, re-parsed or copied.  In-process with a small limit; then ``scrapy reparse`` and
a replay crawl on a 1 GiB record, with each process's own peak RSS."""

from __future__ import annotations

import json
import os
import tracemalloc

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsbot.warc.cdxj import write_cdxj
from newsbot.warc.index import ArchiveIndex
from newsbot.warc.scan import HEADER_ALLOWANCE, iter_record_headers, iter_records
from tests.conftest import FIXTURES
from tests.hostile_archives import (MIB, http_head, run_measured, write_plain_zero_response, write_record,
                                    write_zero_response)

LIMIT = 256 * 1024


def url(idx: int) -> str:
    return f"http://www.gginews.kr/news/view.php?idx={idx}"


def article(idx: int) -> bytes:
    return (FIXTURES / "gginews" / f"view_{idx}.html").read_bytes()


def block_too_large(size: int, limit: int = LIMIT) -> str:
    return f"record block (WARC Content-Length) of {len(http_head(size)) + size} bytes exceeds DOWNLOAD_MAXSIZE ({limit})"


def hostile_warc(path, gzip: bool = True) -> dict[str, int]:
    """Articles 71401, 71403, 71405 around a 20 MiB record (idx=2) and, gzip'd, a member
    whose header declares 100 bytes and which inflates to 20 MiB (idx=4); their offsets."""
    with path.open("wb") as fh:
        offsets = {"a": write_record(fh, url(71401), article(71401), gzip)}
        offsets["big"] = (write_zero_response if gzip else write_plain_zero_response)(fh, url(2), 20 * MIB)
        offsets["c"] = write_record(fh, url(71403), article(71403), gzip)
        if gzip:
            offsets["liar"] = write_zero_response(fh, url(4), 20 * MIB, declared_block=100)
        offsets["e"] = write_record(fh, url(71405), article(71405), gzip)
        offsets["end"] = fh.tell()
    return offsets


def traced_peak(action):
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("gzip", [True, False], ids=["warc.gz", "plain warc"])
def test_the_scan_skips_oversized_records_reports_each_once_and_keeps_the_rest(tmp_path, gzip):
    warc = tmp_path / ("hostile.warc.gz" if gzip else "hostile.warc")
    offsets = hostile_warc(warc, gzip)
    damage = []
    index, peak = traced_peak(lambda: ArchiveIndex([warc], on_damage=damage.append, max_size=LIMIT))
    assert list(index.order) == [url(71401), url(71403), url(71405)]
    assert index.get(url(71403)).body == article(71403)
    assert index.get(url(2)) is None and index.get(url(4)) is None
    expected = [(offsets["big"], offsets["c"], block_too_large(20 * MIB))]
    if gzip:
        expected.append((offsets["liar"], offsets["e"], f"gzip member inflates past {LIMIT + HEADER_ALLOWANCE} bytes, "
                                                        f"over DOWNLOAD_MAXSIZE ({LIMIT}) and its headers"))
    assert [(d.offset, d.resumed_at, d.reason) for d in damage] == expected
    assert all(d.oversized and d.path == warc for d in damage)
    assert str(damage[0]) == (f"Oversized record in archive {warc} at offset {offsets['big']} "
                              f"({block_too_large(20 * MIB)}); resumed at offset {offsets['c']}")
    # 20 MiB records, and the most Python held at once is a few times the limit
    assert peak < 6 * (LIMIT + HEADER_ALLOWANCE), peak
    # the other readers keep to the same limit
    records = [(r.rec_headers.get_header("WARC-Target-URI"), len(p))
               for _, _, _, r, p in iter_records(warc, on_damage=lambda d: None, max_size=LIMIT)]
    assert records == [(url(71401), len(article(71401))), (url(71403), len(article(71403))),
                       (url(71405), len(article(71405)))]
    assert [h["warc-target-uri"] for *_, h in iter_record_headers(warc, lambda d: None, LIMIT)] == \
        [url(71401), url(71403), url(71405)]


def test_a_record_indexed_from_its_cdxj_is_refused_when_read_and_reported_once(tmp_path):
    warc = tmp_path / "hostile.warc.gz"
    with warc.open("wb") as fh:
        write_record(fh, url(71401), article(71401))
        big = write_zero_response(fh, url(2), 20 * MIB)
        after = write_record(fh, url(71403), article(71403))
    write_cdxj(warc)                      # cdxj-indexer's own index: it lists the big record
    damage = []
    index = ArchiveIndex([warc], on_damage=damage.append, max_size=LIMIT)
    assert index.files_from_cdxj == 1 and damage == [] and url(2) in index
    (stored, _), peak = traced_peak(lambda: (index.get(url(2)), index.get(url(2))))
    assert stored is None
    assert [(d.offset, d.resumed_at, d.reason, d.oversized) for d in damage] == \
        [(big, after, block_too_large(20 * MIB), True)]     # once, though asked twice
    assert peak < 6 * (LIMIT + HEADER_ALLOWANCE), peak
    assert index.get(url(71403)).body == article(71403)


@pytest.mark.parametrize("gzip", [True, False], ids=["warc.gz", "plain warc"])
def test_a_payload_of_exactly_the_limit_is_read_one_byte_more_is_not(tmp_path, gzip):
    warc = tmp_path / ("edge.warc.gz" if gzip else "edge.warc")
    with warc.open("wb") as fh:
        write_record(fh, url(1), b"x" * LIMIT, gzip)
        over = write_record(fh, url(2), b"x" * (LIMIT + 1), gzip)
        write_record(fh, url(3), b"x", gzip)
    for from_cdxj in ([False, True] if gzip else [False]):
        if from_cdxj:
            write_cdxj(warc)
        damage = []
        index = ArchiveIndex([warc], on_damage=damage.append, max_size=LIMIT)
        assert index.files_from_cdxj == int(from_cdxj)
        assert len(index.get(url(1)).body) == LIMIT and index.get(url(2)) is None and index.get(url(3)).body == b"x"
        assert [(d.offset, d.reason, d.oversized) for d in damage] == \
            [(over, f"record payload of {LIMIT + 1} bytes exceeds DOWNLOAD_MAXSIZE ({LIMIT})", True)]
        # no limit (DOWNLOAD_MAXSIZE=0, as in Scrapy): everything is read
        assert len(ArchiveIndex([warc], max_size=None).get(url(2)).body) == LIMIT + 1


# -- a 1 GiB record through the real commands -------------------------------------------
GIB_RECORD = 1 << 30
PEAK_RSS_LIMIT = 300 * MIB


@pytest.fixture(scope="module")
def gib_archive(tmp_path_factory):
    """Articles 71401 and 71403 around a response of 1 GiB (article idx=2): 1 MB on disk."""
    warc = tmp_path_factory.mktemp("gib") / "gginews-hostile.warc.gz"
    with warc.open("wb") as fh:
        write_record(fh, url(71401), article(71401))
        big = write_zero_response(fh, url(2), GIB_RECORD)
        after = write_record(fh, url(71403), article(71403))
    assert warc.stat().st_size < 2 * MIB
    line = f"Oversized record in archive {warc} at offset {big} ({block_too_large(GIB_RECORD, 8 * MIB)}); " \
           f"resumed at offset {after}"
    return warc, line


def report_of(result, site="gginews") -> dict:
    (path,) = (result.output_dir / site / "reports").glob("*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def check_run(result, peak: int, line: str, reparse: bool = False) -> None:
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.count(f"ERROR: {line}\n") == 1, result.stderr[-3000:]   # one log line
    assert result.stderr.count("Oversized record in archive") == 1
    records = result.reparsed_records("gginews") if reparse else result.records("gginews")
    assert sorted(r["article_id"] for r in records) == ["71401", "71403"]
    stats = result.stats()
    assert (stats["newsbot/archive_damage"], stats["newsbot/archive_oversized"]) == (1, 1)
    assert [(p["cause"], p["exit_status"]) for p in report_of(result)["problems"]] == [("archive_damage", 0)]
    assert peak < PEAK_RSS_LIMIT, f"peak RSS {peak / MIB:.0f} MiB"


def test_reparse_of_a_gib_record_stays_small_and_uses_the_records_around_it(gib_archive, tmp_path):
    warc, line = gib_archive
    result, peak = run_measured(["reparse", "gginews", str(warc), "--processes", "1"], tmp_path / "out")
    check_run(result, peak, line, reparse=True)
    print(f"scrapy reparse, 1 GiB record: peak RSS {peak / MIB:.0f} MiB")


def test_replay_of_a_gib_record_stays_small_and_never_copies_it(gib_archive, tmp_path):
    warc, line = gib_archive
    urls = ",".join(url(i) for i in (71401, 2, 71403))
    result, peak = run_measured(["crawl", "gginews", "-a", f"urls={urls}"], tmp_path / "out",
                                settings={"REPLAY_WARC": str(warc)})
    check_run(result, peak, line)
    # robots.txt (not archived) and the oversized record: answered as not in the archive
    assert result.stats()["newsbot/replay/missing"] == 2
    assert f"Not in the archive, answered 404: {url(2)}" in result.stderr
    print(f"replay crawl, 1 GiB record: peak RSS {peak / MIB:.0f} MiB")
    # the replay's own WARC: the two articles as replayed; for idx=2 at most the 404 the
    # replay answered, never the archived record
    (copy,) = result.warcs("gginews")
    assert copy.stat().st_size < 256 * 1024
    with copy.open("rb") as fh:
        responses = {r.rec_headers.get_header("WARC-Target-URI"): r.http_headers.get_statuscode()
                     for r in ArchiveIterator(fh) if r.rec_type == "response"}
    assert responses.get(url(2)) in (None, "404")
    assert responses[url(71401)] == responses[url(71403)] == "200"
    assert os.path.getsize(warc) < 2 * MIB


def test_a_cdxj_with_a_huge_line_is_not_used_and_the_warc_is_read(tmp_path):
    warc = tmp_path / "a.warc.gz"
    with warc.open("wb") as fh:
        write_record(fh, url(71401), article(71401))
    index_file = warc.with_name("a.cdxj")
    index_file.write_text('k 20240804000000 {"url": "' + "x" * (1 << 20) + '"}\n', encoding="utf-8")
    stamp = warc.stat().st_mtime_ns + 10**9
    os.utime(index_file, ns=(stamp, stamp))             # newer than the WARC: it would be trusted
    index, peak = traced_peak(lambda: ArchiveIndex([warc], max_size=LIMIT))
    assert index.files_from_cdxj == 0 and list(index.order) == [url(71401)]
    assert peak < 1 << 20                               # the megabyte line was never read whole
