"""SQLite-backed crawl state: no server, one file per site, safe across crashes.

What it holds, per site:

* ``articles``: every recorded article (canonical URL, CMS id, dates, the digest and
  version number of its latest recorded content, when it was last fetched);
* ``versions``: one row per recorded version (an article whose ``modified_at`` or
  content digest changed is recorded again, as version 2, 3, ...);
* ``marks``: small key/value facts about the site's crawl: the high-water mark (newest
  recorded article id and published time) and the list walk left open by a run that
  did not finish (see :meth:`SqliteStateStore.open_walk`).

WAL journal: a reader (a consumer, a second process) never blocks the crawl, and a
kill -9 loses at most the transaction in flight, never the file.

Opened, the store is checked before the crawl starts (SQLite's own ``PRAGMA
integrity_check``, ~0.1 s for 50,000 articles; ``NEWSBOT_STATE_CHECK``) and must take a
write lock: a damaged, unreadable or locked store, or a full disk, is a
:class:`StateStoreError` naming the file and the way to recover, never a store silently
replaced by an empty one (which would fetch and write every article again).
``scrapy state rebuild <site>`` rebuilds it from the JSON Lines records
(newsbot/commands/state.py).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from newsbot import exitcodes
from newsbot.dates import is_future
from newsbot.dbfile import open_db
from newsbot.output import site_dir, site_of
from newsbot.state.ledger import FaultLedger

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
CREATE TABLE IF NOT EXISTS versions (
    canonical_url  TEXT NOT NULL,
    version        INTEGER NOT NULL,
    content_digest TEXT,
    modified_at    TEXT,
    recorded_at    TEXT NOT NULL,
    PRIMARY KEY (canonical_url, version)
);
CREATE TABLE IF NOT EXISTS marks (
    name  TEXT PRIMARY KEY,
    value TEXT
);
"""

# Columns added after the first release; added in place to an older state file.
ADDED_COLUMNS = {"version": "INTEGER NOT NULL DEFAULT 1"}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _id_order(article_id) -> tuple[int, int | str]:
    """CMS ids are numbers in every known family; compare them as numbers when they are."""
    text = str(article_id)
    return (1, int(text)) if text.isdigit() else (0, text)


#: what ``NEWSBOT_STATE_CHECK`` may name: SQLite's full check (indexes against tables too),
#: its quick one, or none
STATE_CHECKS = ("integrity_check", "quick_check", "")
_CORRUPT = ("SQLITE_NOTADB", "SQLITE_CORRUPT")
_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
_NO_ROOM = ("SQLITE_FULL", "SQLITE_IOERR")


class StateStoreError(Exception):
    """The state store cannot be used; the message names the file and the way out."""

    def __init__(self, message: str, exit_status: int = exitcodes.STATE_UNUSABLE):
        super().__init__(message)
        self.exit_status = exit_status


def rebuild_command(path: Path, site: str) -> str:
    return f"scrapy state rebuild {site} -s OUTPUT_DIR={Path(path).parent.parent}"


def _unusable(path: Path, site: str, detail: str, errorname: str, timeout: float) -> StateStoreError:
    code = errorname or ""
    if code.startswith(_CORRUPT) or code == "INTEGRITY":
        return StateStoreError(
            f"state store {path} is damaged ({detail}); nothing was crawled. It is never replaced "
            f"silently: rebuild it from the JSON Lines records with `{rebuild_command(path, site)}` "
            f"(the damaged file is moved aside, not deleted)")
    if code.startswith(_BUSY):
        return StateStoreError(
            f"state store {path} is locked by another process ({detail}, waited {timeout:g} s); nothing "
            f"was crawled. Find it with `fuser {path}`, let it finish or end it, then run again")
    if code.startswith(_NO_ROOM):
        return StateStoreError(
            f"cannot write the state store {path} ({detail}): the disk is full or failing; nothing was "
            f"crawled. Free space (df {path.parent}), then run again", exitcodes.STORAGE)
    return StateStoreError(
        f"cannot open the state store {path} ({detail}); nothing was crawled. It must be a file this "
        f"user can read and write; if it is lost, `{rebuild_command(path, site)}` rebuilds it")


class SqliteStateStore:
    #: opened, and checked, when the crawler is set up (newsbot.state.CrawlState)
    opens_at_setup = True

    def __init__(self, path: Path, site: str, check: str = "", timeout: float = 30):
        self.path = Path(path)
        self.site = site
        if check not in STATE_CHECKS:
            raise ValueError(f"NEWSBOT_STATE_CHECK: one of {', '.join(map(repr, STATE_CHECKS))}, not {check!r}")
        existed = self.path.exists()
        db = None
        try:
            db = open_db(self.path, SCHEMA, timeout=timeout)
            present = {row[1] for row in db.execute("PRAGMA table_info(articles)")}
            if check and existed:
                findings = [line for (row,) in db.execute(f"PRAGMA {check}") for line in str(row).splitlines()
                            if line.strip() and not line.startswith("***")]
                if findings != ["ok"]:
                    more = f", and {len(findings) - 1} more finding(s)" if len(findings) > 1 else ""
                    raise sqlite3.DatabaseError(f"{check}: database disk image is malformed: {findings[0]}{more}")
            for column, declaration in ADDED_COLUMNS.items():
                if column not in present:
                    db.execute(f"ALTER TABLE articles ADD COLUMN {column} {declaration}")
            # A run must be able to write: take the write lock once, now, not at the first article.
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            if not existed:  # nothing of a store that could not be made is left behind
                for leftover in (self.path, *(self.path.with_name(self.path.name + s) for s in ("-wal", "-shm"))):
                    leftover.unlink(missing_ok=True)
            name = getattr(exc, "sqlite_errorname", "") or ("INTEGRITY" if str(exc).startswith(check or "?") else "")
            raise _unusable(self.path, site, str(exc), name, timeout) from None
        except OSError as exc:  # the folder could not be made (a file in its way, no room)
            raise _unusable(self.path, site, exc.strerror or str(exc),
                            "SQLITE_FULL" if exc.errno in (28, 27, 122) else "", timeout) from None
        self.db = db
        self.closed = False
        self._ledger: FaultLedger | None = None

    @classmethod
    def from_crawler(cls, crawler) -> SqliteStateStore:
        """The site's store: ``OUTPUT_DIR/<site>/state.sqlite3``, checked (``NEWSBOT_STATE_CHECK``)."""
        site = site_of(crawler.spider)
        settings = crawler.settings
        return cls(site_dir(settings, site) / "state.sqlite3", site,
                   check=settings.get("NEWSBOT_STATE_CHECK", "integrity_check") or "",
                   timeout=settings.getfloat("NEWSBOT_STATE_LOCK_TIMEOUT", 30))

    def fault_ledger(self) -> FaultLedger:
        """Articles whose fetch failed, in this same file (newsbot/state/ledger.py)."""
        if self._ledger is None:
            self._ledger = FaultLedger(self.db)
        return self._ledger

    # -- articles ----------------------------------------------------------------
    def is_recorded(self, canonical_url: str) -> bool:
        row = self.db.execute("SELECT 1 FROM articles WHERE canonical_url = ?", (canonical_url,)).fetchone()
        return row is not None

    def recorded(self, canonical_url: str) -> dict | None:
        """The latest recorded version of an article, or None."""
        row = self.db.execute(
            """SELECT article_id, published_at, modified_at, content_digest, version, last_seen
               FROM articles WHERE canonical_url = ?""",
            (canonical_url,),
        ).fetchone()
        if row is None:
            return None
        keys = ("article_id", "published_at", "modified_at", "content_digest", "version", "last_seen")
        return dict(zip(keys, row))

    def mark_recorded(self, canonical_url: str, article_id=None, published_at=None, modified_at=None,
                      content_digest=None, version: int = 1) -> None:
        """Record (a version of) an article, after its record was written."""
        now = _now()
        with self.db:  # one transaction: the article row, its version row and the marks agree
            self.db.execute("BEGIN")
            self.db.execute(
                """INSERT INTO articles (canonical_url, article_id, published_at, modified_at, content_digest,
                                         first_seen, last_seen, version)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(canonical_url) DO UPDATE SET
                     article_id=excluded.article_id, published_at=excluded.published_at,
                     modified_at=excluded.modified_at, content_digest=excluded.content_digest,
                     last_seen=excluded.last_seen, version=excluded.version""",
                (canonical_url, article_id, published_at, modified_at, content_digest, now, now, version),
            )
            self.db.execute(
                "INSERT OR REPLACE INTO versions VALUES (?, ?, ?, ?, ?)",
                (canonical_url, version, content_digest, modified_at, now),
            )
            # A date far in the future (a typo, a CMS default) is kept in the record, never
            # trusted as the newest: it would make every later walk stop at once.
            self._raise_high_water(article_id, None if is_future(published_at) else published_at)

    def mark_checked(self, canonical_url: str) -> None:
        """A re-fetch found the recorded content unchanged: remember when we looked."""
        self.db.execute("UPDATE articles SET last_seen = ? WHERE canonical_url = ?", (_now(), canonical_url))

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def version_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM versions").fetchone()[0]

    # -- marks -------------------------------------------------------------------
    def get_mark(self, name: str):
        row = self.db.execute("SELECT value FROM marks WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_mark(self, name: str, value) -> None:
        if value is None:
            self.db.execute("DELETE FROM marks WHERE name = ?", (name,))
        else:
            self.db.execute("INSERT OR REPLACE INTO marks VALUES (?, ?)", (name, json.dumps(value)))

    def high_water(self) -> dict:
        """``{"article_id": newest id, "published_at": newest published time}`` (None when empty)."""
        mark = self.get_mark("high_water") or {"article_id": None, "published_at": None}
        if is_future(mark["published_at"]):
            # Set by a version that trusted future dates: the newest date that is not one.
            mark["published_at"] = max(
                (published for (published,) in self.db.execute(
                    "SELECT published_at FROM articles WHERE published_at IS NOT NULL")
                 if not is_future(published)),
                key=lambda published: datetime.fromisoformat(published), default=None)
            self.set_mark("high_water", mark)
        return mark

    def _raise_high_water(self, article_id, published_at) -> None:
        mark = self.high_water()
        changed = False
        if article_id and (mark["article_id"] is None or _id_order(article_id) > _id_order(mark["article_id"])):
            mark["article_id"], changed = str(article_id), True
        # ISO 8601 strings with one offset (+09:00) sort as times
        if published_at and (mark["published_at"] is None or published_at > mark["published_at"]):
            mark["published_at"], changed = published_at, True
        if changed:
            self.set_mark("high_water", mark)

    def open_walk(self, floor_date: str | None) -> dict | None:
        """A list walk starts; returns the walk an earlier run left open (killed), if any.

        ``floor_date`` (``YYYY-MM-DD``) is how far back this walk needs to go to be whole:
        the high-water date when it starts, or a backfill's ``since``; None means to the
        end of the archive.  The open walk is kept (its floor lowered if need be) until
        a run finishes its walk, so an interrupted walk is finished by the next run
        instead of being cut short by "nothing new on page 1".
        """
        left_open = self.get_mark("open_walk")
        floors = [floor_date] + ([left_open["floor_date"]] if left_open else [])
        floor = None if None in floors else min(floors)
        self.set_mark("open_walk", {"floor_date": floor, "started": _now()})
        return left_open

    def finish_walk(self) -> None:
        self.set_mark("open_walk", None)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.db.close()
