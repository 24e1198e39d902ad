"""Reading WARC files record by record, surviving damage (replay, re-parse, the index and
the digest catch-up all read through here).

* :func:`warc_paths` expands a file or folder (or several) into WARC files;
* :func:`iter_records` walks every record: a ``.warc.gz`` is read gzip member by gzip
  member (newsbot writes one record per member, as do other archivers; a member holding
  several, as in a WARC gzipped whole, is read record by record), so a truncated or
  corrupted member is reported once, with file and offset, and reading resumes at the
  next intact member: records before *and* after are kept;
* :func:`iter_record_headers`: the same walk, WARC headers only (what an index needs).
"""

from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

logger = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc.gz", ".warc")
GZIP_MAGIC = b"\x1f\x8b\x08"
CHUNK = 1 << 16


class ArchiveError(Exception):
    """An archive path that is missing, empty or unreadable."""


@dataclass(frozen=True)
class ArchiveDamage:
    """Bytes of a WARC that could not be read: ``[offset, resumed_at)`` was skipped."""

    path: Path
    offset: int
    resumed_at: int | None   # None: nothing readable after the damage
    reason: str

    def __str__(self) -> str:
        after = f"resumed at offset {self.resumed_at}" if self.resumed_at is not None else "nothing readable after it"
        return f"Damaged archive {self.path} at offset {self.offset} ({self.reason}); {after}"


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
def inflate_member(fh, start: int, head: bytes) -> tuple[bytes, bytes, int]:
    """Inflate the gzip member starting at file offset ``start`` (``head`` = its first bytes
    already read).  Returns (data, bytes read past the member's end, member length)."""
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    out, fed, chunk = [], 0, head
    while True:
        out.append(inflater.decompress(chunk))
        fed += len(chunk)
        if inflater.eof:
            rest = inflater.unused_data
            return b"".join(out), rest, fed - len(rest)
        chunk = fh.read(CHUNK)
        if not chunk:
            raise EOFError("truncated gzip member")


def parse_member(data: bytes):
    """The WARC record(s) in one inflated member, each with its payload read."""
    records = []
    for record in ArchiveIterator(io.BytesIO(data), check_digests=False):
        records.append((record, record.raw_stream.read()))
    if not records:
        raise ArchiveLoadFailed("no WARC record in gzip member")
    return records


def _decode_header(value: bytes) -> str:
    try:   # as warcio does: UTF-8, else ISO-8859-1
        return value.decode("utf-8").strip()
    except UnicodeDecodeError:
        return value.decode("iso-8859-1").strip()


def _member_headers(data: bytes) -> list[dict[str, str]]:
    """The WARC headers of the record(s) in one inflated member: lower-case name -> first value.

    The index needs nothing else, so a plain member (one ``WARC/1.x`` record of exactly its
    ``Content-Length``, no folded header lines, a bare target URI) is read here without
    warcio's HTTP header parsing and payload copy: a third of the time.  Anything else goes
    through warcio (:func:`parse_member`), as does a damaged member.
    """
    end = data.find(b"\r\n\r\n")
    if end > 0 and data.startswith(b"WARC/1."):
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
                return [{name: _decode_header(value) for name, value in headers.items()}]
    found = []
    for record, _ in parse_member(data):
        headers = {}
        for name, value in record.rec_headers.headers:
            headers.setdefault(name.lower(), value)
        found.append(headers)
    return found


def _resync(fh, after: int) -> tuple[int, bytes] | None:
    """The next offset > ``after`` holding a gzip member that inflates and parses."""
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
            data, _, _ = inflate_member(fh, candidate, fh.read(CHUNK))
            parse_member(data)
        except (zlib.error, EOFError, ArchiveLoadFailed, ValueError):
            position = candidate + 1
            continue
        fh.seek(candidate)
        return candidate, fh.read(CHUNK)


def _iter_gzip_file(path: Path, on_damage: Callable[[ArchiveDamage], None], parse=parse_member):
    """(offset, member length, what ``parse`` found in the member) for each record."""
    with path.open("rb") as fh:
        offset, pending = 0, fh.read(CHUNK)
        while pending:
            try:
                data, pending, length = inflate_member(fh, offset, pending)
                parsed = parse(data)
            except (zlib.error, EOFError, ArchiveLoadFailed, ValueError) as exc:
                found = _resync(fh, offset)
                on_damage(ArchiveDamage(path, offset, found[0] if found else None, str(exc) or type(exc).__name__))
                if found is None:
                    return
                offset, pending = found
                continue
            for found in parsed:
                yield offset, length, found
            offset += length
            if len(pending) < CHUNK:
                pending += fh.read(CHUNK)


def _iter_plain_file(path: Path, on_damage: Callable[[ArchiveDamage], None]):
    # An uncompressed WARC has no member boundaries to resync on: stop at the damage.
    with path.open("rb") as fh:
        records = ArchiveIterator(fh, check_digests=False)
        offset = 0
        try:
            for record in records:
                offset = records.get_record_offset()
                payload = record.raw_stream.read()
                yield offset, None, (record, payload)
        except (ArchiveLoadFailed, ValueError) as exc:
            on_damage(ArchiveDamage(path, offset, None, str(exc)))


def iter_records(locations, on_damage: Callable[[ArchiveDamage], None] = log_damage):
    """(path, offset, length, record, payload bytes) for every readable record."""
    for path in warc_paths(locations):
        reader = _iter_gzip_file if is_gzipped(path) else _iter_plain_file
        for offset, length, (record, payload) in reader(path, on_damage):
            yield path, offset, length, record, payload


def iter_record_headers(locations, on_damage: Callable[[ArchiveDamage], None] = log_damage):
    """(path, offset, length, WARC headers as by :func:`_member_headers`) for every readable
    record: what an index needs, read faster than :func:`iter_records`, same damage handling."""
    for path in warc_paths(locations):
        if is_gzipped(path):
            for offset, length, headers in _iter_gzip_file(path, on_damage, _member_headers):
                yield path, offset, length, headers
        else:
            for offset, length, (record, _) in _iter_plain_file(path, on_damage):
                headers = {}
                for name, value in record.rec_headers.headers:
                    headers.setdefault(name.lower(), value)
                yield path, offset, length, headers
