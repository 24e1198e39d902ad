"""Rolling WARC/1.1 files: ``<site>-<UTC timestamp>-<serial>.warc.gz``.

Records are built by warcio (digests, headers) and each is compressed as its own gzip
member, so any record can be read from its offset alone.  A request/response pair is
appended with one ``write(2)``: a killed process leaves whole records behind.

A payload already archived for the same URL (see :mod:`newsbot.warc.digests`) is written
as a ``revisit`` record (identical-payload-digest profile) instead of a second copy.  A
finished file gets its CDXJ index beside it (:mod:`newsbot.warc.cdxj`), built from the
records as they are appended, so the file is not read again at close.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import io
import os
import zlib
from pathlib import Path
from typing import NamedTuple

from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsbot.output import create_unique
from newsbot.warc.cdxj import CdxjLines
from newsbot.warc.digests import ArchivedPayload, DigestIndex, payload_digest

WARC_VERSION = "WARC/1.1"
_REVISIT_PROFILE = RecordBuilder.REVISIT_PROFILE_1_1
_CONTENT_TYPE = RecordBuilder.WARC_RECORDS   # record type -> the record's Content-Type


def _sha1_digest(*parts: bytes) -> str:
    """``sha1:<base32>`` of the parts in order, as warcio's ``Digester`` writes it."""
    hasher = hashlib.sha1()
    for part in parts:
        hasher.update(part)
    return "sha1:" + base64.b32encode(hasher.digest()).decode("ascii")


#: a record whose file cdxj-indexer itself must index (see newsbot.warc.cdxj)
_NEEDS_INDEXER = ()


class _Serialized(NamedTuple):
    """A record already serialized (uncompressed), with what the writer needs about it."""

    record_id: str
    block: bytes
    cdxj: tuple | None    # CdxjLines.add_entry's (url, date, mime, status, digest); None: not indexed


def _serialize(headers: list[tuple[str, str]], http_block: bytes, payload: bytes) -> bytes:
    """A WARC record exactly as warcio's ``_write_warc_record`` writes it: the WARC headers
    (UTF-8), the HTTP header block, the payload, two CRLFs."""
    head = WARC_VERSION + "\r\n" + "".join([f"{name}: {value}\r\n" for name, value in headers]) + "\r\n"
    return b"".join((head.encode("utf-8"), http_block, payload, b"\r\n\r\n"))


class RollingWarcWriter:
    def __init__(self, directory: Path, site: str, *, max_size: int, warcinfo: dict,
                 compress_level: int = 6, digests: DigestIndex | None = None, cdxj: bool = True):
        self.digests = digests
        self.cdxj = cdxj
        self.revisits_written = 0
        self.directory = Path(directory)
        self.site = site
        self.max_size = max_size
        self.warcinfo = warcinfo
        self.compress_level = compress_level
        self.builder = WARCWriter(None, gzip=False, warc_version=WARC_VERSION)
        self.fd: int | None = None
        self.path: Path | None = None
        self.cdxj_lines: CdxjLines | None = None
        self.size = 0
        self.records_written = 0
        self.bytes_written = 0

    # -- files ---------------------------------------------------------------
    def _open(self) -> None:
        self.close()
        self.fd, self.path = create_unique(self.directory, self.site, ".warc.gz")
        self.cdxj_lines = CdxjLines(self.path) if self.cdxj else None
        self.size = 0
        info = self.builder.create_warcinfo_record(self.path.name, self.warcinfo)
        self._append([info])

    def close(self) -> None:
        if self.fd is not None:
            os.fsync(self.fd)
            os.close(self.fd)
            self.fd = None
            if self.cdxj_lines is not None:
                self.cdxj_lines.write()
                self.cdxj_lines = None

    # -- records -------------------------------------------------------------
    def _compress(self, block: bytes) -> bytes:
        compressor = zlib.compressobj(self.compress_level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        return compressor.compress(block) + compressor.flush()

    def _member(self, record) -> bytes:
        if isinstance(record, _Serialized):
            return self._compress(record.block)
        raw = io.BytesIO()
        self.builder.out = raw
        self.builder._write_warc_record(raw, record)
        return self._compress(raw.getvalue())

    def _append(self, records) -> list[tuple[str, int, int]]:
        """Write records (one syscall); returns (record id, offset, length) for each.

        A record is a warcio record or, for the exchanges and metadata records the crawl
        writes by the thousand, one :meth:`capture`/:meth:`write_metadata` serialized."""
        members = [self._member(r) for r in records]
        data = b"".join(members)
        written = os.write(self.fd, data)
        if written != len(data):
            os.ftruncate(self.fd, self.size)  # disk full mid-record: back to whole records
            raise OSError(errno.ENOSPC, f"short write ({written} of {len(data)} bytes)", str(self.path))
        placed, offset = [], self.size
        for record, member in zip(records, members):
            if isinstance(record, _Serialized):
                record_id = record.record_id
                if self.cdxj_lines is None or record.cdxj is None:
                    pass
                elif record.cdxj is _NEEDS_INDEXER:
                    self.cdxj_lines.needs_indexer()
                else:
                    self.cdxj_lines.add_entry(*record.cdxj, offset=offset, length=len(member))
            else:
                record_id = record.rec_headers.get_header("WARC-Record-ID")
                if self.cdxj_lines is not None:
                    self.cdxj_lines.add(record, offset, len(member))
            placed.append((record_id, offset, len(member)))
            offset += len(member)
        self.size += len(data)
        self.bytes_written += len(data)
        self.records_written += len(records)
        return placed

    def write_records(self, records) -> list[tuple[str, int, int]]:
        if self.fd is None or self.size >= self.max_size:
            self._open()
        return self._append(records)

    # The crawl's own records are serialized here, header by header in the order warcio's
    # RecordBuilder and WARCWriter put them (tests/test_warc_serialize.py checks the bytes
    # against warcio's): going through warcio cost ~3x the CPU, mostly in its per-header
    # case-insensitive lookups and hashing the payload once more (docs/performance.md).
    def capture(self, *, url: str, method: str, request_target: str, request_headers: list[tuple[str, str]],
                request_body: bytes, status: int, reason: str, protocol: str,
                response_headers: list[tuple[str, str]], body: bytes, ip_address: str | None = None) -> dict:
        """Archive one exchange as a response (or revisit) record and its concurrent request record."""
        extra = [("WARC-IP-Address", ip_address)] if ip_address else []
        http_headers = StatusAndHeaders(f"{status} {reason}".strip(), response_headers, protocol=protocol)
        http_headers.compute_headers_buffer()  # warcio's: %-encodes a non-ASCII header value
        http_block = http_headers.headers_buff
        digest = payload_digest(body)
        original = self.digests.find(url, digest) if self.digests is not None and body else None
        response_id, warc_date = self.builder._make_warc_id(), self.builder.curr_warc_date()
        status_code = http_headers.get_statuscode()
        if original is not None:
            headers = extra + [
                ("WARC-Type", "revisit"), ("WARC-Record-ID", response_id), ("WARC-Target-URI", url),
                ("WARC-Date", warc_date), ("WARC-Profile", _REVISIT_PROFILE),
                ("WARC-Refers-To-Target-URI", url), ("WARC-Refers-To-Date", original.warc_date),
                ("WARC-Payload-Digest", digest), ("WARC-Refers-To", original.record_id),
                ("WARC-Block-Digest", _sha1_digest(http_block)),
                ("Content-Type", _CONTENT_TYPE["revisit"]), ("Content-Length", str(len(http_block))),
            ]
            response = _Serialized(response_id, _serialize(headers, http_block, b""),
                                   (url, warc_date, "warc/revisit", status_code, digest))
        else:
            headers = extra + [
                ("WARC-Type", "response"), ("WARC-Record-ID", response_id), ("WARC-Target-URI", url),
                ("WARC-Date", warc_date), ("WARC-Payload-Digest", digest),
                ("WARC-Block-Digest", _sha1_digest(http_block, body)),
                ("Content-Type", _CONTENT_TYPE["response"]), ("Content-Length", str(len(http_block) + len(body))),
            ]
            response = _Serialized(response_id, _serialize(headers, http_block, body),
                                   (url, warc_date, http_headers.get_header("Content-Type"), status_code, digest))
        request_http = StatusAndHeaders(f"{method} {request_target} {protocol}", request_headers,
                                        is_http_request=True)
        request_http.compute_headers_buffer()
        request_block = request_http.headers_buff
        request_id = self.builder._make_warc_id()
        headers = extra + [
            ("WARC-Type", "request"), ("WARC-Record-ID", request_id), ("WARC-Target-URI", url),
            ("WARC-Date", warc_date), ("WARC-Payload-Digest", _sha1_digest(request_body)),
            ("WARC-Concurrent-To", response_id), ("WARC-Block-Digest", _sha1_digest(request_block, request_body)),
            ("Content-Type", _CONTENT_TYPE["request"]),
            ("Content-Length", str(len(request_block) + len(request_body))),
        ]
        # cdxj-indexer keys a POST/PUT response by its request body too: that file's index falls back to it
        request_index = _NEEDS_INDEXER if method.upper() in ("POST", "PUT") else None
        request = _Serialized(request_id, _serialize(headers, request_block, request_body), request_index)
        (record_id, offset, length), _ = self.write_records([response, request])
        if original is not None:
            self.revisits_written += 1
        elif self.digests is not None and body:
            self.digests.add(url, digest, ArchivedPayload(record_id, warc_date, self.path.name, offset))
        return {"filename": self.path.name, "record_id": record_id, "offset": offset, "length": length,
                "revisit": original is not None}

    def write_metadata(self, url: str, fields: list[tuple[str, str]], refers_to: str) -> dict:
        """A ``metadata`` record (``application/warc-fields``) about the record ``refers_to``."""
        payload = "".join([f"{name}: {value}\r\n" for name, value in fields]).encode("utf-8")
        digest = _sha1_digest(payload)  # no HTTP headers: the block is the payload
        record_id = self.builder._make_warc_id()
        headers = [
            ("WARC-Refers-To", refers_to), ("WARC-Concurrent-To", refers_to), ("WARC-Type", "metadata"),
            ("WARC-Record-ID", record_id), *([("WARC-Target-URI", url)] if url else []),
            ("WARC-Date", self.builder.curr_warc_date()), ("WARC-Payload-Digest", digest),
            ("WARC-Block-Digest", digest), ("Content-Type", "application/warc-fields"),
            ("Content-Length", str(len(payload))),
        ]
        ((record_id, offset, length),) = self.write_records([_Serialized(record_id, _serialize(headers, b"", payload),
                                                                         None)])
        return {"filename": self.path.name, "record_id": record_id, "offset": offset, "length": length}
