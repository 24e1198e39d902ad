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

import errno
import io
import os
import zlib
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsbot.output import create_unique
from newsbot.warc.cdxj import CdxjLines
from newsbot.warc.digests import ArchivedPayload, DigestIndex, payload_digest

WARC_VERSION = "WARC/1.1"


#: media types whose bytes are compressed already (photos, web fonts, audio/video, archives)
_COMPRESSED_TYPES = frozenset({"image/jpeg", "image/pjpeg", "image/png", "image/gif", "image/webp", "image/avif",
                               "image/heic", "font/woff", "font/woff2", "application/font-woff",
                               "application/font-woff2", "application/zip", "application/gzip"})


def _compressed_payload(record) -> bool:
    """A response whose payload is a compressed format (a photo, a web font): its gzip
    member is written stored (level 0).  Deflating a JPEG again saves nothing (it grows by
    a few bytes) and cost ~2/3 of the CPU of archiving a 100 KB photo (docs/performance.md)."""
    if record.rec_type != "response" or not record.http_headers:
        return False
    mime = (record.http_headers.get_header("Content-Type") or "").split(";", 1)[0].strip().lower()
    return mime in _COMPRESSED_TYPES or mime.startswith(("video/", "audio/"))


class RollingWarcWriter:
    def __init__(self, directory: Path, site: str, *, max_size: int, warcinfo: dict,
                 compress_level: int = 6, digests: DigestIndex | None = None, cdxj: bool = True,
                 file_tag: str = ""):
        self.digests = digests
        self.file_tag = file_tag  # a cluster worker's id in every file name (newsbot.output.file_tag)
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
        self.fd, self.path = create_unique(self.directory, self.site, ".warc.gz", tag=self.file_tag)
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
    def _member(self, record) -> bytes:
        # warcio serializes the record (its public write_record, into a buffer); the gzip
        # member is ours: warcio's GzippingWrapper compresses at level 9, twice level 3's
        # CPU for ~10 % smaller files (WARC_COMPRESS_LEVEL, docs/performance.md).
        raw = io.BytesIO()
        self.builder.out = raw
        self.builder.write_record(record)
        level = 0 if _compressed_payload(record) else self.compress_level
        compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        return compressor.compress(raw.getvalue()) + compressor.flush()

    def _append(self, records) -> list[tuple[str, int, int]]:
        """Write records (one syscall); returns (record id, offset, length) for each."""
        members = [self._member(r) for r in records]
        data = b"".join(members)
        written = os.write(self.fd, data)
        if written != len(data):
            os.ftruncate(self.fd, self.size)  # disk full mid-record: back to whole records
            raise OSError(errno.ENOSPC, f"short write ({written} of {len(data)} bytes)", str(self.path))
        placed, offset = [], self.size
        for record, member in zip(records, members):
            placed.append((record.rec_headers.get_header("WARC-Record-ID"), offset, len(member)))
            if self.cdxj_lines is not None:
                self.cdxj_lines.add(record, offset, len(member))
            offset += len(member)
        self.size += len(data)
        self.bytes_written += len(data)
        self.records_written += len(records)
        return placed

    def write_records(self, records) -> list[tuple[str, int, int]]:
        if self.fd is None or self.size >= self.max_size:
            self._open()
        return self._append(records)

    def capture(self, *, url: str, method: str, request_target: str, request_headers: list[tuple[str, str]],
                request_body: bytes, status: int, reason: str, protocol: str,
                response_headers: list[tuple[str, str]], body: bytes, ip_address: str | None = None) -> dict:
        """Archive one exchange as a response (or revisit) record and its concurrent request record."""
        extra = {"WARC-IP-Address": ip_address} if ip_address else {}
        http_headers = StatusAndHeaders(f"{status} {reason}".strip(), response_headers, protocol=protocol)
        digest = payload_digest(body) if body else None
        original = self.digests.find(url, digest) if self.digests is not None and digest else None
        if original is not None:
            response = self.builder.create_revisit_record(
                url, digest, url, original.warc_date, http_headers=http_headers, warc_headers_dict=dict(extra),
            )
            response.rec_headers.add_header("WARC-Refers-To", original.record_id)
        else:
            response = self.builder.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=http_headers, warc_headers_dict=dict(extra),
            )
        request = self.builder.create_warc_record(
            url, "request",
            payload=io.BytesIO(request_body), length=len(request_body),
            http_headers=StatusAndHeaders(f"{method} {request_target} {protocol}", request_headers,
                                          is_http_request=True),
            warc_headers_dict=dict(extra),
        )
        warc_date = response.rec_headers.get_header("WARC-Date")
        request.rec_headers.replace_header("WARC-Date", warc_date)
        request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
        (record_id, offset, length), _ = self.write_records([response, request])
        if original is not None:
            self.revisits_written += 1
        elif self.digests is not None and digest:
            self.digests.add(url, digest, ArchivedPayload(record_id, warc_date, self.path.name, offset))
        return {"filename": self.path.name, "record_id": record_id, "offset": offset, "length": length,
                "revisit": original is not None, "date": warc_date}

    def write_conversion(self, url: str, body: bytes, content_type: str, refers_to: str | None) -> dict:
        """A ``conversion`` record (e.g. the DOM a browser built) of the record ``refers_to``."""
        record = self.builder.create_warc_record(
            url, "conversion", payload=io.BytesIO(body), length=len(body), warc_content_type=content_type,
            # WARC 1.1 forbids WARC-Concurrent-To on conversion records: Refers-To links it.
            warc_headers_dict={"WARC-Refers-To": refers_to} if refers_to else {},
        )
        ((record_id, offset, length),) = self.write_records([record])
        return {"filename": self.path.name, "record_id": record_id, "offset": offset, "length": length}

    def write_metadata(self, url: str, fields: list[tuple[str, str]], refers_to: str) -> dict:
        """A ``metadata`` record (``application/warc-fields``) about the record ``refers_to``."""
        payload = "".join(f"{name}: {value}\r\n" for name, value in fields).encode("utf-8")
        record = self.builder.create_warc_record(
            url, "metadata", payload=io.BytesIO(payload), length=len(payload),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Refers-To": refers_to, "WARC-Concurrent-To": refers_to},
        )
        ((record_id, offset, length),) = self.write_records([record])
        return {"filename": self.path.name, "record_id": record_id, "offset": offset, "length": length}
