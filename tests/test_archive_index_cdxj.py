"""ArchiveIndex built from the CDXJ index beside each ``.warc.gz`` (no record inflated) is the
index that reading every record builds; a CDXJ that cannot stand in for its WARC is not
used; a record damaged after it was indexed is reported, with file and offset, when read."""

from __future__ import annotations

import json
import os
import shutil
import zlib

from newsbot.warc import cdxj_path
from newsbot.warc.digests import DigestIndex
from newsbot.warc.index import ArchiveIndex
from newsbot.warc.writer import RollingWarcWriter

URLS = [f"http://example.test/news/view.php?idx={n}" for n in range(1, 6)]


def exchange(w, url, body, status=200):
    return w.capture(url=url, method="GET", request_target="/" + url.split("/", 3)[3],
                     request_headers=[("Host", "example.test")], request_body=b"", status=status,
                     reason="OK" if status == 200 else "Not Found", protocol="HTTP/1.1",
                     response_headers=[("Content-Type", "text/html; charset=utf-8"), ("Set-Cookie", "a=1"),
                                       ("Set-Cookie", "b=2")], body=body)


def archive(directory):
    """Two crawls into several files each: every article, a 404, a page changed between the
    crawls and the rest unchanged (revisits of the first crawl's records, in other files)."""
    digests = DigestIndex(directory / "digests.sqlite3")
    written = {}
    for crawl in (1, 2):
        w = RollingWarcWriter(directory / "warc", "gginews", max_size=1500, warcinfo={"software": "test"},
                              digests=digests)
        for url in URLS:
            body = f"<p>기사 {url[-1]} {'수정' if crawl == 2 and url == URLS[0] else ''}</p>".encode() * 20
            written[url, crawl] = exchange(w, url, body)
        written["gone", crawl] = exchange(w, "http://example.test/news/view.php?idx=99", b"gone", status=404)
        w.close()
    digests.close()
    return written


def stored_fields(index, url, canonicalize=None):
    stored = index.get(url, canonicalize=canonicalize)
    return None if stored is None else (stored.url, stored.status, stored.reason, stored.protocol, stored.headers,
                                        stored.body, stored.filename, stored.record_id, stored.offset,
                                        stored.revisit_of)


def test_an_index_from_the_cdxj_equals_one_from_reading_the_warcs(tmp_path):
    written = archive(tmp_path)
    warcs = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert len(warcs) >= 4 and all(cdxj_path(w).exists() for w in warcs)
    bare = tmp_path / "bare"
    bare.mkdir()
    for warc in warcs:
        shutil.copy(warc, bare)          # the WARCs alone: the index reads every record

    from_cdxj, from_records = ArchiveIndex([tmp_path / "warc"]), ArchiveIndex([bare])
    assert (from_cdxj.files_from_cdxj, from_records.files_from_cdxj) == (len(warcs), 0)
    assert list(from_cdxj.order) == list(from_records.order) == [*URLS, "http://example.test/news/view.php?idx=99"]
    assert len(from_cdxj) == len(from_records) == 6
    for url in [*URLS, "http://example.test/news/view.php?idx=99"]:
        assert stored_fields(from_cdxj, url) == stored_fields(from_records, url)
    # the latest capture answers: the changed page in full, an unchanged one as a revisit
    # resolved to the first crawl's payload (its record id read from the revisit record)
    changed, unchanged = from_cdxj.get(URLS[0]), from_cdxj.get(URLS[1])
    assert (changed.record_id, changed.revisit_of) == (written[URLS[0], 2]["record_id"], None)
    assert written[URLS[1], 2]["revisit"]
    assert (unchanged.record_id, unchanged.revisit_of) == (written[URLS[1], 2]["record_id"],
                                                           written[URLS[1], 1]["record_id"])
    assert unchanged.body == "<p>기사 2 </p>".encode() * 20
    assert from_cdxj.get(URLS[2] + "&mcode=m11", canonicalize=lambda u: u.split("&")[0]).body.startswith(b"<p>")
    from_cdxj.close()
    from_records.close()


def test_a_cdxj_that_cannot_stand_in_for_its_warc_is_not_used(tmp_path):
    archive(tmp_path)
    warc = sorted((tmp_path / "warc").glob("*.warc.gz"))[0]
    index_file = cdxj_path(warc)
    lines = index_file.read_text(encoding="utf-8").splitlines()
    total = len(list((tmp_path / "warc").glob("*.warc.gz")))

    def used_cdxj_files():
        index = ArchiveIndex([tmp_path / "warc"])
        assert len(index) == 6     # complete either way
        try:
            return index.files_from_cdxj
        finally:
            index.close()

    assert used_cdxj_files() == total
    # the WARC changed after its index was written
    stamp = index_file.stat().st_mtime_ns
    os.utime(warc, ns=(stamp + 10**9, stamp + 10**9))
    assert used_cdxj_files() == total - 1
    os.utime(warc, ns=(stamp - 10**9, stamp - 10**9))
    assert used_cdxj_files() == total

    def with_extra_entry(entry):
        key, timestamp, _ = lines[0].split(" ", 2)
        index_file.write_text("\n".join([*lines, f"{key} {timestamp} {json.dumps(entry)}"]) + "\n", encoding="utf-8")
        return used_cdxj_files()

    first = json.loads(lines[0].split(" ", 2)[2])
    # a resource or metadata record (no HTTP status): cdxj-indexer lists them, responses they are not
    assert with_extra_entry({**{k: v for k, v in first.items() if k != "status"}, "mime": "image/png"}) == total - 1
    assert with_extra_entry({**first, "filename": "another.warc.gz"}) == total - 1
    assert with_extra_entry({**first, "offset": str(warc.stat().st_size)}) == total - 1
    index_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert used_cdxj_files() == total


def _flip_member_bytes(warc, offset, length):
    data = bytearray(warc.read_bytes())
    middle = offset + length // 2
    data[middle:middle + 8] = bytes(b ^ 0xFF for b in data[middle:middle + 8])
    stamp = warc.stat().st_mtime_ns
    warc.write_bytes(bytes(data))
    os.utime(warc, ns=(stamp, stamp))   # as bit rot does: the file's time unchanged, its index trusted


def test_a_record_damaged_after_indexing_is_reported_with_file_and_offset_when_read(tmp_path):
    written = archive(tmp_path)
    victim = written[URLS[0], 2]                  # the changed page: a full response in the 2nd crawl
    warc = tmp_path / "warc" / victim["filename"]
    length = int(next(json.loads(line.split(" ", 2)[2])["length"]
                      for line in cdxj_path(warc).read_text(encoding="utf-8").splitlines()
                      if json.loads(line.split(" ", 2)[2])["offset"] == str(victim["offset"])))
    _flip_member_bytes(warc, victim["offset"], length)
    zlib_fails = False
    try:
        zlib.decompress(warc.read_bytes()[victim["offset"]:victim["offset"] + length], zlib.MAX_WBITS | 16)
    except zlib.error:
        zlib_fails = True
    assert zlib_fails

    damage = []
    index = ArchiveIndex([tmp_path / "warc"], on_damage=damage.append)
    assert index.files_from_cdxj == len(list((tmp_path / "warc").glob("*.warc.gz")))
    assert damage == []                           # nothing inflated yet
    assert index.get(URLS[0]) is None             # unreadable: as if not archived, and said so
    assert [(d.path, d.offset, d.resumed_at) for d in damage] == [(warc, victim["offset"], victim["offset"] + length)]
    assert str(damage[0]).startswith(f"Damaged archive {warc} at offset {victim['offset']} (")
    # the records around it are read as ever
    assert [index.get(url).body for url in URLS[1:]] == [f"<p>기사 {n} </p>".encode() * 20 for n in range(2, 6)]
    index.close()
