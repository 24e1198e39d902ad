"""What is new for a consumer since its cursor: finished output files not yet delivered.

Files appear under their final name only when finished, and never change after
(:mod:`newsbot.outputfile`), so "new" is a question about file names: which finished
files of a stream has this consumer not had yet?  A **stream** is one folder of one kind
of file (:data:`STREAMS`): ``jsonl`` (the crawl's JSON Lines), ``reparse`` (the JSON
Lines ``scrapy reparse`` writes to ``reparse/jsonl/``), ``warc`` (WARC files).

Names do not arrive in name order: several processes may write one folder (cluster
workers, re-parse shards, a crawl beside a re-parse), a long run finishes its file after a
short later one, and a killed run's ``.open`` file is finished by the next run.  So a
cursor is, per stream, a name ``through`` (every finished file named up to it was
delivered) and the names ``also`` delivered above it.  ``through`` only moves up to a
name that no file can still appear under: below every ``.open`` file's name and older
than :data:`SETTLE` by the UTC time in the name (new names carry the time they were taken:
the margin covers clocks of machines sharing a folder that disagree).  So ``also`` holds a
few names, and the cursor stays small however long it is used.

A cursor is one line of JSON::

    {"newsbot_cursor": 1, "site": "gginews",
     "streams": {"jsonl": {"through": "gginews-20261122T014351Z-00000.jsonl", "also": []}}}

A stream the cursor does not name starts from the beginning; streams it names that are
not read this time are passed on unchanged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from newsbot.outputfile import OPEN_SUFFIX

CURSOR_VERSION = 1
#: how old (by the time in its name) a file must be before ``through`` moves past it
SETTLE = timedelta(hours=1)
_STAMP = re.compile(r"-(\d{8}T\d{6}Z)-")


@dataclass(frozen=True)
class Stream:
    name: str
    folder: str        # under OUTPUT_DIR/<site>
    suffix: str        # a finished file's name ends so
    records: bool      # JSON Lines: its lines can be printed


STREAMS = {
    "jsonl": Stream("jsonl", "jsonl", ".jsonl", True),
    # re-parse output, in a folder of its own (JSONL_DIR of scrapy reparse, docs/records.md)
    "reparse": Stream("reparse", "reparse/jsonl", ".jsonl", True),
    "warc": Stream("warc", "warc", ".warc.gz", False),
}


class CursorError(ValueError):
    """A cursor that cannot be read, or belongs to another site."""


def parse_cursor(text: str | None, site: str) -> dict:
    """The cursor's streams ({stream: {"through", "also"}}); empty text: from the beginning."""
    if text is None or not text.strip():
        return {}
    try:
        cursor = json.loads(text)
        version, cursor_site, streams = cursor["newsbot_cursor"], cursor["site"], cursor["streams"]
    except (ValueError, KeyError, TypeError):
        raise CursorError(f"not a newsbot cursor: {text.strip()[:120]!r}") from None
    if version != CURSOR_VERSION:
        raise CursorError(f"a cursor of version {version!r}; this newsbot reads version {CURSOR_VERSION}")
    if cursor_site != site:
        raise CursorError(f"a cursor of site {cursor_site!r}, not {site!r}")
    if not isinstance(streams, dict) or not all(
            isinstance(s, dict) and isinstance(s.get("through"), (str, type(None)))
            and isinstance(s.get("also", []), list) for s in streams.values()):
        raise CursorError(f"not a newsbot cursor: {text.strip()[:120]!r}")
    return {name: {"through": s.get("through"), "also": list(s.get("also", []))} for name, s in streams.items()}


def format_cursor(site: str, streams: dict) -> str:
    return json.dumps({"newsbot_cursor": CURSOR_VERSION, "site": site, "streams": streams},
                      ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _stamp(name: str) -> datetime | None:
    match = _STAMP.search(name)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


@dataclass
class StreamChanges:
    stream: Stream
    directory: Path
    new: list[Path] = field(default_factory=list)    # to deliver, in name order
    left: int = 0                                    # more new files, left for the next call (max_files)
    open_files: list[str] = field(default_factory=list)   # being written now (or left by a killed run)
    position: dict = field(default_factory=dict)     # this stream's next cursor position


def stream_changes(directory: Path, stream: Stream, position: dict | None, *, max_files: int | None = None,
                   now: datetime | None = None) -> StreamChanges:
    """The finished files of ``stream`` in ``directory`` not yet delivered by ``position``,
    and the position after delivering them."""
    position = position or {"through": None, "also": []}
    through, also = position.get("through"), set(position.get("also", []))
    changes = StreamChanges(stream, directory)
    if directory.is_dir():
        # .open files first: one finished between the two listings is then seen in both,
        # which holds ``through`` back (safe); listed the other way round it could be in neither.
        changes.open_files = sorted(p.name.removesuffix(OPEN_SUFFIX)
                                    for p in directory.glob(f"*{stream.suffix}{OPEN_SUFFIX}"))
        finished = sorted(p.name for p in directory.glob(f"*{stream.suffix}") if p.is_file())
    else:
        finished = []
    undelivered = [name for name in finished if (through is None or name > through) and name not in also]
    batch = undelivered if max_files is None else undelivered[:max_files]
    changes.left = len(undelivered) - len(batch)
    changes.new = [directory / name for name in batch]
    delivered = also | set(batch)

    settled_before = (now or datetime.now(timezone.utc)) - SETTLE
    first_open = changes.open_files[0] if changes.open_files else None
    new_through = through
    for name in finished:
        if through is not None and name <= through:
            continue
        if name not in delivered or (first_open is not None and name >= first_open):
            break
        stamp = _stamp(name)
        if stamp is None:
            continue   # not a name newsbot gave: it stays in ``also`` until ``through`` passes it
        if stamp >= settled_before:
            break   # a file could still appear under a name before this one
        new_through = name
    changes.position = {"through": new_through,
                        "also": sorted(n for n in delivered if new_through is None or n > new_through)}
    return changes
