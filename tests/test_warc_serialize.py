"""The writer's own record serializer writes exactly the bytes warcio's RecordBuilder would.

``RollingWarcWriter.capture`` and ``write_metadata`` serialize their records directly (for
speed: docs/performance.md).  Each case here builds the same records the way the writer
used to, through warcio's ``RecordBuilder``/``WARCWriter``, and compares the uncompressed
records byte for byte; only the random record ids and the clock's WARC-Date differ
between the two, so those are substituted before comparing.
"""

from __future__ import annotations

import io
import zlib

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsbot.warc.digests import DigestIndex, payload_digest
from newsbot.warc.writer import RollingWarcWriter

URL = "http://www.example.test/news/view.php?idx=71398&mcode=m11"
BODY = "<html><body><p>시청 앞 광장에서 열린 행사</p></body></html>".encode() * 40
RESPONSE_HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Server", "test"),
                    ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Content-Length", str(len(BODY)))]
REQUEST_HEADERS = [("Host", "www.example.test"), ("User-Agent", "newsbot-test"), ("Accept-Language", "ko")]


def warcio_exchange(builder, *, url, method, request_target, request_headers, request_body, status, reason,
                    protocol, response_headers, body, ip_address=None, original=None):
    """The records as the writer built them with warcio before it serialized them itself."""
    extra = {"WARC-IP-Address": ip_address} if ip_address else {}
    http_headers = StatusAndHeaders(f"{status} {reason}".strip(), list(response_headers), protocol=protocol)
    if original is not None:
        response = builder.create_revisit_record(url, payload_digest(body), url, original["warc_date"],
                                                 http_headers=http_headers, warc_headers_dict=dict(extra))
        response.rec_headers.add_header("WARC-Refers-To", original["record_id"])
    else:
        response = builder.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                              http_headers=http_headers, warc_headers_dict=dict(extra))
    request = builder.create_warc_record(
        url, "request", payload=io.BytesIO(request_body), length=len(request_body),
        http_headers=StatusAndHeaders(f"{method} {request_target} {protocol}", list(request_headers),
                                      is_http_request=True),
        warc_headers_dict=dict(extra),
    )
    request.rec_headers.replace_header("WARC-Date", response.rec_headers.get_header("WARC-Date"))
    request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
    return [response, request]


def serialized(builder, record) -> bytes:
    out = io.BytesIO()
    builder._write_warc_record(out, record)
    return out.getvalue()


def members(path, offset, count) -> list[bytes]:
    """``count`` gzip members of ``path`` from ``offset``, uncompressed."""
    data, found = path.read_bytes()[offset:], []
    while len(found) < count:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        found.append(inflater.decompress(data))
        data = inflater.unused_data
    return found


def header(block: bytes, name: str) -> str:
    head = block.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    (value,) = [line.split(": ", 1)[1] for line in head.split("\r\n")[1:] if line.split(": ", 1)[0] == name]
    return value


def same_apart_from_ids_and_dates(ours: bytes, reference: bytes) -> bytes:
    """``reference`` with its record ids and WARC-Date swapped for ``ours``'s."""
    for name in ("WARC-Record-ID", "WARC-Date", "WARC-Concurrent-To"):
        try:
            reference = reference.replace(header(reference, name).encode(), header(ours, name).encode())
        except ValueError:
            pass  # a record without that header
    return reference


EXCHANGES = {
    "get": dict(method="GET", request_body=b"", body=BODY, response_headers=RESPONSE_HEADERS),
    "get with ip": dict(method="GET", request_body=b"", body=BODY, response_headers=RESPONSE_HEADERS,
                        ip_address="127.0.0.1"),
    "post": dict(method="POST", request_body=b"q=%EC%8B%9C%EC%B2%AD&page=2", body=BODY,
                 response_headers=RESPONSE_HEADERS),
    "empty 404": dict(method="GET", request_body=b"", body=b"", status=404, reason="Not Found",
                      response_headers=[("Content-Length", "0")]),
    "no reason phrase": dict(method="GET", request_body=b"", body=b"x", status=299, reason="",
                             response_headers=[("Content-Type", "text/plain")]),
    # a header value Twisted decoded as latin-1 from UTF-8 bytes: warcio %-encodes it
    "non-ascii header": dict(method="GET", request_body=b"", body=BODY, response_headers=[
        ("Content-Type", "text/html"),
        ("Content-Disposition", 'attachment; filename="' + "보도자료.hwp".encode().decode("latin-1") + '"'),
        ("X-Title", "시청".encode().decode("latin-1"))]),
}


@pytest.mark.parametrize("case", sorted(EXCHANGES))
def test_exchange_records_equal_warcios(tmp_path, case):
    exchange = {"url": URL, "request_target": "/news/view.php?idx=71398&mcode=m11", "request_headers": REQUEST_HEADERS,
                "status": 200, "reason": "OK", "protocol": "HTTP/1.1", **EXCHANGES[case]}
    writer = RollingWarcWriter(tmp_path, "test", max_size=1 << 30, warcinfo={"software": "test"}, compress_level=3)
    placed = writer.capture(**exchange)
    writer.close()
    ours = members(writer.path, placed["offset"], 2)
    builder = WARCWriter(None, gzip=False, warc_version="WARC/1.1")
    reference = [serialized(builder, r) for r in warcio_exchange(builder, **exchange)]
    assert ours[0] == same_apart_from_ids_and_dates(ours[0], reference[0])
    assert ours[1] == same_apart_from_ids_and_dates(ours[1], reference[1])
    assert header(ours[0], "WARC-Record-ID") == placed["record_id"]
    assert header(ours[1], "WARC-Concurrent-To") == placed["record_id"]
    assert header(ours[0], "WARC-Payload-Digest") == payload_digest(exchange["body"])


def test_revisit_record_equals_warcios(tmp_path):
    exchange = {"url": URL, "method": "GET", "request_target": "/news/view.php?idx=71398&mcode=m11",
                "request_headers": REQUEST_HEADERS, "request_body": b"", "status": 200, "reason": "OK",
                "protocol": "HTTP/1.1", "response_headers": RESPONSE_HEADERS, "body": BODY, "ip_address": "10.0.0.7"}
    writer = RollingWarcWriter(tmp_path, "test", max_size=1 << 30, warcinfo={"software": "test"},
                               digests=DigestIndex(tmp_path / "digests.sqlite3"))
    first = writer.capture(**exchange)
    again = writer.capture(**exchange)
    writer.close()
    assert (first["revisit"], again["revisit"]) == (False, True)
    first_response = members(writer.path, first["offset"], 1)[0]
    ours = members(writer.path, again["offset"], 2)
    builder = WARCWriter(None, gzip=False, warc_version="WARC/1.1")
    original = {"record_id": first["record_id"], "warc_date": header(first_response, "WARC-Date")}
    reference = [serialized(builder, r) for r in warcio_exchange(builder, original=original, **exchange)]
    assert ours[0] == same_apart_from_ids_and_dates(ours[0], reference[0])
    assert ours[1] == same_apart_from_ids_and_dates(ours[1], reference[1])
    assert header(ours[0], "WARC-Refers-To") == first["record_id"]


def test_metadata_record_equals_warcios(tmp_path):
    fields = [("via", URL), ("outlink", "http://www.example.test/news/list.php?mcode=m11 L a/@href"),
              ("newsbot-extraction", '{"article_id":"71398","title":"시청 앞 광장"}')]
    writer = RollingWarcWriter(tmp_path, "test", max_size=1 << 30, warcinfo={"software": "test"})
    placed = writer.write_metadata(URL, fields, refers_to="<urn:uuid:00000000-0000-4000-8000-000000000001>")
    writer.close()
    (ours,) = members(writer.path, placed["offset"], 1)
    builder = WARCWriter(None, gzip=False, warc_version="WARC/1.1")
    payload = "".join(f"{name}: {value}\r\n" for name, value in fields).encode("utf-8")
    record = builder.create_warc_record(
        URL, "metadata", payload=io.BytesIO(payload), length=len(payload),
        warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Refers-To": "<urn:uuid:00000000-0000-4000-8000-000000000001>",
                           "WARC-Concurrent-To": "<urn:uuid:00000000-0000-4000-8000-000000000001>"},
    )
    reference = serialized(builder, record)
    assert ours == same_apart_from_ids_and_dates(ours, reference)
    assert header(ours, "WARC-Record-ID") == placed["record_id"]
