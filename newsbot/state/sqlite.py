"""SQLite-backed crawl state: no server, one file per site, safe across crashes.

WAL journal: a reader (a consumer, a second process) never blocks the crawl, and a
kill -9 loses at most the transaction in flight, never the file.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    canonical_url  TEXT PRIMARY KEY,
    article_id     TEXT,
    published_at   TEXT,
    modified_at    TEXT,
    content_digest TEXT,
    first_seen     TEXT NOT NULL,
    last_seen      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_by_id ON articles(article_id);
"""


class SqliteStateStore:
    def __init__(self, path: Path, site: str):
        self.path = Path(path)
        self.site = site
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def is_recorded(self, canonical_url: str) -> bool:
        row = self.db.execute("SELECT 1 FROM articles WHERE canonical_url = ?", (canonical_url,)).fetchone()
        return row is not None

    def mark_recorded(self, canonical_url: str, article_id=None, published_at=None, modified_at=None,
                      content_digest=None) -> None:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.db.execute(
            """INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(canonical_url) DO UPDATE SET
                 article_id=excluded.article_id, published_at=excluded.published_at,
                 modified_at=excluded.modified_at, content_digest=excluded.content_digest,
                 last_seen=excluded.last_seen""",
            (canonical_url, article_id, published_at, modified_at, content_digest, now, now),
        )

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def close(self) -> None:
        self.db.close()
