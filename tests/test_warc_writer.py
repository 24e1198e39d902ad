"""RollingWarcWriter: rollover, unique names, CDXJ beside each file, revisits across processes."""

from __future__ import annotations

import re
import subprocess
import sys

from warcio.archiveiterator import ArchiveIterator

from newsbot.warc.digests import DigestIndex, payload_digest
from newsbot.warc.index import ArchiveIndex
from newsbot.warc.writer import RollingWarcWriter

NAME = re.compile(r"^gginews-\d{8}T\d{6}Z-\d{5}\.warc\.gz$")
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


def writer(directory, **kwargs):
    return RollingWarcWriter(directory, "gginews", max_size=kwargs.pop("max_size", 1024**3),
                             warcinfo={"software": "newsbot-test"}, **kwargs)


def exchange(w, url, body, status=200):
    return w.capture(url=url, method="GET", request_target="/" + url.rsplit("/", 1)[1],
                     request_headers=[("Host", "example.test")], request_body=b"", status=status,
                     reason="OK", protocol="HTTP/1.1",
                     response_headers=[("Content-Type", "text/html"), ("Content-Length", str(len(body)))],
                     body=body, ip_address="127.0.0.1")


def records(path):
    with path.open("rb") as fh:
        return [(r.rec_type, r.rec_headers, r.raw_stream.read()) for r in ArchiveIterator(fh)]


def test_rolls_over_at_max_size_into_valid_uniquely_named_files_each_indexed(tmp_path):
    w = writer(tmp_path, max_size=4000)
    bodies = [f"<p>기사 {i}</p>".encode() * 150 for i in range(6)]   # ~2 KB each, compressible
    for i, body in enumerate(bodies):
        exchange(w, f"http://example.test/a{i}", body)
    w.close()
    warcs = sorted(tmp_path.glob("*.warc.gz"))
    assert len(warcs) >= 2
    assert all(NAME.match(p.name) for p in warcs)
    seen = []
    for path in warcs:
        recs = records(path)
        assert recs[0][0] == "warcinfo"                   # each file stands alone
        seen += [r[1].get_header("WARC-Target-URI") for r in recs if r[0] == "response"]
        assert path.stat().st_size < 4000 + 2500          # rolled at the first pair past the limit
        cdxj = path.with_name(path.name.removesuffix(".warc.gz") + ".cdxj").read_text().splitlines()
        assert len(cdxj) == sum(r[0] == "response" for r in recs)
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)], capture_output=True)
        assert check.returncode == 0, check.stdout
    assert seen == [f"http://example.test/a{i}" for i in range(6)]


def test_concurrent_writers_never_share_a_file(tmp_path):
    first, second = writer(tmp_path), writer(tmp_path)
    exchange(first, "http://example.test/one", b"one")
    exchange(second, "http://example.test/two", b"two")
    first.close()
    second.close()
    assert first.path != second.path
    assert [r[1].get_header("WARC-Target-URI") for r in records(first.path) if r[0] == "response"] == [
        "http://example.test/one"]
    assert [r[1].get_header("WARC-Target-URI") for r in records(second.path) if r[0] == "response"] == [
        "http://example.test/two"]


def test_unchanged_payload_is_a_revisit_across_processes_and_resolves_on_read(tmp_path):
    body = "<html><body>바뀌지 않은 기사</body></html>".encode()
    index_path = tmp_path / "digests.sqlite3"
    run1 = writer(tmp_path, digests=DigestIndex(index_path))
    original = exchange(run1, "http://example.test/a", body)
    run1.close()
    run1.digests.close()

    run2 = writer(tmp_path, digests=DigestIndex(index_path))   # a later process: the index is on disk
    changed = exchange(run2, "http://example.test/a", body + b"<!-- edited -->")
    again = exchange(run2, "http://example.test/a", body)       # back to the first version
    other_url = exchange(run2, "http://example.test/b", body)   # same bytes, other URL: a full record
    run2.close()
    assert (original["revisit"], again["revisit"], changed["revisit"], other_url["revisit"]) == (
        False, True, False, False)

    recs = records(run2.path)
    (revisit,) = [r for r in recs if r[0] == "revisit"]
    (first_response,) = [r for r in records(run1.path) if r[0] == "response"]
    headers = revisit[1]
    assert headers.get_header("WARC-Profile") == REVISIT_PROFILE
    assert headers.get_header("WARC-Refers-To") == original["record_id"]
    assert headers.get_header("WARC-Refers-To-Target-URI") == "http://example.test/a"
    assert headers.get_header("WARC-Refers-To-Date") == first_response[1].get_header("WARC-Date")
    assert headers.get_header("WARC-Payload-Digest") == payload_digest(body)
    assert revisit[2] == b""                                   # no second copy of the payload
    assert run2.revisits_written == 1

    # reading: the latest capture of /a is the revisit; it comes back with the original payload
    stored = ArchiveIndex([tmp_path]).get("http://example.test/a")
    assert (stored.body, stored.status, stored.reason) == (body, 200, "OK")
    assert stored.record_id == again["record_id"] and stored.revisit_of == original["record_id"]
    # without the file holding the original, the revisit cannot be replayed: treated as absent
    assert ArchiveIndex([run2.path]).get("http://example.test/a") is None


def test_a_record_written_but_not_indexed_before_a_kill_is_still_revisited(tmp_path):
    body = "<html><body>중단 직전에 저장된 기사</body></html>".encode()
    index_path = tmp_path / "digests.sqlite3"
    killed = writer(tmp_path)                # the kill fell after write(2), before the index entry
    original = exchange(killed, "http://example.test/a", body)
    exchange(killed, "http://example.test/404", b"", status=404)  # no payload: nothing to refer to
    # never closed, as after SIGKILL: still under its .open name, no .cdxj beside it
    assert not list(tmp_path.glob("*.cdxj")) and not list(tmp_path.glob("*.warc.gz"))
    assert killed.file.open_path.exists()

    digests = DigestIndex(index_path)
    assert digests.catch_up(tmp_path) == 1
    assert digests.catch_up(tmp_path) == 0   # read once: the file has not grown since
    found = digests.find("http://example.test/a", payload_digest(body))
    assert (found.record_id, found.filename, found.offset) == (original["record_id"], killed.path.name,
                                                              original["offset"])
    resumed = writer(tmp_path, digests=digests)
    again = exchange(resumed, "http://example.test/a", body)
    resumed.close()
    assert again["revisit"] is True
    (revisit,) = [r for r in records(resumed.path) if r[0] == "revisit"]
    assert revisit[1].get_header("WARC-Refers-To") == original["record_id"]
    # a finished file (its .cdxj written) is not read again
    finished_only = DigestIndex(tmp_path / "other.sqlite3")
    killed.file.open_path.unlink()
    assert finished_only.catch_up(tmp_path) == 0
