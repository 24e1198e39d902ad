"""The CDXJ index the writer builds as it appends equals cdxj-indexer's over the finished file.

Every case compares byte for byte with ``cdxj-indexer --sort --post-append`` run on the
same WARC: revisits, MIME types with and without parameters, no or an empty Content-Type,
error statuses, URLs SURT-ordered differently from archive order, rollover into several
files, an index larger than the in-memory sort buffer, and the exchanges the fast path
hands back to cdxj-indexer (a POST, a resource record).
"""

from __future__ import annotations

import io
import json

import pytest
from cdxj_indexer.main import write_cdx_index

from newsbot.warc import cdxj
from newsbot.warc.cdxj import cdxj_path
from newsbot.warc.digests import DigestIndex
from newsbot.warc.writer import RollingWarcWriter


def new_writer(directory, **kwargs):
    return RollingWarcWriter(directory, "gginews", max_size=kwargs.pop("max_size", 1024**3),
                             warcinfo={"software": "newsbot-test"}, **kwargs)


def exchange(w, url, body, *, status=200, reason="OK", content_type="text/html; charset=utf-8", method="GET",
             request_body=b""):
    headers = [("Content-Length", str(len(body)))]
    if content_type is not None:
        headers.insert(0, ("Content-Type", content_type))
    return w.capture(url=url, method=method, request_target="/" + url.split("/", 3)[3],
                     request_headers=[("Host", url.split("/")[2])], request_body=request_body, status=status,
                     reason=reason, protocol="HTTP/1.1", response_headers=headers, body=body)


def cdxj_indexer_lines(warc):
    out = io.StringIO()
    write_cdx_index(out, [str(warc)], {"sort": True, "post_append": True})
    return out.getvalue().splitlines()


def index_lines(warc):
    return cdxj_path(warc).read_text(encoding="utf-8").splitlines()


def test_index_built_while_writing_equals_cdxj_indexer_on_the_file(tmp_path):
    w = new_writer(tmp_path / "warc", digests=DigestIndex(tmp_path / "digests.sqlite3"))
    # archive order is not SURT order: z.example before a.example, a path after a query
    exchange(w, "http://z.example.test/news/view.php?idx=2", b"<p>two</p>")
    exchange(w, "http://a.example.test/news/view.php?idx=1", b"<p>one</p>")
    exchange(w, "http://a.example.test/news/list.php?page=1", b"<ul></ul>", content_type="text/html")
    exchange(w, "http://a.example.test/robots.txt", b"", status=404, reason="Not Found", content_type=None)
    exchange(w, "http://a.example.test/feed", b"<rss/>", content_type="")
    exchange(w, "http://a.example.test/img/1.jpg", b"\xff\xd8jpeg", content_type="image/jpeg ;q=1")
    first = exchange(w, "http://a.example.test/news/view.php?idx=3", b"<p>same</p>")
    again = exchange(w, "http://a.example.test/news/view.php?idx=3", b"<p>same</p>")   # a revisit
    w.write_metadata("http://a.example.test/news/view.php?idx=3", [("outlink", "http://x.test/")],
                     first["record_id"])
    assert w.cdxj_lines.exact                            # built from the writer's records, not re-read
    w.close()
    assert again["revisit"] and not first["revisit"]
    (warc,) = (tmp_path / "warc").glob("*.warc.gz")
    ours = index_lines(warc)
    assert ours == cdxj_indexer_lines(warc)
    assert len(ours) == 8                                # the 8 responses/revisits; no metadata, no requests
    entries = {(e["url"], e["mime"] if "mime" in e else None, e["status"])
               for e in (json.loads(line.split(" ", 2)[2]) for line in ours)}
    assert ("http://a.example.test/news/view.php?idx=3", "warc/revisit", "200") in entries
    assert ("http://a.example.test/robots.txt", None, "404") in entries      # no Content-Type: no mime
    assert ("http://a.example.test/feed", "", "200") in entries              # an empty one stays empty
    assert ("http://a.example.test/img/1.jpg", "image/jpeg", "200") in entries


def test_every_rolled_file_gets_its_own_exact_index(tmp_path):
    w = new_writer(tmp_path, max_size=3000)
    for i in range(12):
        exchange(w, f"http://example.test/news/view.php?idx={i}", f"<p>article {i}</p>".encode() * 20)
    w.close()
    warcs = sorted(tmp_path.glob("*.warc.gz"))
    assert len(warcs) >= 3
    assert sum(len(index_lines(p)) for p in warcs) == 12
    for warc in warcs:
        assert index_lines(warc) == cdxj_indexer_lines(warc)


def test_an_index_larger_than_the_sort_buffer_is_merged_from_sorted_runs(tmp_path, monkeypatch):
    # ~330 characters a line: 2,000 characters of buffer spill a sorted run every 6 lines
    monkeypatch.setattr(cdxj, "SORT_BUFFER_CHARS", 2000)
    w = new_writer(tmp_path)
    for i in range(40):
        exchange(w, f"http://example.test/news/view.php?idx={(i * 7919) % 40}", f"<p>{i}</p>".encode())
    assert len(w.cdxj_lines._sorter.tmp_files) >= 5
    w.close()
    (warc,) = tmp_path.glob("*.warc.gz")
    assert len(index_lines(warc)) == 40
    assert index_lines(warc) == cdxj_indexer_lines(warc)


@pytest.mark.parametrize("odd_record", ["post", "resource"])
def test_a_record_the_fast_path_does_not_cover_falls_back_to_cdxj_indexer(tmp_path, odd_record):
    w = new_writer(tmp_path)
    exchange(w, "http://example.test/news/view.php?idx=1", b"<p>one</p>")
    if odd_record == "post":
        # --post-append keys a POST by its URL plus its body
        exchange(w, "http://example.test/search", b"<p>found</p>", method="POST", request_body=b"q=budget&page=2")
    else:
        record = w.builder.create_warc_record("http://example.test/notes.txt", "resource",
                                              payload=io.BytesIO(b"notes"), length=5,
                                              warc_content_type="text/plain")
        w.write_records([record])
    assert w.cdxj_lines.exact is False
    w.close()
    (warc,) = tmp_path.glob("*.warc.gz")
    ours = index_lines(warc)
    assert ours == cdxj_indexer_lines(warc)
    assert len(ours) == 2
    if odd_record == "post":
        assert any("search?__wb_method=post&__wb_post_data=" in line for line in ours)
