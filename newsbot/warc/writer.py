"""Rolling WARC/1.1 files: ``<site>-<UTC timestamp>-<serial>.warc.gz``.

Records are built by warcio (digests, headers) and each is compressed as its own gzip
member, so any record can be read from its offset alone.  A request/response pair is
appended with one ``write(2)``: a killed process leaves whole records behind.

A payload already archived for the same URL (see :mod:`newsbot.warc.digests`) is written
as a ``revisit`` record (identical-payload-digest profile) instead of a second copy.  A
finished file gets its CDXJ index beside it (:mod:`newsbot.warc.cdxj`), built from the
records as they are appended, so the file is not read again at close.

A file is written as ``<name>.warc.gz.open`` and renamed to ``<name>.warc.gz`` when it is
closed, its CDXJ already beside it (:mod:`newsbot.outputfile`); records, the warcinfo
record and the digest index name it by its final name from the start.  A ``.open`` file a
killed process left is finished by the next run (:func:`adopt_unfinished_warcs`).
"""

from __future__ import annotations

import io
import logging
import os
import zlib
from collections.abc import Callable
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsbot.outputfile import FinishedFile, OutputFile, adopt_unfinished, describe
from newsbot.warc.cdxj import CdxjLines, write_cdxj
from newsbot.warc.digests import ArchivedPayload, DigestIndex, payload_digest

logger = logging.getLogger(__name__)

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
                 file_tag: str = "", on_finished: Callable[[FinishedFile], None] | None = None):
        self.digests = digests
        self.on_finished = on_finished   # each finished WARC and CDXJ file (the run's manifest)
        self.file_tag = file_tag  # a cluster worker's id in every file name (newsbot.output.file_tag)
        self.cdxj = cdxj
        self.revisits_written = 0
        self.directory = Path(directory)
        self.site = site
        self.max_size = max_size
        self.warcinfo = warcinfo
        self.compress_level = compress_level
        self.builder = WARCWriter(None, gzip=False, warc_version=WARC_VERSION)
        self.file: OutputFile | None = None
        self.path: Path | None = None   # the current (or last) file's final name
        self.cdxj_lines: CdxjLines | None = None
        self.records_written = 0
        self.bytes_written = 0

    # -- files ---------------------------------------------------------------
    @property
    def size(self) -> int:
        """Bytes in the file being written (0 between files)."""
        return self.file.size if self.file is not None else 0

    def _open(self) -> None:
        self.close()
        self.file = OutputFile(self.directory, self.site, ".warc.gz", "warc", tag=self.file_tag)
        self.path = self.file.path
        self.cdxj_lines = CdxjLines(self.path) if self.cdxj else None
        info = self.builder.create_warcinfo_record(self.path.name, self.warcinfo)
        self._append([info])

    def close(self) -> None:
        """Finish the current file: its CDXJ written beside it, then renamed to its final name.
        Should the index fail for want of space, the WARC (whole) is finished without it, so
        the records pointing into it find it, and the error is raised after."""
        if self.file is None:
            return
        file, cdxj_lines, self.file, self.cdxj_lines = self.file, self.cdxj_lines, None, None
        index: list[Path] = []
        index_failed: list[OSError] = []

        def write_index() -> None:
            try:
                index.append(cdxj_lines.write(read_from=file.open_path))
            except OSError as exc:   # readers read a WARC without its CDXJ record by record
                index_failed.append(exc)

        # The index is written before the rename: a finished WARC has its CDXJ beside it.
        finished = file.finish(before_rename=write_index if cdxj_lines is not None else None)
        if self.on_finished is not None:
            self.on_finished(finished)
            for path in index:
                self.on_finished(describe(path, "cdxj"))
        if index_failed:
            raise index_failed[0]

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
        offset = self.file.size
        self.file.write(data, records=len(records))   # one write(2); a short one is cut back
        placed = []
        for record, member in zip(records, members):
            placed.append((record.rec_headers.get_header("WARC-Record-ID"), offset, len(member)))
            if self.cdxj_lines is not None:
                self.cdxj_lines.add(record, offset, len(member))
            offset += len(member)
        self.bytes_written += len(data)
        self.records_written += len(records)
        return placed

    def write_records(self, records) -> list[tuple[str, int, int]]:
        if self.file is None or self.file.size >= self.max_size:
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


# -- what a killed process left ---------------------------------------------------
def repair_warc(fd: int, path: Path, max_size: int | None = None) -> int:
    """Keep whole records: cut the file after its last record that reads as one (a kill can
    only leave the tail unfinished); returns the records kept.  A record over ``max_size``
    (the crawl's ``DOWNLOAD_MAXSIZE``) is not inflated, but it is whole when the scan could
    step over it by its length, so it stays."""
    from newsbot.warc.scan import DEFAULT_MAX_SIZE, iter_record_headers

    records, end = 0, 0

    def stepped_over(damage) -> None:
        nonlocal records, end
        if getattr(damage, "oversized", False) and damage.resumed_at is not None:
            records += 1
            end = max(end, damage.resumed_at)

    limit = DEFAULT_MAX_SIZE if max_size is None else (max_size or None)
    for _, offset, length, _ in iter_record_headers(path, on_damage=stepped_over, max_size=limit):
        records += 1
        end = max(end, offset + length)
    if end != os.fstat(fd).st_size:
        os.ftruncate(fd, end)
    return records


def adopt_unfinished_warcs(directory: Path, cdxj: bool = True, max_size: int | None = None) -> list[FinishedFile]:
    """Finish the ``.warc.gz.open`` files killed processes left in ``directory``: cut to whole
    records, indexed (cdxj-indexer reads them: the records written were never listed
    anywhere else), renamed.  Returns the WARC and CDXJ files, for the run's manifest."""
    indexes: list[Path] = []

    def index(open_path: Path, final: Path) -> None:
        if not cdxj:
            return
        try:
            indexes.append(write_cdxj(final, read_from=open_path))
        except Exception as exc:  # damage inside the file: readers then read it record by record
            logger.warning("Could not index %s (%s: %s); finished without its CDXJ", final.name,
                           type(exc).__name__, exc)

    warcs = adopt_unfinished(directory, ".warc.gz", "warc", lambda fd, path: repair_warc(fd, path, max_size),
                             before_rename=index)
    return warcs + [describe(path, "cdxj") for path in indexes if path.exists()]
