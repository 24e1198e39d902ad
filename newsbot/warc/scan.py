"""Reading WARC files record by record, surviving damage (replay, re-parse, the index and
the digest catch-up all read through here).

* :func:`warc_paths` expands a file or folder (or several) into WARC files;
* :func:`iter_records` walks every record: a ``.warc.gz`` is read gzip member by gzip
  member (newsbot writes one record per member, as do other archivers; a member holding
  several, as in a WARC gzipped whole, is read record by record), so a truncated or
  corrupted member is reported once, with file and offset, and reading resumes at the
  next intact member: records before *and* after are kept;
* :func:`iter_record_headers`: the same walk, WARC headers only (what an index needs).

Archives get the live downloader's limit (``DOWNLOAD_MAXSIZE``): no record is inflated or
read past it.  A gzip member is inflated with a bounded ``decompress(data, max_length)``,
the WARC ``Content-Length`` is checked before a payload is read (compressed or not), and a
record over the limit is reported once as :class:`ArchiveDamage` (``oversized``), skipped
like damage, and never handed to replay or re-parse (docs/archive.md, docs/faults.md).
"""

from __future__ import annotations

import io
import logging
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from newsbot.settings import DOWNLOAD_MAXSIZE as DEFAULT_MAX_SIZE

logger = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc.gz", ".warc")
GZIP_MAGIC = b"\x1f\x8b\x08"
CHUNK = 1 << 16
#: room for a record's WARC and HTTP headers on top of the payload limit: what a member may
#: inflate to, and a record block may declare, is ``max_size + HEADER_ALLOWANCE``
HEADER_ALLOWANCE = 256 * 1024
#: a WARC record header longer than this is damage (newsbot's are ~600 bytes)
MAX_WARC_HEADER = CHUNK


class RecordTooLarge(Exception):
    """A record over the reader's limit (``DOWNLOAD_MAXSIZE``), found before it was read whole.

    ``warc_start``: the bytes read began a WARC record (a real record, merely too large)."""

    def __init__(self, message: str, warc_start: bool = True, end: int | None = None):
        super().__init__(message)
        self.warc_start = warc_start
        #: where the record ends, if its framing says so (an uncompressed record's Content-Length)
        self.end = end


#: what reading a damaged member or record raises
DAMAGE_ERRORS = (zlib.error, EOFError, ArchiveLoadFailed, ValueError)


def record_limit(max_size: int | None) -> int | None:
    """Inflated bytes a member (or plain record) may hold: the payload limit + headers; None: no limit."""
    return max_size + HEADER_ALLOWANCE if max_size else None


class ArchiveError(Exception):
    """An archive path that is missing, empty or unreadable."""


@dataclass(frozen=True)
class ArchiveDamage:
    """Bytes of a WARC that could not be read: ``[offset, resumed_at)`` was skipped."""

    path: Path
    offset: int
    resumed_at: int | None   # None: nothing readable after the damage
    reason: str
    oversized: bool = False  # a whole record over DOWNLOAD_MAXSIZE, not read (RecordTooLarge)

    def __str__(self) -> str:
        after = f"resumed at offset {self.resumed_at}" if self.resumed_at is not None else "nothing readable after it"
        what = "Oversized record in archive" if self.oversized else "Damaged archive"
        return f"{what} {self.path} at offset {self.offset} ({self.reason}); {after}"


def log_damage(damage: ArchiveDamage) -> None:
    logger.error("%s", damage)


def is_gzipped(path: Path) -> bool:
    """``.warc.gz``, also while still written as ``.warc.gz.open`` (newsbot.outputfile)."""
    return path.name.removesuffix(".open").endswith(".gz")


def warc_paths(locations: str | Path | Iterable[str | Path]) -> list[Path]:
    if isinstance(locations, (str, Path)):
        locations = [locations]
    files: list[Path] = []
    for location in locations:
        path = Path(location)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.name.endswith(WARC_SUFFIXES))
            if not found:
                raise ArchiveError(f"no .warc or .warc.gz files in {path}")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise ArchiveError(f"no such WARC file or folder: {path}")
    return files


# -- reading members -------------------------------------------------------------
def _too_large(what: str, size: int, max_size: int, warc_start: bool = True) -> RecordTooLarge:
    return RecordTooLarge(f"{what} of {size} bytes exceeds DOWNLOAD_MAXSIZE ({max_size})", warc_start)


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:([^\r\n]*)", re.IGNORECASE)


def declared_length(header: bytes) -> int:
    """The ``Content-Length`` of a WARC record header (``header`` up to its blank line)."""
    found = _CONTENT_LENGTH.search(header)
    if found is None:
        raise ArchiveLoadFailed("WARC record without Content-Length")
    value = found[1].strip()
    if not value.isdigit():
        raise ArchiveLoadFailed(f"WARC Content-Length is not a number: {value[:40]!r}")
    return int(value)


def check_declared_length(data: bytes, max_size: int | None) -> None:
    """Refuse a record whose WARC header (at the start of ``data``, if complete there)
    declares a block over the limit, before its payload is inflated or read."""
    if not max_size or not data.startswith(b"WARC/"):
        return
    end = data.find(b"\r\n\r\n", 0, MAX_WARC_HEADER)
    if end < 0:
        return
    declared = declared_length(data[:end])
    if declared > max_size + HEADER_ALLOWANCE:
        raise _too_large("record block (WARC Content-Length)", declared, max_size)


def inflate_member(fh, start: int, head: bytes, max_size: int | None = DEFAULT_MAX_SIZE) -> tuple[bytes, bytes, int]:
    """Inflate the gzip member starting at file offset ``start`` (``head`` = its first bytes
    already read).  Returns (data, bytes read past the member's end, member length).

    Never inflates more than ``max_size + HEADER_ALLOWANCE`` bytes (``max_size`` None or 0:
    no limit): raises :class:`RecordTooLarge` as soon as the WARC header declares more, or
    the member inflates past it (a record whose header lies, a gzip bomb)."""
    limit = record_limit(max_size)
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    out, size, fed, chunk = [], 0, len(head), head
    header_checked = limit is None
    while True:
        # at most one byte past the limit: enough to know it is over
        piece = inflater.decompress(chunk, 0 if limit is None else limit + 1 - size)
        if piece:
            out.append(piece)
            size += len(piece)
        if not header_checked and (size >= MAX_WARC_HEADER or inflater.eof or b"\r\n\r\n" in piece):
            header_checked = True
            check_declared_length(b"".join(out)[:MAX_WARC_HEADER], max_size)
        if limit is not None and size > limit:
            raise RecordTooLarge(f"gzip member inflates past {limit} bytes, over DOWNLOAD_MAXSIZE ({max_size}) "
                                 f"and its headers", warc_start=b"".join(out[:2])[:5] == b"WARC/")
        if inflater.eof:
            rest = inflater.unused_data
            return b"".join(out), rest, fed - len(rest)
        chunk = inflater.unconsumed_tail
        if not chunk:
            chunk = fh.read(CHUNK)
            if not chunk:
                raise EOFError("truncated gzip member")
            fed += len(chunk)


def inflate_bytes(data: bytes, max_size: int | None = DEFAULT_MAX_SIZE, length: int | None = None) -> bytes:
    """One gzip member held in ``data`` (its length known, e.g. from a CDXJ), inflated within
    the limit.  ``length`` alone (``data`` empty): only check that a member that long can
    inflate within the limit, before reading it."""
    limit = record_limit(max_size)
    length = len(data) if length is None else length
    # deflate grows incompressible input by 5 bytes per 16 KB block at most: a member this
    # long cannot inflate to less than the limit (or is damaged)
    if limit is not None and length > limit + limit // 1024 + 1024:
        raise _too_large("gzip member", length, max_size)
    if not data:
        return b""
    inflated, _, _ = inflate_member(io.BytesIO(data[CHUNK:]), 0, data[:CHUNK], max_size)
    return inflated


def parse_member(data: bytes, max_size: int | None = DEFAULT_MAX_SIZE):
    """The WARC record(s) in one inflated member (or one plain record), each with its
    payload read; a payload over ``max_size`` raises :class:`RecordTooLarge`."""
    records = []
    try:
        for record in ArchiveIterator(io.BytesIO(data), check_digests=False):
            payload = record.raw_stream.read()
            if max_size and len(payload) > max_size:
                raise _too_large("record payload", len(payload), max_size)
            records.append((record, payload))
    except (AttributeError, TypeError, IndexError, KeyError) as exc:
        # warcio's parser on bytes no writer made (a header line it cannot split, a missing
        # WARC-Type): damage like any other, not a crash
        raise ArchiveLoadFailed(f"unreadable WARC record ({type(exc).__name__}: {exc})") from None
    if not records:
        raise ArchiveLoadFailed("no WARC record in gzip member")
    return records


def _decode_header(value: bytes) -> str:
    try:   # as warcio does: UTF-8, else ISO-8859-1
        return value.decode("utf-8").strip()
    except UnicodeDecodeError:
        return value.decode("iso-8859-1").strip()


def _member_headers(data: bytes, max_size: int | None = DEFAULT_MAX_SIZE) -> list[dict[str, str]]:
    """The WARC headers of the record(s) in one inflated member: lower-case name -> first value.

    The index needs nothing else, so a plain member (one ``WARC/1.x`` record of exactly its
    ``Content-Length``, no folded header lines, a bare target URI) is read here without
    warcio's HTTP header parsing and payload copy: a third of the time.  Anything else goes
    through warcio (:func:`parse_member`), as does a damaged member.  A payload over
    ``max_size`` (the block less its HTTP header) raises :class:`RecordTooLarge`.
    """
    end = data.find(b"\r\n\r\n")
    # (lines split only on CRLF here: a lone CR or LF, which warcio splits on, goes to warcio)
    if end > 0 and data.startswith(b"WARC/1.") and data.count(b"\n", 0, end) == data.count(b"\r", 0, end) \
            == data.count(b"\r\n", 0, end):
        headers: dict[str, bytes] = {}
        for line in data[:end].split(b"\r\n")[1:]:
            name, colon, value = line.partition(b":")
            if not colon or line.startswith((b" ", b"\t")):
                break
            headers.setdefault(name.rstrip(b" \t").lower().decode("iso-8859-1"), value)
        else:
            length = headers.get("content-length", b"").strip()
            uri = headers.get("warc-target-uri", b"").strip()
            if (length.isdigit() and end + 8 + int(length) == len(data) and data.endswith(b"\r\n\r\n")
                    and not uri.startswith(b"<") and b" " not in uri):
                if max_size:
                    _check_payload_length(data, end + 4, int(length), max_size)
                return [{name: _decode_header(value) for name, value in headers.items()}]
    found = []
    for record, _ in parse_member(data, max_size):
        headers = {}
        for name, value in record.rec_headers.headers:
            headers.setdefault(name.lower(), value)
        found.append(headers)
    return found


def _check_payload_length(data: bytes, block: int, length: int, max_size: int) -> None:
    """The payload of the record whose block starts at ``block``: the block less its HTTP
    header when it holds an HTTP message (a response, a request, a revisit's status line)."""
    payload = length
    if data.startswith(b"HTTP/", block):
        http_end = data.find(b"\r\n\r\n", block, block + length)
        if http_end >= 0:
            payload = length - (http_end + 4 - block)
    if payload > max_size:
        raise _too_large("record payload", payload, max_size)


# -- reading uncompressed records -----------------------------------------------------
def plain_record_at(fh, offset: int, max_size: int | None = DEFAULT_MAX_SIZE) -> tuple[bytes, int] | None:
    """(bytes, length) of the uncompressed WARC record at ``offset`` (blank lines before it
    skipped: the length counts them), its Content-Length checked before its block is read;
    None at the end of the file."""
    fh.seek(offset)
    window = fh.read(MAX_WARC_HEADER)
    skipped = len(window) - len(window.lstrip(b"\r\n"))
    if skipped == len(window):
        if len(window) < MAX_WARC_HEADER:
            return None
        raise ArchiveLoadFailed("blank lines where a WARC record should start")
    window = window[skipped:]
    end = window.find(b"\r\n\r\n")
    if not window.startswith(b"WARC/") or end < 0:
        raise ArchiveLoadFailed("no WARC record header here" if not window.startswith(b"WARC/")
                                else "WARC header without its end (or longer than 64 KiB)")
    declared = declared_length(window[:end])
    total = end + 4 + declared + 4
    if max_size and declared > max_size + HEADER_ALLOWANCE:
        too_large = _too_large("record block (WARC Content-Length)", declared, max_size)
        too_large.end = offset + skipped + total
        raise too_large
    data = window[:total]
    if len(data) < total:
        data += fh.read(total - len(data))
    if len(data) < total:
        raise EOFError("truncated record")
    if not data.endswith(b"\r\n\r\n"):
        raise ArchiveLoadFailed("record does not end where its Content-Length says")
    return data, skipped + total


def _resync(fh, after: int, max_size: int | None = DEFAULT_MAX_SIZE) -> tuple[int, bytes] | None:
    """The next offset > ``after`` holding a gzip member that inflates and parses (or a
    WARC record merely too large to read: the reader reports it in its turn)."""
    position = after + 1
    while True:
        fh.seek(position)
        window = fh.read(CHUNK)
        if len(window) < len(GZIP_MAGIC):
            return None
        hit = window.find(GZIP_MAGIC)
        if hit < 0:
            position += len(window) - len(GZIP_MAGIC) + 1
            continue
        candidate = position + hit
        fh.seek(candidate)
        try:
            data, _, _ = inflate_member(fh, candidate, fh.read(CHUNK), max_size)
            parse_member(data, max_size)
        except RecordTooLarge as exc:
            if not exc.warc_start:
                position = candidate + 1
                continue
        except DAMAGE_ERRORS:
            position = candidate + 1
            continue
        fh.seek(candidate)
        return candidate, fh.read(CHUNK)


def _plain_record_starts(fh, offset: int) -> bool:
    """A WARC record begins at ``offset`` (after blank lines)."""
    try:
        fh.seek(offset)
    except (ValueError, OverflowError, OSError):   # a Content-Length past any file's end
        return False
    return fh.read(MAX_WARC_HEADER).lstrip(b"\r\n").startswith(b"WARC/1.")


def _resync_plain(fh, after: int, max_size: int | None = DEFAULT_MAX_SIZE) -> int | None:
    """The next offset > ``after`` where an uncompressed WARC record starts and parses (or
    is merely too large): a ``WARC/1.`` version line, wherever the damage left it (the
    line break before it may be what was lost)."""
    position = after + 1
    marker = b"WARC/1."
    while True:
        fh.seek(position)
        window = fh.read(CHUNK)
        hit = window.find(marker)
        if hit < 0:
            if len(window) < CHUNK:
                return None
            position += len(window) - len(marker) + 1
            continue
        candidate = position + hit
        try:
            found = plain_record_at(fh, candidate, max_size)
            if found is None:
                return None
            parse_member(found[0], max_size)
        except RecordTooLarge:
            pass
        except DAMAGE_ERRORS:
            position = candidate + 1
            continue
        return candidate


def _iter_gzip_file(path: Path, on_damage: Callable[[ArchiveDamage], None], parse=parse_member,
                    max_size: int | None = DEFAULT_MAX_SIZE):
    """(offset, member length, what ``parse`` found in the member) for each record."""
    with path.open("rb") as fh:
        offset, pending = 0, fh.read(CHUNK)
        while pending:
            try:
                data, pending, length = inflate_member(fh, offset, pending, max_size)
                parsed = parse(data, max_size)
            except (RecordTooLarge, *DAMAGE_ERRORS) as exc:
                found = _resync(fh, offset, max_size)
                on_damage(ArchiveDamage(path, offset, found[0] if found else None, str(exc) or type(exc).__name__,
                                        oversized=isinstance(exc, RecordTooLarge)))
                if found is None:
                    return
                offset, pending = found
                continue
            for found in parsed:
                yield offset, length, found
            offset += length
            if len(pending) < CHUNK:
                pending += fh.read(CHUNK)


def _iter_plain_file(path: Path, on_damage: Callable[[ArchiveDamage], None], parse=parse_member,
                     max_size: int | None = DEFAULT_MAX_SIZE):
    """(offset, length, what ``parse`` found) for each record of an uncompressed WARC: records
    are framed by their Content-Length (checked before the block is read); after damage,
    reading resumes at the next line starting a WARC record."""
    with path.open("rb") as fh:
        offset = 0
        while True:
            try:
                found = plain_record_at(fh, offset, max_size)
                if found is None:
                    return
                data, length = found
                parsed = parse(data, max_size)
            except (RecordTooLarge, *DAMAGE_ERRORS) as exc:
                resumed = None
                if isinstance(exc, RecordTooLarge) and exc.end is not None and _plain_record_starts(fh, exc.end):
                    resumed = exc.end    # skipped by its Content-Length, not read
                if resumed is None:
                    resumed = _resync_plain(fh, offset, max_size)
                on_damage(ArchiveDamage(path, offset, resumed, str(exc) or type(exc).__name__,
                                        oversized=isinstance(exc, RecordTooLarge)))
                if resumed is None:
                    return
                offset = resumed
                continue
            # the record's own offset (past any blank lines before it) and length
            start = offset + length - len(data)
            for one in parsed:
                yield start, len(data), one
            offset += length


def iter_records(locations, on_damage: Callable[[ArchiveDamage], None] = log_damage,
                 max_size: int | None = DEFAULT_MAX_SIZE):
    """(path, offset, length, record, payload bytes) for every readable record no larger
    than ``max_size`` (the crawl's ``DOWNLOAD_MAXSIZE``; None: no limit)."""
    for path in warc_paths(locations):
        reader = _iter_gzip_file if is_gzipped(path) else _iter_plain_file
        for offset, length, (record, payload) in reader(path, on_damage, max_size=max_size):
            yield path, offset, length, record, payload


def iter_record_headers(locations, on_damage: Callable[[ArchiveDamage], None] = log_damage,
                        max_size: int | None = DEFAULT_MAX_SIZE):
    """(path, offset, length, WARC headers as by :func:`_member_headers`) for every readable
    record: what an index needs, read faster than :func:`iter_records`, same damage handling
    and the same limit (no member is inflated past it, even for its headers)."""
    for path in warc_paths(locations):
        reader = _iter_gzip_file if is_gzipped(path) else _iter_plain_file
        yield from ((path, offset, length, headers)
                    for offset, length, headers in reader(path, on_damage, _member_headers, max_size))


def first_record_start(path: Path) -> bytes:
    """The first bytes of ``path``'s first record, inflated if gzip'd (at most 64 KiB read
    and inflated): enough for a preflight to ask whether the file starts with a WARC record."""
    with path.open("rb") as fh:
        head = fh.read(CHUNK)
    if head.startswith(GZIP_MAGIC):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        return inflater.decompress(head, MAX_WARC_HEADER)
    return head
