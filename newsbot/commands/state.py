"""``scrapy state check|rebuild <site>``: look at a site's state store, or rebuild it.

``OUTPUT_DIR/<site>/state.sqlite3`` is what makes runs incremental (newsbot/state/sqlite.py).
A crawl refuses to start on a damaged one (exit status 10) rather than replace it with an
empty store, which would fetch and write every article again.  This command is the way out:

* ``scrapy state check <site>``: the check a crawl makes at start (SQLite's
  ``integrity_check``, a write lock): exit 0 and one line when usable, else the crawl's
  error line and status (10, or 3 for a full disk);
* ``scrapy state rebuild <site> [--force]``: a new store from the site's JSON Lines records
  (``OUTPUT_DIR/<site>/jsonl/``; every record carries ``canonical_url``, ``article_id``,
  ``version``, ``content_digest``, ``published_at``, ``modified_at`` and ``crawled_at``):
  every recorded article with its latest version, every version, the high-water mark.
  The damaged file (and its ``-wal``/``-shm``) is moved aside as
  ``state.sqlite3.damaged-<UTC>``, never deleted.  A usable store is left alone unless
  ``--force``.

What the records cannot tell is left for the next run to find again, on the side of
fetching too much: articles that failed or were gone (the fault ledger) are fetched again,
and the rebuilt store holds an open list walk without a floor, so the next run walks every
list page once (recorded articles are not fetched, only listed) and fetches exactly the
articles no record holds.  Re-parse output (``reparse/jsonl/``) is not read: its versions
come from a scratch store.  The WARCs are not needed: the records point into them, and
their digest index (``warc/digests.sqlite3``) is a separate file that stays as it is.

The command takes the site's crawl lock (newsbot/runlock.py): it refuses (exit 9) while a
crawl of the site runs, and a crawl started meanwhile is refused.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newsbot import exitcodes
from newsbot.commands.crawl import check_output_dir, fail_usage, own_usage_errors, refuse_stray_options
from newsbot.dates import is_future
from newsbot.exitcodes import RunRefused
from newsbot.output import site_dir, utc_stamp
from newsbot.outputfile import adopt_unfinished, repair_lines
from newsbot.runlock import RunLock, site_lock_path
from newsbot.state.sqlite import SqliteStateStore, StateStoreError, _id_order

logger = logging.getLogger(__name__)

STATE_FILE = "state.sqlite3"

# The newest version of each article wins (the later record for equal versions); first and
# last seen span every record of it.
UPSERT_ARTICLE = """
INSERT INTO articles (canonical_url, article_id, published_at, modified_at, content_digest,
                      first_seen, last_seen, version)
VALUES (:canonical_url, :article_id, :published_at, :modified_at, :content_digest,
        :crawled_at, :crawled_at, :version)
ON CONFLICT(canonical_url) DO UPDATE SET
  article_id     = CASE WHEN excluded.version >= articles.version THEN excluded.article_id ELSE articles.article_id END,
  published_at   = CASE WHEN excluded.version >= articles.version THEN excluded.published_at ELSE articles.published_at END,
  modified_at    = CASE WHEN excluded.version >= articles.version THEN excluded.modified_at ELSE articles.modified_at END,
  content_digest = CASE WHEN excluded.version >= articles.version THEN excluded.content_digest
                        ELSE articles.content_digest END,
  version        = max(articles.version, excluded.version),
  first_seen     = min(articles.first_seen, excluded.first_seen),
  last_seen      = max(articles.last_seen, excluded.last_seen)
"""
INSERT_VERSION = """
INSERT OR IGNORE INTO versions (canonical_url, version, content_digest, modified_at, recorded_at)
VALUES (:canonical_url, :version, :content_digest, :modified_at, :crawled_at)
"""


@dataclass
class Rebuilt:
    path: Path
    files: int = 0
    records: int = 0
    unreadable: list[str] = field(default_factory=list)   # "file:line" of lines that are no record
    articles: int = 0
    versions: int = 0
    high_water: dict = field(default_factory=dict)
    moved_aside: list[Path] = field(default_factory=list)


def _records(paths: list[Path], rebuilt: Rebuilt):
    for path in paths:
        rebuilt.files += 1
        with path.open("rb") as lines:
            for number, line in enumerate(lines, 1):
                try:
                    record = json.loads(line)
                    canonical = record["canonical_url"]
                except (ValueError, KeyError, TypeError):
                    if line.strip():
                        rebuilt.unreadable.append(f"{path.name}:{number}")
                    continue
                if not isinstance(canonical, str) or not canonical:
                    rebuilt.unreadable.append(f"{path.name}:{number}")
                    continue
                rebuilt.records += 1
                yield {
                    "canonical_url": canonical,
                    "article_id": None if record.get("article_id") is None else str(record["article_id"]),
                    "published_at": record.get("published_at"),
                    "modified_at": record.get("modified_at"),
                    "content_digest": record.get("content_digest"),
                    "version": record.get("version") or 1,
                    "crawled_at": record.get("crawled_at") or datetime.now(timezone.utc).isoformat(timespec="seconds"),
                }


def rebuild_state(folder: Path, site: str) -> Rebuilt:
    """A new ``folder/state.sqlite3`` from ``folder/jsonl/*.jsonl``; the old one moved aside."""
    target = folder / STATE_FILE
    building = folder / f".{STATE_FILE}.rebuilding-{os.getpid()}"
    for leftover in folder.glob(f".{STATE_FILE}.rebuilding-*"):
        leftover.unlink()   # a rebuild that was killed (we hold the lock: not a running one)
    # JSON Lines a killed crawl left being written (<name>.jsonl.open): finished first, so
    # their records count too (newsbot/outputfile.py; a crawl would do the same at start)
    adopt_unfinished(folder / "jsonl", ".jsonl", "jsonl", repair_lines)
    rebuilt = Rebuilt(target)
    store = SqliteStateStore(building, site)
    newest_id = newest_published = None
    try:
        db = store.db
        db.execute("PRAGMA synchronous=OFF")   # synced once, whole, before it is moved into place
        db.execute("BEGIN")
        for record in _records(sorted((folder / "jsonl").glob("*.jsonl")), rebuilt):
            db.execute(UPSERT_ARTICLE, record)
            db.execute(INSERT_VERSION, record)
            article_id, published = record["article_id"], record["published_at"]
            if article_id and (newest_id is None or _id_order(article_id) > _id_order(newest_id)):
                newest_id = article_id
            # as the store's own rule: a date far in the future is never the newest
            if published and not is_future(published) and (newest_published is None or published > newest_published):
                newest_published = published
        rebuilt.high_water = {"article_id": newest_id, "published_at": newest_published}
        store.set_mark("high_water", rebuilt.high_water)
        # Whether the last walk finished is not in any record: the next run walks every list page once.
        store.set_mark("open_walk", {"floor_date": None, "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                     "rebuilt": True})
        db.execute("COMMIT")
        rebuilt.articles, rebuilt.versions = store.count(), store.version_count()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        store.close()
        for path in (building, building.with_name(building.name + "-wal"), building.with_name(building.name + "-shm")):
            path.unlink(missing_ok=True)
        raise
    store.close()
    with open(building, "rb+") as fh:
        os.fsync(fh.fileno())
    stamp = utc_stamp()
    for suffix in ("", "-wal", "-shm"):
        old = folder / f"{STATE_FILE}{suffix}"
        if old.exists():
            aside = folder / f"{STATE_FILE}{suffix}.damaged-{stamp}"
            os.replace(old, aside)
            rebuilt.moved_aside.append(aside)
    os.replace(building, target)
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return rebuilt


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "check|rebuild <site> [--force]"

    def short_desc(self) -> str:
        return "Check a site's state store, or rebuild it from its JSON Lines records"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        own_usage_errors(parser)   # every usage error: one newsbot: error: line, exit 2
        parser.add_argument("--force", action="store_true",
                            help="rebuild even a store that passes the check (the old one is moved aside)")

    def run(self, args: list[str], opts) -> None:
        from newsbot.spiders.base import SITE_ID

        try:
            refuse_stray_options(args)
        except UsageError as exc:
            return fail_usage(self, str(exc))
        if len(args) != 2 or args[0] not in ("check", "rebuild"):
            return fail_usage(self, "usage: scrapy state check|rebuild <site> [--force]")
        action, site = args
        if not SITE_ID.match(site):
            return fail_usage(self, f"not a site id (letters, digits, _ and -): {site!r}")
        try:
            check_output_dir(self.settings.get("OUTPUT_DIR") or "output")
        except UsageError as exc:
            return fail_usage(self, str(exc))
        folder = site_dir(self.settings, site)
        path = folder / STATE_FILE
        if action == "rebuild" and not (folder / "jsonl").is_dir() and not path.exists():
            return fail_usage(self, f"nothing to rebuild {site}'s state from: no {folder / 'jsonl'} and no {path}")
        try:
            lock = RunLock.acquire(site_lock_path(self.settings, site), f"the output folder {folder}")
        except RunRefused as exc:
            return fail_usage(self, str(exc), exc.exit_status)
        try:
            self.exitcode = self.rebuild(folder, site, opts.force) if action == "rebuild" else self.check(path, site)
        finally:
            lock.release()

    def _open(self, path: Path, site: str) -> SqliteStateStore:
        return SqliteStateStore(path, site, check=self.settings.get("NEWSBOT_STATE_CHECK", "integrity_check") or "",
                                timeout=self.settings.getfloat("NEWSBOT_STATE_LOCK_TIMEOUT", 30))

    def check(self, path: Path, site: str) -> int:
        if not path.exists():
            print(f"{path}: no state store yet (the first run creates it)")
            return exitcodes.OK
        try:
            store = self._open(path, site)
        except StateStoreError as exc:
            sys.stderr.write(f"newsbot: error: {exc}\n")
            return exc.exit_status
        try:
            print(f"{path}: usable ({store.count()} articles, {store.version_count()} versions, "
                  f"high-water {json.dumps(store.high_water(), ensure_ascii=False)})")
        finally:
            store.close()
        return exitcodes.OK

    def rebuild(self, folder: Path, site: str, force: bool) -> int:
        path = folder / STATE_FILE
        if path.exists() and not force:
            try:
                store = self._open(path, site)
            except StateStoreError as exc:
                if exc.exit_status == exitcodes.STORAGE:   # no room: a rebuild would not fit either
                    sys.stderr.write(f"newsbot: error: {exc}\n")
                    return exc.exit_status
                print(f"{path}: {str(exc).split('; nothing was crawled')[0]}: rebuilding")
            else:
                articles = store.count()
                store.close()
                print(f"{path} passes the check ({articles} articles): left as it is (--force rebuilds it anyway)")
                return exitcodes.OK
        try:
            rebuilt = rebuild_state(folder, site)
        except OSError as exc:
            sys.stderr.write(f"newsbot: error: cannot write {folder}: {exc.strerror or exc}; the old store is "
                             f"untouched. Free space, then run again\n")
            return exitcodes.STORAGE
        except StateStoreError as exc:
            sys.stderr.write(f"newsbot: error: {exc}\n")
            return exc.exit_status
        aside = ", ".join(str(p) for p in rebuilt.moved_aside) or "nothing (there was no store)"
        print(f"Rebuilt {rebuilt.path} from {rebuilt.records} records in {rebuilt.files} JSON Lines file(s): "
              f"{rebuilt.articles} articles, {rebuilt.versions} versions, high-water "
              f"{json.dumps(rebuilt.high_water, ensure_ascii=False)}. Moved aside: {aside}. "
              f"The next run walks every list page once and fetches only articles no record holds.")
        if rebuilt.unreadable:
            shown = ", ".join(rebuilt.unreadable[:5]) + (" ..." if len(rebuilt.unreadable) > 5 else "")
            print(f"Skipped {len(rebuilt.unreadable)} line(s) that are no record ({shown}): "
                  f"those articles are fetched again if still listed.")
        return exitcodes.OK
