"""Where output goes: ``OUTPUT_DIR/<site>/{warc,jsonl}/`` plus the site's state file.

File names come from the spider name and the UTC time only (never from page content),
with a serial that makes them unique even when several processes start in the same second.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path


def site_dir(settings, site: str, kind: str = "") -> Path:
    path = Path(settings.get("OUTPUT_DIR", "output")) / site
    return path / kind if kind else path


def utc_stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


#: a cluster worker's id (set by newsbot.distributed): O_EXCL cannot see files on other
#: machines, so in a cluster the worker's name goes into every file name too
worker_tag = ""


def create_unique(directory: Path, site: str, suffix: str, stamp: str | None = None) -> tuple[int, Path]:
    """Create ``<site>-<UTC stamp>-<serial><suffix>`` exclusively; returns (fd, path).

    O_EXCL makes the name ours: a second process that picked the same stamp and serial
    gets EEXIST and moves on to the next serial instead of sharing the file.  A cluster
    worker's files are ``<site>-<UTC stamp>-<worker>-<serial><suffix>``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    stamp = stamp or utc_stamp()
    tag = f"-{worker_tag}" if worker_tag else ""
    for serial in range(100000):
        path = directory / f"{site}-{stamp}{tag}-{serial:05d}{suffix}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        except FileExistsError:
            continue
        return fd, path
    raise FileExistsError(f"no free file name for {site} at {stamp} in {directory}")
