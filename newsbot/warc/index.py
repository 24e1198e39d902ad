"""The archive index: URL -> its latest response record, across WARC files, for replay
and re-parse.

:class:`ArchiveIndex` maps URLs to record positions (in a temporary SQLite file, not in
Python objects: its memory does not grow with the archive), loads one record on demand (a
large archive is never held in memory) and resolves ``revisit`` records to the payload of
the response they refer to.  A ``.warc.gz`` whose CDXJ index is beside it (newsbot writes
one when it closes a WARC, as pywb's tooling does) is indexed from that
(:func:`newsbot.warc.cdxj.iter_cdxj_positions`), not by inflating every record; a record
found damaged only when it is read is then reported, with file and offset, as the scan
(:mod:`newsbot.warc.scan`) would have.

Every read keeps to ``max_size`` (the crawl's ``DOWNLOAD_MAXSIZE``) as the live downloader
does: a record over it is not indexed by the scan, and one indexed from a CDXJ is refused
when read (its length or its WARC header says so before it is inflated), reported once.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from newsbot.warc.cdxj import CdxjUnusable, iter_cdxj_positions
from newsbot.warc.scan import (CHUNK, DAMAGE_ERRORS, DEFAULT_MAX_SIZE, ArchiveDamage, RecordTooLarge, inflate_bytes,
                               inflate_member, iter_record_headers, log_damage, parse_member, plain_record_at,
                               warc_paths)

logger = logging.getLogger(__name__)


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
    warc_date: str | None = None    # WARC-Date of the record read: when the response was received


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
        warc_date=headers.get_header("WARC-Date"),
    )

def _read_one(path: Path, offset: int, max_size: int | None):
    with path.open("rb") as fh:
        if path.name.endswith(".gz"):
            fh.seek(offset)
            data, _, _ = inflate_member(fh, offset, fh.read(CHUNK), max_size)
            return parse_member(data, max_size)[0]
        found = plain_record_at(fh, offset, max_size)
        if found is None:
            raise EOFError("no record at this offset")
        return parse_member(found[0], max_size)[0]


class ArchiveIndex:
    """URL -> its latest response (or revisit) record, across all files at ``locations``.

    The positions live in a private SQLite temporary database (``sqlite3.connect("")``):
    SQLite keeps at most its page cache (2 MB) in memory and spills the rest to a file it
    deletes on close, so an archive of any size is indexed in the same memory.
    """

    def __init__(self, locations, on_damage: Callable[[ArchiveDamage], None] = log_damage,
                 max_size: int | None = DEFAULT_MAX_SIZE):
        self._open(sqlite3.connect("", isolation_level=None, check_same_thread=False), paths=[], max_size=max_size)
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
            for _, offset, length, headers in iter_record_headers([path], damaged, max_size):
                # Records of one gzip member share its offset (a whole file gzipped as one member)
                part, member = (part + 1 if offset == member else 0), offset
                rec_type = headers.get("warc-type")
                if rec_type not in ("response", "revisit"):
                    continue
                url = headers.get("warc-target-uri")
                if not url:   # nothing a request could ever be answered with
                    damaged(ArchiveDamage(path, offset, offset + length if length else None,
                                          f"{rec_type} record without WARC-Target-URI"))
                    continue
                found += 1
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

    def _open(self, db: sqlite3.Connection, paths: list[Path], max_size: int | None) -> None:
        #: the largest record payload read (DOWNLOAD_MAXSIZE; None: no limit)
        self.max_size = max_size
        self.damage: list[ArchiveDamage] = []
        self._reported: set[tuple[int, int]] = set()   # (file, offset) found damaged when read
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
    def load(cls, path: str | Path, max_size: int | None = DEFAULT_MAX_SIZE) -> ArchiveIndex:
        """An index :meth:`save` wrote, opened read-only (``immutable``: nobody writes it
        any more, so SQLite takes no locks); damage found when it was built is not repeated."""
        index = cls.__new__(cls)
        db = sqlite3.connect(f"{Path(path).absolute().as_uri()}?immutable=1", uri=True,
                             isolation_level=None, check_same_thread=False)
        index._open(db, [Path(p) for (p,) in db.execute("SELECT path FROM files ORDER BY file")], max_size)
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
        if length is None or not path.name.endswith(".gz"):
            return path, _read_one(path, offset, self.max_size)
        # A gzip member (usually one record), its length known: one read, one bounded inflate;
        # a member too long to inflate within the limit is refused before it is read.
        inflate_bytes(b"", self.max_size, length=length)
        fd = self._fds.get(file)
        if fd is None:
            if len(self._fds) >= _OPEN_FILES:
                self.close_files()
            fd = self._fds[file] = os.open(path, os.O_RDONLY)
        return path, parse_member(inflate_bytes(os.pread(fd, length, offset), self.max_size), self.max_size)[part]

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
            read = self._read(file, offset, length, part)
            _status_line(read[1][0])   # a status line that is no status is damage too (ValueError)
            return read
        except (RecordTooLarge, *DAMAGE_ERRORS) as exc:
            if (file, offset) not in self._reported:   # once, however often it is asked for
                self._reported.add((file, offset))
                self.on_damage(ArchiveDamage(self._paths[file], offset, offset + length if length else None,
                                             str(exc) or type(exc).__name__, oversized=isinstance(exc, RecordTooLarge)))
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
    length INTEGER,                 -- gzip member length (a record's, in an uncompressed WARC)
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


def iter_responses(locations, on_damage: Callable[[ArchiveDamage], None] = log_damage,
                   max_size: int | None = DEFAULT_MAX_SIZE) -> Iterator[StoredResponse]:
    """Every response (revisits resolved) at ``locations``, in archive order."""
    index = ArchiveIndex(locations, on_damage, max_size)
    for url in index.order:
        stored = index.get(url)
        if stored is not None:
            yield stored
