"""The ``latest`` view of a site: the newest version of every article, without replaying runs.

``OUTPUT_DIR/<site>/latest.sqlite3`` holds one row per article ``id``: its newest record
(highest ``version``; for equal versions, the later crawl).  Every run upserts into it as
records are written, and at the end of the run exports it to ``latest.jsonl``, one record
per line ordered by ``id``, written to a temporary file and renamed over the old one, so a
reader sees either the previous complete view or the new complete one.  The export
streams rows from SQLite: memory stays flat however many articles the site has.

Consumers either read ``latest.jsonl`` or query the table (WAL mode: reading never blocks
the crawl), e.g. ``SELECT record FROM latest WHERE published_at >= '2024-08-01'``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from newsbot.dbfile import open_db

SCHEMA = """
CREATE TABLE IF NOT EXISTS latest (
    id             TEXT PRIMARY KEY,
    version        INTEGER,
    content_digest TEXT NOT NULL,
    published_at   TEXT,
    crawled_at     TEXT,
    record         TEXT NOT NULL      -- the whole JSON record, as in the JSON Lines
);
"""

# Replace only with a newer record: higher version, or the same version crawled later
# (a re-run of the same content keeps one row and refreshes it).
UPSERT = """
INSERT INTO latest (id, version, content_digest, published_at, crawled_at, record)
VALUES (:id, :version, :content_digest, :published_at, :crawled_at, :record)
ON CONFLICT(id) DO UPDATE SET
    version=excluded.version, content_digest=excluded.content_digest,
    published_at=excluded.published_at, crawled_at=excluded.crawled_at, record=excluded.record
WHERE coalesce(excluded.version, 0) > coalesce(latest.version, 0)
   OR (coalesce(excluded.version, 0) = coalesce(latest.version, 0)
       AND coalesce(excluded.crawled_at, '') >= coalesce(latest.crawled_at, ''))
"""


class LatestView:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.db = open_db(self.path, SCHEMA)

    def upsert(self, record, record_json: str | None = None) -> None:
        """``record``: a dict or ItemAdapter; ``record_json``: its serialized form, if already made."""
        self.db.execute(UPSERT, {
            "id": record["id"], "version": record.get("version"), "content_digest": record["content_digest"],
            "published_at": record.get("published_at"), "crawled_at": record.get("crawled_at"),
            "record": record_json or json.dumps(dict(record), ensure_ascii=False, separators=(",", ":")),
        })

    def records(self) -> Iterator[str]:
        """Every article's newest record (JSON text), ordered by id, streamed."""
        for (record,) in self.db.execute("SELECT record FROM latest ORDER BY id"):
            yield record

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM latest").fetchone()[0]

    def export_jsonl(self, target: Path) -> int:
        """Write ``target`` atomically (temp file + fsync + rename); returns the line count."""
        target = Path(target)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        lines = 0
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                for record in self.records():
                    fh.write(record + "\n")
                    lines += 1
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
        return lines

    def close(self) -> None:
        self.db.close()
