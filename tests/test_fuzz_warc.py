"""WARC bytes fuzzed: random truncations, cuts, bit flips, lying Content-Length fields and
gzip bombs in archives given to the reading path replay and re-parse share (the scan, the
archive index and its reads, gzip'd and plain).  Reading never raises, never holds more
than a few times the record limit, and every record the damage did not touch comes back,
before and after it.  Then the same kinds of damage through ``scrapy reparse`` and a
replay crawl."""

from __future__ import annotations

import gzip as gzip_module
import io
import os
import tracemalloc
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsbot.warc.cdxj import write_cdxj
from newsbot.warc.index import ArchiveIndex
from newsbot.warc.scan import HEADER_ALLOWANCE, iter_record_headers, iter_records
from tests.conftest import FIXTURES, run_scrapy
from tests.hostile_archives import MIB, write_record, write_zero_response

LIMIT = 64 * 1024
MEMORY_BOUND = 8 * (LIMIT + HEADER_ALLOWANCE)      # what reading may hold at once, all told
BOMB = 16 * MIB                                     # what a bomb member inflates to
RECORDS = 6
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.function_scoped_fixture])


def url(n: int) -> str:
    return f"http://www.gginews.kr/news/view.php?idx={n}"


def body(n: int) -> bytes:
    # sizes that differ from record to record (1.1 KB to 40 KB), some over what a line holds
    return (b"<html><body><p>record %d</p>" % n) + bytes(range(256)) * (4 + 30 * n) + b"</body></html>"


def members(gzip: bool) -> list[bytes]:
    """Each record as its own bytes: a gzip member, or an uncompressed record."""
    out = []
    for n in range(RECORDS):
        buffer = io.BytesIO()
        write_record(buffer, url(n), body(n), gzip)
        out.append(buffer.getvalue())
    return out


GZ_MEMBERS, PLAIN_MEMBERS = members(True), members(False)


def bomb_member() -> bytes:
    buffer = io.BytesIO()
    write_zero_response(buffer, url(999), BOMB, declared_block=120)   # its header lies, too
    return buffer.getvalue()


BOMB_MEMBER = bomb_member()


def with_declared_length(member: bytes, gzip: bool, length: int) -> bytes:
    """The record with its WARC Content-Length replaced (the block left as it is)."""
    data = gzip_module.decompress(member) if gzip else member
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = [line if not line.lower().startswith(b"content-length:") else b"Content-Length: %d" % length
             for line in head.split(b"\r\n")]
    data = b"\r\n".join(lines) + b"\r\n\r\n" + rest
    return gzip_module.compress(data, mtime=0) if gzip else data


DAMAGE = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, RECORDS - 1), st.floats(0, 1, exclude_max=True), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(0, RECORDS - 1), st.floats(0, 1, exclude_max=True), st.integers(1, 400)),
    st.tuples(st.just("truncate"), st.integers(0, RECORDS - 1), st.floats(0, 1, exclude_max=True)),
    st.tuples(st.just("length"), st.integers(0, RECORDS - 1),
              st.sampled_from([0, 1, 7, LIMIT + HEADER_ALLOWANCE + 1, 10**12, 2**63, 10**40])),
    st.tuples(st.just("bomb"), st.integers(0, RECORDS)),
)


def damaged_archive(kind: tuple, gzip: bool) -> tuple[bytes, set[int]]:
    """The archive with ``kind`` of damage; the records it left untouched."""
    parts = list(GZ_MEMBERS if gzip else PLAIN_MEMBERS)
    intact = set(range(RECORDS))
    name, *args = kind
    if name == "bomb":
        parts.insert(args[0], BOMB_MEMBER if gzip else b"")   # (plain: see "length" instead)
        return b"".join(parts), intact
    victim = args[0]
    member = parts[victim]
    at = int(args[1] * len(member)) if name != "length" else 0
    if name == "flip":
        parts[victim] = member[:at] + bytes([member[at] ^ args[2]]) + member[at + 1:]
    elif name == "cut":
        parts[victim] = member[:at] + member[at + args[2]:]
    elif name == "truncate":
        parts, intact = parts[:victim] + [member[:at]], set(range(victim))
        return b"".join(parts), intact
    elif name == "length":
        parts[victim] = with_declared_length(member, gzip, args[1])
        if args[1] == len(gzip_module.decompress(member) if gzip else member):
            return b"".join(parts), intact   # (never: no sampled length is a record's own)
    intact.discard(victim)
    return b"".join(parts), intact


NUMBERS = {url(n): n for n in range(RECORDS)}


def read_everything(path) -> tuple[set[int], set[int], list]:
    """What the scan and the index (and its reads) give back: record numbers by URL (of
    records whose URL and payload are whole)."""
    damage = []
    scanned = set()
    for _, _, _, record, payload in iter_records(path, on_damage=damage.append, max_size=LIMIT):
        n = NUMBERS.get(record.rec_headers.get_header("WARC-Target-URI"))
        if n is not None and payload == body(n):
            scanned.add(n)
    headers = [h for *_, h in iter_record_headers(path, on_damage=lambda d: None, max_size=LIMIT)]
    assert {NUMBERS.get(h.get("warc-target-uri")) for h in headers} >= scanned
    index = ArchiveIndex([path], on_damage=damage.append, max_size=LIMIT)
    try:
        served = set()
        for n in [*range(RECORDS), 999]:
            stored = index.get(url(n))
            if stored is not None and n < RECORDS and stored.body == body(n):
                served.add(n)
        for archived in index.order:
            index.get(archived)          # whatever is indexed reads back or is reported, never raises
    finally:
        index.close()
    return scanned, served, damage


def check(path, intact: set[int]) -> None:
    tracemalloc.start()
    try:
        scanned, served, damage = read_everything(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert intact <= scanned, (sorted(intact - scanned), [str(d) for d in damage])
    assert intact <= served, (sorted(intact - served), [str(d) for d in damage])
    assert peak < MEMORY_BOUND, peak
    assert all(d.path == path and d.offset >= 0 for d in damage)


@pytest.mark.parametrize("gzip", [True, False], ids=["warc.gz", "plain warc"])
@FUZZ
@given(kind=DAMAGE)
def test_damaged_archives_never_raise_stay_bounded_and_keep_what_is_intact(tmp_path, gzip, kind):
    data, intact = damaged_archive(kind, gzip)
    path = tmp_path / ("fuzz.warc.gz" if gzip else "fuzz.warc")
    path.write_bytes(data)
    for index_file in tmp_path.glob("*.cdxj"):
        index_file.unlink()
    check(path, intact)


@FUZZ
@given(victim=st.integers(0, RECORDS - 1), where=st.floats(0, 1, exclude_max=True), mask=st.integers(1, 255))
def test_bit_rot_under_a_cdxj_index_is_found_when_read(tmp_path, victim, where, mask):
    """A flip in a finished file whose CDXJ still stands in for it (the time kept): the
    index trusts the CDXJ, the read finds the damage; the other records are served."""
    path = tmp_path / "rot.warc.gz"
    path.write_bytes(b"".join(GZ_MEMBERS))
    write_cdxj(path)
    data, intact = damaged_archive(("flip", victim, where, mask), gzip=True)
    stamp = path.stat().st_mtime_ns
    path.write_bytes(data)
    os.utime(path, ns=(stamp, stamp))
    index = ArchiveIndex([path], on_damage=lambda d: None, max_size=LIMIT)
    try:
        assert index.files_from_cdxj == 1
        served = {n for n in range(RECORDS) if (s := index.get(url(n))) is not None and s.body == body(n)}
    finally:
        index.close()
    assert intact <= served


# -- through the commands ---------------------------------------------------------------
ARTICLES = list(range(81001, 81008))   # seven articles: fixture pages under new numbers


def article_url(idx: int) -> str:
    return f"http://www.gginews.kr/news/view.php?idx={idx}"


@pytest.fixture(scope="module")
def battered_archive(tmp_path_factory):
    """Seven archived articles: a gzip bomb after the first, a flipped byte in the third,
    a lying Content-Length in the fifth, the seventh cut short.  1, 2, 4, 6 are intact."""
    pages = sorted((FIXTURES / "gginews").glob("view_*.html"))
    members_ = []
    for n, idx in enumerate(ARTICLES):
        buffer = io.BytesIO()
        write_record(buffer, article_url(idx), pages[n % len(pages)].read_bytes())
        members_.append(buffer.getvalue())
    third = bytearray(members_[2])
    third[len(third) // 2] ^= 0x40
    members_[2] = bytes(third)
    members_[4] = with_declared_length(members_[4], True, 10**12)
    members_[6] = members_[6][:-30]
    bomb = io.BytesIO()
    write_zero_response(bomb, article_url(81099), 64 * MIB)
    warc = tmp_path_factory.mktemp("battered") / "gginews-battered.warc.gz"
    warc.write_bytes(b"".join([members_[0], bomb.getvalue(), *members_[1:]]))
    return warc


INTACT = ["81001", "81002", "81004", "81006"]


def check_battered(result, reparse: bool = False):
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    records = result.reparsed_records("gginews") if reparse else result.records("gginews")
    assert sorted(r["article_id"] for r in records) == INTACT
    stats = result.stats()
    # the bomb and the lying length are oversized; the flip and the cut are damage
    assert (stats["newsbot/archive_damage"], stats["newsbot/archive_oversized"]) == (4, 2)
    assert result.stderr.count("ERROR: Oversized record in archive") == 2
    assert result.stderr.count("ERROR: Damaged archive") == 2


def test_reparse_of_a_battered_archive_keeps_every_intact_article(battered_archive, tmp_path):
    check_battered(run_scrapy(["reparse", "gginews", str(battered_archive)], tmp_path / "out"), reparse=True)


def test_replay_of_a_battered_archive_keeps_every_intact_article(battered_archive, tmp_path):
    urls = ",".join(article_url(i) for i in ARTICLES)
    check_battered(run_scrapy(["crawl", "gginews", "-a", f"urls={urls}"], tmp_path / "out",
                              settings={"REPLAY_WARC": str(battered_archive)}))


@pytest.mark.parametrize("gzip", [True, False], ids=["warc.gz", "plain warc"])
@pytest.mark.parametrize("separator", [b"\x0c\n", b"\n", b"\r"])
def test_the_fast_header_read_agrees_with_warcio_on_odd_line_breaks(tmp_path, gzip, separator):
    """A header line ending in a lone LF or CR (found by the fuzzer: a flipped CR): the
    index's own header read must see what warcio sees, or the record would go unindexed."""
    data = (gzip_module.decompress(GZ_MEMBERS[0]) if gzip else PLAIN_MEMBERS[0])
    data = data.replace(b"\r\nWARC-Target-URI", separator + b"WARC-Target-URI", 1)
    path = tmp_path / ("odd.warc.gz" if gzip else "odd.warc")
    path.write_bytes((gzip_module.compress(data, mtime=0) if gzip else data) + b"".join(
        (GZ_MEMBERS if gzip else PLAIN_MEMBERS)[1:]))
    records = [r.rec_headers.get_header("WARC-Target-URI") for *_, r, _ in iter_records(path, lambda d: None, LIMIT)]
    headers = [h.get("warc-target-uri") for *_, h in iter_record_headers(path, lambda d: None, LIMIT)]
    assert headers == records
