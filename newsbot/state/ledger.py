"""Articles whose fetch failed, kept in the site's state file next to the recorded ones.

Its own table (``article_faults``) in the state store's SQLite file, on the store's
connection: "recorded" and "failed" live in one file and cannot drift apart, and a
failed article stops being one the moment it is recorded (``failed_urls`` excludes
recorded articles).
"""

from __future__ import annotations

from datetime import datetime, timezone

SCHEMA = """
CREATE TABLE IF NOT EXISTS article_faults (
    canonical_url  TEXT PRIMARY KEY,
    url            TEXT NOT NULL,
    kind           TEXT NOT NULL,
    detail         TEXT,
    gone           INTEGER NOT NULL DEFAULT 0,
    attempts       INTEGER NOT NULL DEFAULT 1,
    first_failed   TEXT NOT NULL,
    last_failed    TEXT NOT NULL
);
"""


class FaultLedger:
    def __init__(self, db):
        self.db = db
        self.db.executescript(SCHEMA)

    def mark_failed(self, canonical_url: str, url: str, kind: str, detail: str = "", gone: bool = False) -> int:
        """Remember a failure; returns how many runs this article has now failed in."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        (attempts,) = self.db.execute(
            """INSERT INTO article_faults VALUES (?, ?, ?, ?, ?, 1, ?, ?)
               ON CONFLICT(canonical_url) DO UPDATE SET
                 url=excluded.url, kind=excluded.kind, detail=excluded.detail, gone=excluded.gone,
                 attempts=attempts + 1, last_failed=excluded.last_failed
               RETURNING attempts""",
            (canonical_url, url, kind, detail, int(gone), now, now),
        ).fetchone()
        return attempts

    def is_gone(self, canonical_url: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM article_faults WHERE canonical_url = ? AND gone = 1", (canonical_url,)
        ).fetchone()
        return row is not None

    def failed_urls(self, max_attempts: int) -> list[str]:
        """Articles that failed (not gone, not recorded since) fewer than ``max_attempts`` times."""
        rows = self.db.execute(
            """SELECT url FROM article_faults
               WHERE gone = 0 AND attempts < ?
                 AND canonical_url NOT IN (SELECT canonical_url FROM articles)
               ORDER BY first_failed, canonical_url""",
            (max_attempts,),
        )
        return [url for (url,) in rows]

    def faults(self) -> dict[str, tuple[str, bool, int]]:
        """canonical URL -> (kind, gone, attempts), for reports and tests."""
        rows = self.db.execute("SELECT canonical_url, kind, gone, attempts FROM article_faults")
        return {url: (kind, bool(gone), attempts) for url, kind, gone, attempts in rows}

