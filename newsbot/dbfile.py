"""The one way newsbot opens its on-disk SQLite files (state, latest view, WARC digests).

Autocommit (each write is its own transaction: nothing is marked that was not written),
WAL (a reader such as a consumer or a second process never blocks the crawl, and a
kill -9 loses at most the statement in flight), and ``timeout`` for a brief lock held
by another process.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_db(path: Path, schema: str, timeout: float = 30) -> sqlite3.Connection:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, timeout=timeout)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(schema)
    return db
