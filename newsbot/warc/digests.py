"""Which payloads are already archived: the basis of ``revisit`` records.

``OUTPUT_DIR/<site>/warc/digests.sqlite3`` maps (URL, payload digest) to the full
``response`` record holding that payload.  It is on disk and shared by every process
writing that site (WAL, insert-or-ignore), so a page re-fetched by a later run, or
after a crash and resume, is stored as a small revisit instead of a second copy.

Only entries for records already written are added (after the ``write(2)``), so a
revisit never points at nothing.  A process killed between the two leaves a record the
index lacks; :meth:`DigestIndex.catch_up` reads it back from the WARC files such a
process left (``.warc.gz.open``, a file not finished; or, from before files were written
under that name, a ``.warc.gz`` without its ``.cdxj``) before the next run writes
anything, so the page fetched again is still a revisit.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from newsbot.dbfile import open_db
from newsbot.warc import cdxj_path

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS payloads (
    url        TEXT NOT NULL,
    digest     TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    warc_date  TEXT NOT NULL,
    filename   TEXT NOT NULL,
    offset     INTEGER NOT NULL,
    PRIMARY KEY (url, digest)
);
CREATE TABLE IF NOT EXISTS scanned (
    filename   TEXT PRIMARY KEY,
    size       INTEGER NOT NULL
);
"""

#: the digest of an empty payload: nothing to refer a revisit to
EMPTY_DIGEST = "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"


def payload_digest(payload: bytes) -> str:
    """``sha1:<base32>``, the form warcio writes in ``WARC-Payload-Digest``."""
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


@dataclass(frozen=True)
class ArchivedPayload:
    record_id: str
    warc_date: str
    filename: str
    offset: int


class DigestIndex:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.db = open_db(self.path, SCHEMA)

    def find(self, url: str, digest: str) -> ArchivedPayload | None:
        row = self.db.execute(
            "SELECT record_id, warc_date, filename, offset FROM payloads WHERE url = ? AND digest = ?",
            (url, digest),
        ).fetchone()
        return ArchivedPayload(*row) if row else None

    def add(self, url: str, digest: str, archived: ArchivedPayload) -> None:
        # The first full record stays the one every revisit refers to.
        self.db.execute(
            "INSERT OR IGNORE INTO payloads VALUES (?, ?, ?, ?, ?, ?)",
            (url, digest, archived.record_id, archived.warc_date, archived.filename, archived.offset),
        )

    def catch_up(self, directory: Path, max_size: int | None = None) -> int:
        """Index the full responses in unfinished WARC files of ``directory``; returns how many were new.

        Unfinished: ``.warc.gz.open`` (a killed run's last file, or another live process's
        current one: indexing records that exist is harmless), or a ``.warc.gz`` with no
        ``.cdxj`` beside it (written so by an older newsbot, or with ``WARC_CDXJ=0``).
        Entries name a file by its final name.  Each file is read once per size it is seen at.
        Records over ``max_size`` (the crawl's ``DOWNLOAD_MAXSIZE``; default the scan's) are
        not inflated, as in replay.
        """
        from newsbot.outputfile import OPEN_SUFFIX, final_name
        from newsbot.warc.scan import DEFAULT_MAX_SIZE, ArchiveError, iter_record_headers

        max_size = DEFAULT_MAX_SIZE if max_size is None else (max_size or None)

        directory = Path(directory)
        unfinished = [(path, final_name(path).name) for path in directory.glob(f"*.warc.gz{OPEN_SUFFIX}")]
        unfinished += [(path, path.name) for path in directory.glob("*.warc.gz") if not cdxj_path(path).exists()]
        added = 0
        for path, name in sorted(unfinished):
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue   # finished (renamed) since the listing: its records are in its CDXJ
            if self.db.execute("SELECT 1 FROM scanned WHERE filename = ? AND size = ?", (name, size)).fetchone():
                continue
            before = self.db.total_changes
            try:
                for _, offset, _, headers in iter_record_headers(path, max_size=max_size):  # the WARC headers are enough
                    digest = headers.get("warc-payload-digest")
                    if headers.get("warc-type") == "response" and digest and digest != EMPTY_DIGEST:
                        self.add(headers["warc-target-uri"], digest, ArchivedPayload(
                            headers["warc-record-id"], headers["warc-date"], name, offset))
            except ArchiveError:
                continue   # finished (renamed) while we looked: its writer indexed what it wrote
            added += self.db.total_changes - before
            self.db.execute("INSERT OR REPLACE INTO scanned VALUES (?, ?)", (name, size))
        if added:
            logger.info("WARC: %d archived payload(s) in unfinished WARC files were not in %s; indexed now",
                        added, self.path.name)
        return added

    def close(self) -> None:
        self.db.close()
