"""One run at a time per site and output folder (and per ``JOBDIR``).

Two runs of the same spider into one ``OUTPUT_DIR`` (a cron job that overlaps the next,
a manual run during a timer's) would both walk the same lists, fetch and write the same
articles twice and race on one state store; two runs on one ``JOBDIR`` corrupt Scrapy's
request queue.  So a crawl holds an exclusive ``flock`` on ``OUTPUT_DIR/<site>/crawl.lock``
(and on ``JOBDIR/crawl.lock`` when a JOBDIR is set) for its whole life.  A second run
finds it taken and is refused (:class:`~newsbot.exitcodes.RunRefused`, exit status 9)
with one line naming the PID that holds it, before it writes anything.

The kernel releases an ``flock`` when its holder exits, however it exits: a lock left by
a ``kill -9`` or a power cut is simply taken by the next run (one log line says whose it
was).  The file itself stays (deleting it would let a third run lock a different inode);
its content is the holder's PID, start time and command line, emptied at a normal end.

Before the lock, the free space where the run writes is checked: less than
``NEWSBOT_MIN_FREE_MB`` (50) refuses the run (exit status 3) with one line, instead of a
run that starts, writes a few records and stops on a full disk.

Cluster workers (``REDIS_URL``) take no lock: they cooperate through Redis by design.
``scrapy reparse`` takes none either: it reads WARCs, keeps its own scratch state and
writes its own folder (docs/archive.md), so it never blocks a scheduled crawl.
"""

from __future__ import annotations

import atexit
import errno
import fcntl
import logging
import os
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir

from newsbot import exitcodes
from newsbot.exitcodes import RunRefused
from newsbot.output import site_dir, site_of

logger = logging.getLogger(__name__)

LOCK_NAME = "crawl.lock"


def _holder(path: Path) -> dict:
    """What a lock file says about its (last) holder: pid, started, command (may be empty)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    return dict(zip(("pid", "started", "command"), lines))


def _alive(pid: str | None) -> bool:
    if not pid or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLock:
    """An exclusive ``flock`` on ``path``, held until :meth:`release` or the process ends."""

    def __init__(self, path: Path, fd: int, took_over: dict | None):
        self.path = path
        self.fd: int | None = fd
        self.took_over = took_over  # the holder a kill left behind, if any

    @classmethod
    def acquire(cls, path: Path, what: str, create: bool = True) -> RunLock | None:
        """Lock ``path`` or raise :class:`RunRefused`; ``what`` names the thing locked in the
        refusal (``the output folder …``).  With ``create=False`` a missing file is not
        created: None (so a run refused by another lock leaves no new file behind)."""
        path = Path(path)
        try:
            if not create and not path.exists():
                return None
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o644)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _storage_refusal(path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = _holder(path)
            pid = holder.get("pid") or "unknown"
            since = f", running since {holder['started']}" if holder.get("started") else ""
            raise RunRefused(
                f"another run holds {what} (pid {pid}{since}; lock {path}): this run stops without "
                f"writing anything, exit status {exitcodes.LOCKED}", exitcodes.LOCKED) from None
        previous = _holder(path)
        took_over = previous if previous.get("pid") and previous["pid"] != str(os.getpid()) else None
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        note = f"{os.getpid()}\n{started}\n{' '.join(sys.argv)[:500]}\n".encode("utf-8", "replace")
        try:
            os.ftruncate(fd, 0)
            written = os.pwrite(fd, note, 0)
            if written != len(note):
                raise OSError(errno.ENOSPC, "short write", str(path))
        except OSError as exc:
            os.ftruncate(fd, 0)
            os.close(fd)
            raise _storage_refusal(path, exc) from None
        lock = cls(path, fd, took_over)
        # Released at the engine's stop; also when the interpreter exits after a crawl that
        # never started (refused by a later check), so the next run finds nothing to take over.
        atexit.register(lock.release)
        return lock

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)  # a normal end: the next run has nothing to take over
            os.close(self.fd)         # closing releases the flock
            self.fd = None


def _storage_refusal(path: Path, exc: OSError) -> RunRefused:
    return RunRefused(f"cannot write the lock file {path}: {exc.strerror or exc} "
                      f"(free space, or fix the folder's permissions, then run again)", exitcodes.STORAGE)


def check_free_space(folder: Path, minimum_mb: float) -> None:
    """Refuse the run (exit 3) when the file system ``folder`` is (or will be) on has less
    than ``minimum_mb`` MB free."""
    existing = Path(folder).absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    if minimum_mb > 0 and free < minimum_mb * 1e6:
        raise RunRefused(f"only {free / 1e6:.1f} MB free on the file system of {folder} (NEWSBOT_MIN_FREE_MB="
                         f"{minimum_mb:g}): nothing was crawled. Free space, then run again", exitcodes.STORAGE)


def site_lock_path(settings, site: str) -> Path:
    return site_dir(settings, site) / LOCK_NAME


class CrawlLock:
    """Extension: the run's locks, taken when the crawler is set up (before any component
    writes a file, before the JOBDIR queue is opened) and released when the engine stops."""

    def __init__(self, crawler):
        settings = crawler.settings
        site = site_of(crawler.spider)
        check_free_space(site_dir(settings, site), settings.getfloat("NEWSBOT_MIN_FREE_MB", 50))
        self.locks: list[RunLock] = []
        targets = [(site_lock_path(settings, site),
                    f"the output folder {site_dir(settings, site)}")]
        jobdir = job_dir(settings)
        if jobdir and (Path(jobdir) / LOCK_NAME).resolve() != targets[0][0].resolve():
            targets.append((Path(jobdir) / LOCK_NAME, f"the JOBDIR {jobdir}"))
        try:
            # Existing lock files first: a run refused by one of them creates no other.
            for create in (False, True):
                for path, what in targets:
                    if not any(lock.path == path for lock in self.locks):
                        lock = RunLock.acquire(path, what, create=create)
                        if lock is not None:
                            self.locks.append(lock)
        except RunRefused:
            self.release()
            raise
        for lock in self.locks:
            if lock.took_over and not _alive(lock.took_over.get("pid")):
                logger.info("Took over %s: its holder (pid %s, started %s) ended without releasing it",
                            lock.path, lock.took_over.get("pid"), lock.took_over.get("started", "?"))
        crawler.signals.connect(self.release, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("NEWSBOT_RUN_LOCK", True) or settings.get("REDIS_URL"):
            raise NotConfigured  # cluster workers cooperate through Redis (docs/cluster.md)
        if crawler.spider is None:
            raise NotConfigured  # built without a spider (a test's bare crawler): nothing to lock
        return cls(crawler)

    def release(self) -> None:
        for lock in self.locks:
            lock.release()
        self.locks = []
