"""Where output goes: ``OUTPUT_DIR/<site>/{warc,jsonl}/`` plus the site's state file.

File names come from the spider name and the UTC time only (never from page content),
with a serial that makes them unique even when several processes start in the same second.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path


def site_dir(settings, site: str, kind: str = "") -> Path:
    path = Path(settings.get("OUTPUT_DIR", "output")) / site
    return path / kind if kind else path


def utc_stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


def site_of(spider) -> str:
    """The outlet id a spider writes under: ``-a site=`` or its own name."""
    return getattr(spider, "site", None) or spider.name


def file_tag(settings) -> str:
    """What a file name carries besides site, time and serial: a cluster worker's id
    (``NEWSBOT_WORKER_ID``, set for every worker when ``REDIS_URL`` is): O_EXCL cannot see
    files on other machines, so in a cluster the worker's name goes into every file name."""
    if not settings.get("REDIS_URL"):
        return ""
    return re.sub(r"[^A-Za-z0-9_.]+", "_", str(settings.get("NEWSBOT_WORKER_ID") or ""))


def create_unique(directory: Path, site: str, suffix: str, stamp: str | None = None,
                  tag: str = "") -> tuple[int, Path]:
    """Create ``<site>-<UTC stamp>-<serial><suffix>`` exclusively; returns (fd, path).

    O_EXCL makes the name ours: a second process that picked the same stamp and serial
    gets EEXIST and moves on to the next serial instead of sharing the file.  With a
    ``tag`` (a cluster worker's, :func:`file_tag`) the name is
    ``<site>-<UTC stamp>-<tag>-<serial><suffix>``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    stamp = stamp or utc_stamp()
    tag = f"-{tag}" if tag else ""
    for serial in range(100000):
        path = directory / f"{site}-{stamp}{tag}-{serial:05d}{suffix}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        except FileExistsError:
            continue
        return fd, path
    raise FileExistsError(f"no free file name for {site} at {stamp} in {directory}")
