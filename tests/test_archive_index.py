"""ArchiveIndex keeps record positions in SQLite, not in Python objects: lookups by URL, by
canonical URL and revisit resolution as before, and its Python memory does not grow with
the number of records."""

from __future__ import annotations

import gzip
import tracemalloc

import pytest

from newsbot.warc.digests import DigestIndex
from newsbot.warc.index import ArchiveIndex
from newsbot.warc.scan import iter_record_headers, iter_records
from newsbot.warc.writer import RollingWarcWriter


def new_writer(directory, **kwargs):
    return RollingWarcWriter(directory, "gginews", max_size=kwargs.pop("max_size", 1024**3),
                             warcinfo={"software": "newsbot-test"}, **kwargs)


def exchange(w, url, body):
    return w.capture(url=url, method="GET", request_target="/" + url.split("/", 3)[3],
                     request_headers=[("Host", "example.test")], request_body=b"", status=200, reason="OK",
                     protocol="HTTP/1.1", response_headers=[("Content-Type", "text/html")], body=body)


def drop_query(url):
    return url.split("?")[0]


def test_latest_capture_first_archived_order_and_canonical_spellings(tmp_path):
    w = new_writer(tmp_path, max_size=1000)                 # several files
    exchange(w, "http://example.test/a", b"first a")
    exchange(w, "http://example.test/a?from=list", b"a, linked from a list")
    exchange(w, "http://example.test/b", b"b")
    latest_a = exchange(w, "http://example.test/a", b"second a")
    w.close()
    assert len(list(tmp_path.glob("*.warc.gz"))) >= 2
    index = ArchiveIndex([tmp_path])
    assert len(index) == 3 and "http://example.test/b" in index and "http://example.test/c" not in index
    assert list(index.order) == ["http://example.test/a", "http://example.test/a?from=list", "http://example.test/b"]
    stored = index.get("http://example.test/a")
    assert (stored.body, stored.record_id, stored.offset) == (b"second a", latest_a["record_id"], latest_a["offset"])
    assert index.get("http://example.test/a?from=feed") is None            # no such spelling archived
    # of the spellings of one canonical URL, the one first archived last answers (as before)
    assert index.get("http://example.test/a?from=feed", canonicalize=drop_query).body == b"a, linked from a list"
    assert index.get("http://example.test/b?x=1", canonicalize=drop_query).body == b"b"
    index.close()


def test_a_revisit_comes_back_with_the_original_payload_across_files(tmp_path):
    digests = DigestIndex(tmp_path / "digests.sqlite3")
    first = new_writer(tmp_path / "warc", digests=digests)
    original = exchange(first, "http://example.test/a", b"unchanged page")
    first.close()
    second = new_writer(tmp_path / "warc", digests=digests)
    revisit = exchange(second, "http://example.test/a", b"unchanged page")
    second.close()
    assert revisit["revisit"]
    stored = ArchiveIndex([tmp_path / "warc"]).get("http://example.test/a")
    assert (stored.body, stored.record_id, stored.revisit_of) == (b"unchanged page", revisit["record_id"],
                                                                  original["record_id"])


@pytest.mark.parametrize("from_cdxj", [True, False], ids=["from the CDXJ", "reading every record"])
def test_python_memory_does_not_grow_with_the_number_of_records(tmp_path, from_cdxj):
    def retained_after_indexing(records):
        directory = tmp_path / str(records)
        w = new_writer(directory)
        for i in range(records):
            exchange(w, f"http://example.test/news/view.php?idx={i}", b"<p>%d</p>" % i)
        w.close()
        if not from_cdxj:
            for index_file in directory.glob("*.cdxj"):
                index_file.unlink()
        tracemalloc.start()
        try:
            index = ArchiveIndex([directory])
            retained = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert index.files_from_cdxj == (1 if from_cdxj else 0)
        assert len(index) == records and index.get(f"http://example.test/news/view.php?idx={records - 1}")
        index.close()
        return retained

    small, large = retained_after_indexing(200), retained_after_indexing(3000)
    # positions in Python objects cost ~1 KB a record (2.8 MB more here); in SQLite, nothing
    assert large - small < 100_000, (small, large)


def test_a_saved_index_loads_read_only_and_answers_as_the_one_that_read_the_archive(tmp_path):
    digests = DigestIndex(tmp_path / "digests.sqlite3")
    w = new_writer(tmp_path / "warc", digests=digests, max_size=1000)     # several files
    exchange(w, "http://example.test/a", b"first a")
    exchange(w, "http://example.test/a?from=list", b"a, linked from a list")
    exchange(w, "http://example.test/b", b"b")
    exchange(w, "http://example.test/b", b"b")                            # a revisit
    w.close()
    built = ArchiveIndex([tmp_path / "warc"])
    built.save(tmp_path / "index.sqlite3")
    (tmp_path / "index.sqlite3").chmod(0o444)                             # children only read it
    loaded = ArchiveIndex.load(tmp_path / "index.sqlite3")
    assert len(loaded) == len(built) == 3 and list(loaded.order) == list(built.order)
    for url in ["http://example.test/a", "http://example.test/a?from=list", "http://example.test/b"]:
        assert loaded.get(url) == built.get(url)
    assert loaded.get("http://example.test/b").revisit_of is not None
    # a canonical lookup builds its table in the loaded index's own TEMP space
    assert loaded.get("http://example.test/a?from=feed", canonicalize=drop_query).body == b"a, linked from a list"
    assert loaded.get("http://example.test/c", canonicalize=drop_query) is None
    built.close()
    loaded.close()


def _member(target: str, record_id: str, extra: bytes = b"") -> bytes:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>" + record_id.encode() + b"</p>"
    head = (f"WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: {target}\r\nWARC-Record-ID: {record_id}\r\n"
            f"Content-Type: application/http; msgtype=response\r\n").encode() + extra
    return gzip.compress(head + b"Content-Length: %d\r\n\r\n" % len(http) + http + b"\r\n\r\n")


def test_the_fast_header_read_finds_what_warcio_finds_and_leaves_odd_records_to_warcio(tmp_path):
    warc = tmp_path / "odd.warc.gz"
    warc.write_bytes(
        _member("http://example.test/plain", "<urn:uuid:1>")
        + _member("<http://example.test/wget>", "<urn:uuid:2>")                  # Wget 1.19's brackets
        + _member("http://example.test/folded", "<urn:uuid:3>", b"WARC-Warcinfo-ID: <urn:uuid:\r\n 9>\r\n")
        + gzip.compress(b"<html>not a WARC record</html>\r\n\r\n")            # damage: no record
        + _member("http://example.test/after", "<urn:uuid:4>"))

    def by_warcio():
        return [(offset, length, record.rec_type, record.rec_headers.get_header("WARC-Target-URI"),
                 record.rec_headers.get_header("WARC-Record-ID"), record.rec_headers.get_header("WARC-Warcinfo-ID"))
                for _, offset, length, record, _ in iter_records(warc, on_damage=lambda d: None)]
    fast = [(offset, length, h["warc-type"], h["warc-target-uri"], h["warc-record-id"], h.get("warc-warcinfo-id"))
            for _, offset, length, h in iter_record_headers(warc, on_damage=lambda d: None)]
    assert fast == by_warcio()
    assert [row[3] for row in fast] == ["http://example.test/plain", "http://example.test/wget",
                                       "http://example.test/folded", "http://example.test/after"]
    assert fast[2][5] == "<urn:uuid: 9>"                  # the folded line joined, as warcio does
    damage = []
    index = ArchiveIndex([warc], on_damage=damage.append)
    assert len(damage) == 1 and len(index) == 4
    assert index.get("http://example.test/wget").body == b"<p><urn:uuid:2></p>"
    index.close()


def test_a_warc_gzipped_whole_as_one_member_answers_each_url_with_its_own_record(tmp_path):
    # Some tools (or `gzip file.warc`) make one gzip member of many records: they share its
    # offset, and each URL must still get its own record, not the member's first.
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    raw = io.BytesIO()
    w = WARCWriter(raw, gzip=False)
    for i in range(3):
        url = f"http://example.test/news/view.php?idx={i}"
        w.write_record(w.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=StatusAndHeaders(
            f"GET /news/view.php?idx={i} HTTP/1.1", [("Host", "example.test")], is_http_request=True)))
        w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(b"<p>%d</p>" % i), http_headers=(
            StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"))))
    (tmp_path / "whole.warc.gz").write_bytes(gzip.compress(raw.getvalue()))
    index = ArchiveIndex([tmp_path])
    assert (len(index), index.files_from_cdxj) == (3, 0)
    assert [index.get(f"http://example.test/news/view.php?idx={i}").body for i in range(3)] == [
        b"<p>0</p>", b"<p>1</p>", b"<p>2</p>"]
    index.close()
