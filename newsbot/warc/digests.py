"""Which payloads are already archived: the basis of ``revisit`` records.

``OUTPUT_DIR/<site>/warc/digests.sqlite3`` maps (URL, payload digest) to the full
``response`` record holding that payload.  It is on disk and shared by every process
writing that site (WAL, insert-or-ignore), so a page re-fetched by a later run, or
after a crash and resume, is stored as a small revisit instead of a second copy.

Only entries for records already written are added (after the ``write(2)``): a crash
in between costs one extra full record, never a revisit pointing at nothing.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from newsbot.dbfile import open_db

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
"""


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

    def close(self) -> None:
        self.db.close()
