"""The one path that reads archives: replay (``REPLAY_WARC``) and ``scrapy reparse`` use it.

* :func:`warc_paths` expands a file or folder (or several) into WARC files;
* :func:`iter_records` walks every record, surviving damage: a ``.warc.gz`` is read gzip
  member by gzip member (newsbot writes one record per member, as do other archivers;
  a member holding several, as in a WARC gzipped whole, is read record by record), so a
  truncated or corrupted member is reported once, with file and offset, and reading
  resumes at the next intact member: records before *and* after are kept;
* :class:`ArchiveIndex` maps URLs to record positions (in a temporary SQLite file, not
  in Python objects: its memory does not grow with the archive), loads one record on
  demand (a large archive is never held in memory) and resolves ``revisit`` records to
  the payload of the response they refer to.  A ``.warc.gz`` whose CDXJ index is beside
  it (newsbot writes one when it closes a WARC, as pywb's tooling does) is indexed from
  that, not by inflating every record; a record found damaged only when it is read is
  then reported, with file and offset, as the scan would have.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from newsbot.warc import cdxj_path

logger = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc.gz", ".warc")
GZIP_MAGIC = b"\x1f\x8b\x08"
_CHUNK = 1 << 16


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
def _inflate_member(fh, start: int, head: bytes) -> tuple[bytes, bytes, int]:
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
        chunk = fh.read(_CHUNK)
        if not chunk:
            raise EOFError("truncated gzip member")


def _parse_member(data: bytes):
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
    through warcio (:func:`_parse_member`), as does a damaged member.
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
    for record, _ in _parse_member(data):
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
        window = fh.read(_CHUNK)
        if len(window) < len(GZIP_MAGIC):
            return None
        hit = window.find(GZIP_MAGIC)
        if hit < 0:
            position += len(window) - len(GZIP_MAGIC) + 1
            continue
        candidate = position + hit
        fh.seek(candidate)
        try:
            data, _, _ = _inflate_member(fh, candidate, fh.read(_CHUNK))
            _parse_member(data)
        except (zlib.error, EOFError, ArchiveLoadFailed, ValueError):
            position = candidate + 1
            continue
        fh.seek(candidate)
        return candidate, fh.read(_CHUNK)


def _iter_gzip_file(path: Path, on_damage: Callable[[ArchiveDamage], None], parse=_parse_member):
    """(offset, member length, what ``parse`` found in the member) for each record."""
    with path.open("rb") as fh:
        offset, pending = 0, fh.read(_CHUNK)
        while pending:
            try:
                data, pending, length = _inflate_member(fh, offset, pending)
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
            if len(pending) < _CHUNK:
                pending += fh.read(_CHUNK)


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
        reader = _iter_gzip_file if path.name.endswith(".gz") else _iter_plain_file
        for offset, length, (record, payload) in reader(path, on_damage):
            yield path, offset, length, record, payload


def iter_record_headers(locations, on_damage: Callable[[ArchiveDamage], None] = log_damage):
    """(path, offset, length, WARC headers as by :func:`_member_headers`) for every readable
    record: what an index needs, read faster than :func:`iter_records`, same damage handling."""
    for path in warc_paths(locations):
        if path.name.endswith(".gz"):
            for offset, length, headers in _iter_gzip_file(path, on_damage, _member_headers):
                yield path, offset, length, headers
        else:
            for offset, length, (record, _) in _iter_plain_file(path, on_damage):
                headers = {}
                for name, value in record.rec_headers.headers:
                    headers.setdefault(name.lower(), value)
                yield path, offset, length, headers


# -- responses ---------------------------------------------------------------------
@dataclass(frozen=True)
class StoredResponse:
    url: str
    status: int
    reason: str
    protocol: str
    headers: list[tuple[str, str]]
    body: bytes          # payload as received (still Content-Encoded)
    filename: str        # the record read: for a revisit, the revisit record
    record_id: str
    offset: int
    revisit_of: str | None = None   # record id of the response a revisit's payload came from


def _status_line(record) -> tuple[int, str, str]:
    http = record.http_headers
    if not http:
        return 0, "", "HTTP/1.1"
    status = int(http.get_statuscode() or 0)
    phrase = http.statusline.partition(" ")[2]
    if not phrase:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
    return status, phrase, http.protocol or "HTTP/1.1"


def stored_response(path: Path, offset: int, record, payload: bytes, original=None) -> StoredResponse:
    status, reason, protocol = _status_line(record)
    headers = record.rec_headers
    return StoredResponse(
        url=headers.get_header("WARC-Target-URI"),
        status=status, reason=reason, protocol=protocol,
        headers=list(record.http_headers.headers) if record.http_headers else [],
        body=payload if original is None else original.body,
        filename=path.name,
        record_id=headers.get_header("WARC-Record-ID"),
        offset=offset,
        revisit_of=None if original is None else original.record_id,
    )


class CdxjUnusable(Exception):
    """The CDXJ index beside a WARC cannot stand in for reading it (see :func:`iter_cdxj_positions`)."""


def iter_cdxj_positions(path: Path) -> Iterator[tuple[int, int, str, bool, str | None]]:
    """``path``'s response and revisit records from the CDXJ index beside it (sorted by URL,
    as CDXJ is): (offset, member length, URL, is revisit, payload digest).

    Raises :class:`CdxjUnusable`, at once or at the entry that shows it, when that index
    cannot stand in for reading the WARC: none there, older than the WARC (written before
    the file last changed), naming another file, pointing past the file's end, or holding
    an entry that is neither an HTTP response nor a revisit (cdxj-indexer also lists
    ``resource`` and ``metadata`` records, which an index of responses must not take for one).
    """
    index = cdxj_path(path)
    try:
        warc_stat, index_stat = path.stat(), index.stat()
    except OSError as exc:
        raise CdxjUnusable(str(exc)) from None
    if index_stat.st_mtime_ns < warc_stat.st_mtime_ns:
        raise CdxjUnusable(f"{index.name} is older than the WARC")
    try:
        with index.open(encoding="utf-8") as lines:
            for line in lines:
                entry = json.loads(line.split(" ", 2)[2])
                offset, length = int(entry["offset"]), int(entry["length"])
                revisit = entry.get("mime") == "warc/revisit"
                if (entry.get("filename") != path.name or offset < 0 or length <= 0
                        or offset + length > warc_stat.st_size or not (revisit or "status" in entry)):
                    raise CdxjUnusable(f"{index.name}: an entry this index cannot use: {line[:200]!r}")
                digest = entry.get("digest")
                yield offset, length, entry["url"], revisit, digest if digest not in ("", "-") else None
    except (OSError, ValueError, IndexError, KeyError, TypeError, AttributeError) as exc:
        raise CdxjUnusable(f"{index.name}: {exc}") from None


def _read_one(path: Path, offset: int):
    with path.open("rb") as fh:
        fh.seek(offset)
        if path.name.endswith(".gz"):
            data, _, _ = _inflate_member(fh, offset, fh.read(_CHUNK))
            return _parse_member(data)[0]
        record = next(iter(ArchiveIterator(fh, check_digests=False)))
        return record, record.raw_stream.read()


class ArchiveIndex:
    """URL -> its latest response (or revisit) record, across all files at ``locations``.

    The positions live in a private SQLite temporary database (``sqlite3.connect("")``):
    SQLite keeps at most its page cache (2 MB) in memory and spills the rest to a file it
    deletes on close, so an archive of any size is indexed in the same memory.
    """

    def __init__(self, locations, on_damage: Callable[[ArchiveDamage], None] = log_damage):
        self._open(sqlite3.connect("", isolation_level=None, check_same_thread=False), paths=[])
        self._db.executescript(_INDEX_SCHEMA)

        def damaged(damage: ArchiveDamage) -> None:
            self.damage.append(damage)
            on_damage(damage)

        self.on_damage = damaged
        self.files_from_cdxj = 0
        # seq (archive order) = file number * _FILE_SEQ + the record's place in its file: its
        # offset when the file is indexed from its CDXJ (which lists records by URL), its
        # number when the file is read (a gzip member may hold several records, one offset)
        insert = ("INSERT INTO records (seq, url, file, offset, length, part, revisit, record_id, digest,"
                  " refers_to, refers_to_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        self._db.execute("BEGIN")
        for path in warc_paths(locations):
            file = len(self._paths)
            if path.name.endswith(".gz") and self._insert_from_cdxj(insert, path, file):
                self.files_from_cdxj += 1
                continue
            found, member, part = 0, None, 0
            for _, offset, length, headers in iter_record_headers([path], damaged):
                # Records of one gzip member share its offset (a whole file gzipped as one member)
                part, member = (part + 1 if offset == member else 0), offset
                rec_type = headers.get("warc-type")
                if rec_type not in ("response", "revisit"):
                    continue
                found += 1
                url = headers.get("warc-target-uri")
                revisit = rec_type == "revisit"
                self._db.execute(insert, (
                    file * _FILE_SEQ + found, url, file, offset, length, part, revisit, headers.get("warc-record-id"),
                    headers.get("warc-payload-digest"),
                    headers.get("warc-refers-to") if revisit else None,
                    (headers.get("warc-refers-to-target-uri") or url) if revisit else None,
                ))
            if found:
                self._paths.append(path)
        self._db.execute("COMMIT")
        # Indexes after the bulk insert: one sort each instead of a b-tree update per row.
        self._db.executescript(_INDEX_LOOKUPS)
        self._count = self._db.execute("SELECT COUNT(DISTINCT url) FROM records").fetchone()[0]

    def _insert_from_cdxj(self, insert: str, path: Path, file: int) -> bool:
        """Index ``path`` from its CDXJ (no record inflated); False, nothing kept, when that
        index cannot stand in for reading the file.  What a CDXJ lacks (record ids, a revisit's
        WARC-Refers-To) is read with the record itself, in :meth:`get`."""
        try:
            inserted = self._db.executemany(insert, ((file * _FILE_SEQ + offset, url, file, offset, length, 0, revisit,
                                                      None, digest, None, url if revisit else None)
                                          for offset, length, url, revisit, digest in iter_cdxj_positions(path)))
        except CdxjUnusable as exc:
            logger.debug("Reading %s, not its CDXJ index: %s", path, exc)
            # the rows inserted before the entry that showed it (no rollback: journal_mode is off)
            self._db.execute("DELETE FROM records WHERE seq >= ? AND seq < ?", (file * _FILE_SEQ, (file + 1) * _FILE_SEQ))
            return False
        if inserted.rowcount > 0:
            self._paths.append(path)
        return True

    def _open(self, db: sqlite3.Connection, paths: list[Path]) -> None:
        self.damage: list[ArchiveDamage] = []
        #: told of a record found damaged when read (the replay handler counts it)
        self.on_damage: Callable[[ArchiveDamage], None] = log_damage
        self._paths = paths
        self._fds: dict[int, int] = {}
        weakref.finalize(self, _close_fds, self._fds)   # an index dropped without close()
        self._canonical_built = False
        self._db = db

    def save(self, path: str | Path) -> None:
        """Write the index to ``path`` (a new SQLite file) for :meth:`load`: processes that
        share one archive (``scrapy reparse --processes N``) then read it once, not N times."""
        target = sqlite3.connect(path)
        try:
            self._db.backup(target)
            with target:
                target.execute("CREATE TABLE files (file INTEGER PRIMARY KEY, path TEXT NOT NULL)")
                target.executemany("INSERT INTO files VALUES (?, ?)",
                                   ((number, str(p.absolute())) for number, p in enumerate(self._paths)))
        finally:
            target.close()

    @classmethod
    def load(cls, path: str | Path) -> ArchiveIndex:
        """An index :meth:`save` wrote, opened read-only (``immutable``: nobody writes it
        any more, so SQLite takes no locks); damage found when it was built is not repeated."""
        index = cls.__new__(cls)
        db = sqlite3.connect(f"{Path(path).absolute().as_uri()}?immutable=1", uri=True,
                             isolation_level=None, check_same_thread=False)
        index._open(db, [Path(p) for (p,) in db.execute("SELECT path FROM files ORDER BY file")])
        index._count = db.execute("SELECT COUNT(DISTINCT url) FROM records").fetchone()[0]
        return index

    def __len__(self) -> int:
        return self._count

    def __contains__(self, url: str) -> bool:
        return self._latest(url) is not None

    def close(self) -> None:
        """Close the archive files and drop the index (idempotent)."""
        self.close_files()
        self._db.close()

    def close_files(self) -> None:
        _close_fds(self._fds)

    @property
    def order(self) -> Iterator[str]:
        """Every archived URL once, in the order first archived (read from the index as iterated)."""
        rows = self._db.execute("SELECT url FROM records AS r WHERE " + _FIRST_CAPTURE + " ORDER BY seq")
        return (url for (url,) in rows)

    def _latest(self, url: str):
        return self._db.execute(_POSITION + " WHERE url = ? ORDER BY seq DESC LIMIT 1", (url,)).fetchone()

    def _by_canonical(self, url: str, canonicalize):
        if not self._canonical_built:
            # Built once, on the first URL not archived under its own spelling, inside SQLite
            # (no list of URLs in memory).  Of several spellings of one canonical URL, the
            # one first archived last wins, as in the in-memory map this replaced.
            self._db.create_function("canonicalize", 1, canonicalize)
            # TEMP: each process's own (a loaded index is read-only), built with its spider's rule.
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS canonical (key TEXT PRIMARY KEY, url TEXT NOT NULL)")
            with self._db:
                self._db.execute("INSERT OR REPLACE INTO canonical (key, url) SELECT canonicalize(url), url"
                                 " FROM records AS r WHERE " + _FIRST_CAPTURE + " ORDER BY seq")
            self._canonical_built = True
        row = self._db.execute("SELECT url FROM canonical WHERE key = ?", (canonicalize(url),)).fetchone()
        return self._latest(row[0]) if row else None

    def _original(self, refers_to: str | None, url: str, digest: str | None):
        """The response a revisit's payload comes from: by record id, else by URL and digest."""
        if refers_to:
            row = self._db.execute(_POSITION + " WHERE record_id = ? ORDER BY seq DESC LIMIT 1",
                                   (refers_to,)).fetchone()
            if row is not None and not row[4]:   # a response, not another revisit
                return row
        return self._db.execute(_POSITION + " WHERE url = ? AND digest = ? AND NOT revisit ORDER BY seq LIMIT 1",
                                (url, digest)).fetchone()

    def _read(self, file: int, offset: int, length: int | None, part: int = 0):
        path = self._paths[file]
        if length is None:
            return path, _read_one(path, offset)
        fd = self._fds.get(file)
        if fd is None:
            if len(self._fds) >= _OPEN_FILES:
                self.close_files()
            fd = self._fds[file] = os.open(path, os.O_RDONLY)
        # A gzip member (usually one record), its length known: one read, one inflate.
        return path, _parse_member(zlib.decompress(os.pread(fd, length, offset), zlib.MAX_WBITS | 16))[part]

    def get(self, url: str, canonicalize=None) -> StoredResponse | None:
        """The record for ``url``; failing that, for the same canonical URL (``canonicalize``),
        as replay tools match an article linked under another spelling.  A revisit comes back
        with its own status line and headers and the original response's payload; one whose
        original is not at ``locations`` is ``None``, like a URL never archived."""
        position = self._latest(url)
        if position is None and canonicalize is not None:
            position = self._by_canonical(url, canonicalize)
        if position is None:
            return None
        file, offset, length, part, revisit, refers_to, refers_to_url, digest = position
        read = self._read_checked(file, offset, length, part)
        if read is None:
            return None
        path, (record, payload) = read
        original = None
        if revisit:
            if refers_to is None:   # indexed from a CDXJ: the revisit record says what it refers to
                headers = record.rec_headers
                refers_to = headers.get_header("WARC-Refers-To")
                refers_to_url = headers.get_header("WARC-Refers-To-Target-URI") or refers_to_url
                digest = digest or headers.get_header("WARC-Payload-Digest")
            target = self._original(refers_to, refers_to_url, digest)
            if target is None:
                logger.warning("Revisit record for %s refers to a response not in the archive", url)
                return None
            read = self._read_checked(*target[:4])
            if read is None:
                return None
            target_path, (original_record, original_payload) = read
            original = stored_response(target_path, target[1], original_record, original_payload)
        return stored_response(path, offset, record, payload, original)

    def _read_checked(self, file: int, offset: int, length: int | None, part: int = 0):
        """:meth:`_read`, or None with the damage reported (a record indexed from a CDXJ is
        first inflated here; one indexed by the scan already was)."""
        try:
            return self._read(file, offset, length, part)
        except (zlib.error, EOFError, ArchiveLoadFailed, ValueError) as exc:
            self.on_damage(ArchiveDamage(self._paths[file], offset, offset + length if length else None,
                                         str(exc) or type(exc).__name__))
            return None


def _close_fds(fds: dict[int, int]) -> None:
    for fd in fds.values():
        os.close(fd)
    fds.clear()


_OPEN_FILES = 64   # archive files kept open for reading (a folder may hold thousands)
_FILE_SEQ = 1 << 40   # archive order: file number * this + place in the file (files under 1 TB)
_INDEX_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE records (
    seq INTEGER PRIMARY KEY,        -- archive order
    url TEXT NOT NULL,
    file INTEGER NOT NULL,          -- ArchiveIndex._paths[file]
    offset INTEGER NOT NULL,
    length INTEGER,                 -- gzip member length; NULL in an uncompressed WARC
    part INTEGER NOT NULL,          -- which record of its gzip member (one member may hold several)
    revisit INTEGER NOT NULL,
    record_id TEXT,
    digest TEXT,
    refers_to TEXT,                 -- revisit: WARC-Refers-To
    refers_to_url TEXT              -- revisit: WARC-Refers-To-Target-URI (or its own URL)
);
"""
_INDEX_LOOKUPS = """
CREATE INDEX records_by_url ON records (url);
CREATE INDEX records_by_id ON records (record_id);
"""
_FIRST_CAPTURE = "NOT EXISTS (SELECT 1 FROM records AS e WHERE e.url = r.url AND e.seq < r.seq)"
_POSITION = "SELECT file, offset, length, part, revisit, refers_to, refers_to_url, digest FROM records"


def iter_responses(locations, on_damage: Callable[[ArchiveDamage], None] = log_damage) -> Iterator[StoredResponse]:
    """Every response (revisits resolved) at ``locations``, in archive order."""
    index = ArchiveIndex(locations, on_damage)
    for url in index.order:
        stored = index.get(url)
        if stored is not None:
            yield stored
