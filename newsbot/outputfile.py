"""Output files that appear under their name only when whole: ``<name>.open`` while written.

Every file a run writes for consumers (JSON Lines, WARC, crawl reports) is created as
``<name>.open`` and renamed to ``<name>`` when it is closed (rotation, the end of the run).
A rename is atomic, so a consumer globbing ``*.jsonl`` or ``*.warc.gz`` only ever sees
finished files, and a finished file never changes again.  Inside the ``.open`` file the
crash guarantees stay as they were: each record goes out in one ``write(2)`` on an
``O_APPEND`` descriptor (a short write is cut back to the last whole record).

A writer holds an exclusive ``flock`` on its ``.open`` file for as long as it writes; the
kernel drops the lock when the process ends, however it ends (``kill -9``, power cut aside).
So a ``.open`` file whose lock nobody holds was left by a process that died:
:func:`adopt_unfinished` (run when the next crawl of the site opens its output) cuts it
back to its last whole record (a ``repair`` function per kind), and renames it to its
final name.  File names are still taken with ``O_EXCL`` (``newsbot.output.create_unique``'s
rule): ``<site>-<UTC stamp>[-<worker>]-<serial>``.

flock works on local file systems and on NFS (Linux emulates it with NFS byte-range
locks); on a shared file system without working locks, give each process its own
``OUTPUT_DIR`` (docs/cluster.md).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from newsbot.output import utc_stamp

logger = logging.getLogger(__name__)

#: what a file being written carries after its final name (a glob of final names never matches it)
OPEN_SUFFIX = ".open"
_READ_CHUNK = 1 << 20


def open_name(final: Path) -> Path:
    """Where ``final`` is written until it is finished."""
    return final.with_name(final.name + OPEN_SUFFIX)


def final_name(path: Path) -> Path:
    """The name a ``.open`` file gets when it is finished."""
    return path.with_name(path.name.removesuffix(OPEN_SUFFIX))


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (the rename itself is atomic either way)."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass   # some file systems refuse fsync on a directory: the rename still happened
    finally:
        os.close(fd)


@dataclass(frozen=True)
class FinishedFile:
    """What a run's manifest says about one file (docs/records.md, "The run manifest")."""

    path: Path
    kind: str        # jsonl, warc, cdxj, report
    records: int     # lines of JSON Lines or CDXJ, WARC records
    bytes: int
    sha256: str      # hex digest of the whole file

    def entry(self, base: Path) -> dict:
        try:
            shown = self.path.relative_to(base).as_posix()
        except ValueError:
            shown = str(self.path)
        return {"path": shown, "kind": self.kind, "records": self.records, "bytes": self.bytes,
                "sha256": self.sha256}


def describe(path: Path, kind: str, records: int | None = None) -> FinishedFile:
    """A finished file's size and SHA-256, read back (for files not written through
    :class:`OutputFile`); ``records`` None: count its lines."""
    digest, size, lines = hashlib.sha256(), 0, 0
    with path.open("rb") as fh:
        while chunk := fh.read(_READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
    return FinishedFile(path, kind, lines if records is None else records, size, digest.hexdigest())


def reserve(directory: Path, site: str, suffix: str, stamp: str | None = None, tag: str = "") -> tuple[int, Path]:
    """Create ``<site>-<stamp>[-<tag>]-<serial><suffix>.open`` exclusively and lock it;
    returns (fd, final path).  A serial is free when neither the ``.open`` nor the final
    name exists; both are checked around the ``O_EXCL`` create, since the final name only
    ever appears by renaming a ``.open`` file."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = stamp or utc_stamp()
    tag = f"-{tag}" if tag else ""
    for serial in range(100000):
        final = directory / f"{site}-{stamp}{tag}-{serial:05d}{suffix}"
        if final.exists():
            continue
        writing = open_name(final)
        try:
            fd = os.open(writing, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        except FileExistsError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # Another run adopting leftovers locked it in the instant between create and
            # lock: it removes the empty file.  Take the next name.
            os.close(fd)
            continue
        if final.exists():   # its previous writer renamed it between our check and our create
            os.unlink(writing)
            os.close(fd)
            continue
        return fd, final
    raise FileExistsError(f"no free file name for {site} at {stamp} in {directory}")


class OutputFile:
    """One output file while it is written: appends whole records, keeps its size, record
    count and SHA-256 as it goes (the manifest entry costs no second read), and appears
    under its final name at :meth:`finish`."""

    def __init__(self, directory: Path, site: str, suffix: str, kind: str, *, tag: str = "",
                 stamp: str | None = None):
        self.fd, self.path = reserve(Path(directory), site, suffix, stamp=stamp, tag=tag)
        self.open_path = open_name(self.path)
        self.kind = kind
        self.size = 0
        self.records = 0
        self._sha256 = hashlib.sha256()

    @property
    def name(self) -> str:
        """The final name: what records point at (``warc_filename``), even while it is ``.open``."""
        return self.path.name

    def write(self, data: bytes, records: int = 1) -> int:
        """Append ``data`` (whole records) with one ``write(2)``; a short write is cut back."""
        written = os.write(self.fd, data)
        if written != len(data):
            os.ftruncate(self.fd, self.size)   # disk full mid-record: back to whole records
            raise OSError(errno.ENOSPC, f"short write ({written} of {len(data)} bytes)", str(self.open_path))
        self._sha256.update(data)
        self.size += written
        self.records += records
        return written

    def finish(self, before_rename: Callable[[], None] | None = None) -> FinishedFile:
        """Flush to disk and give the file its final name; ``before_rename`` runs first
        (a WARC's CDXJ index is written there, so the index is never missing beside a
        finished WARC)."""
        try:
            os.fsync(self.fd)
            if before_rename is not None:
                before_rename()
            os.rename(self.open_path, self.path)
        finally:
            os.close(self.fd)   # drops the lock
            self.fd = -1
        _sync_directory(self.path.parent)
        return FinishedFile(self.path, self.kind, self.records, self.size, self._sha256.hexdigest())


    def discard(self) -> None:
        """Give up the file (it could not be written whole): removed, never finished."""
        try:
            os.unlink(self.open_path)
        finally:
            os.close(self.fd)
            self.fd = -1


#: repair(fd, path of the .open file) -> whole records kept; it truncates ``fd`` to them.
Repair = Callable[[int, Path], int]


def adopt_unfinished(directory: Path, suffix: str, kind: str, repair: Repair,
                     before_rename: Callable[[Path, Path], None] | None = None) -> list[FinishedFile]:
    """Finish the ``*<suffix>.open`` files in ``directory`` that no live process holds (left
    by a killed run): each is cut back to its last whole record by ``repair``, then renamed
    to its final name; one left with no whole record is removed.  ``before_rename(open
    path, final path)`` runs before the rename (the WARC's CDXJ).  Files a live process
    writes are left alone.  Returns what was finished, for this run's manifest."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    adopted = []
    for path in sorted(directory.glob(f"*{suffix}{OPEN_SUFFIX}")):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue   # finished by its writer since the listing
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue   # its writer is alive
            try:
                same_file = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same_file = False
            if not same_file:
                continue   # finished (renamed) between our open and our lock
            final = final_name(path)
            if final.exists():
                logger.warning("Unfinished file %s left alone: %s exists already", path, final.name)
                continue
            size = os.fstat(fd).st_size
            try:
                records = repair(fd, path) if size else 0
            except Exception as exc:  # a file no reader understands: left for a person, named once
                logger.error("Unfinished file %s left as it is: it could not be read back (%s: %s)",
                             path, type(exc).__name__, exc)
                continue
            kept = os.fstat(fd).st_size
            if not records:
                os.unlink(path)
                logger.warning("Removed %s: left by a process that ended while writing it, "
                               "without one whole record (%d byte(s))", path, size)
                continue
            os.fsync(fd)
            if before_rename is not None:
                before_rename(path, final)
            os.rename(path, final)
            _sync_directory(directory)
            finished = describe(final, kind, records)
            adopted.append(finished)
            cut = f"; cut {size - kept} byte(s) of an unfinished record" if size > kept else ""
            logger.warning("Finished %s left by a process that ended while writing it: %d whole record(s)%s",
                           final, records, cut)
        finally:
            os.close(fd)
    return adopted


def repair_lines(fd: int, path: Path) -> int:
    """Keep whole lines (JSON Lines): cut after the last newline; returns the line count."""
    lines, end, offset = 0, 0, 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_READ_CHUNK):
            count = chunk.count(b"\n")
            if count:
                lines += count
                end = offset + chunk.rindex(b"\n") + 1
            offset += len(chunk)
    if end != offset:
        os.ftruncate(fd, end)
    return lines
