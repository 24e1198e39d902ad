"""A CDXJ index beside each finished WARC: ``<name>.warc.gz`` -> ``<name>.cdxj``: written
(:class:`CdxjLines`, :func:`write_cdxj`) and read back (:func:`iter_cdxj_positions`).

The lines are those cdxj-indexer (the indexer pywb's tooling uses) writes with
``--sort --post-append``, one index per WARC file so concurrent processes never share an
index file.  pywb reads a folder of them (``index_paths``); ``cdxj-indexer`` rebuilds one
for a WARC left by a killed process.

:class:`CdxjLines` builds them from the records as the writer appends them (it knows each
record's offset, length, digest, status and MIME type), sorted at close with
cdxj-indexer's own sorter: the finished WARC is not read again.  A record it would not
index exactly as cdxj-indexer does (a POST/PUT exchange, whose key gets the request body
appended; a ``resource`` or non-``warc-fields`` ``metadata`` record; a record without a
payload digest) makes that file's index fall back to :func:`write_cdxj`, which re-reads it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from warcio.timeutils import iso_date_to_timestamp

from newsbot.warc import cdxj_path

# In-memory share of the sort; beyond it sorted runs go to temporary files (merged at close),
# so the index of a 1 GB WARC does not sit in memory.
SORT_BUFFER_CHARS = 8 * 1024 * 1024
_MIME_END = re.compile(r"[;\s]")   # cdxj-indexer's RE_SPACE: "text/html; charset=..." -> "text/html"


def write_cdxj(warc_path: Path, read_from: Path | None = None) -> Path:
    """Index ``warc_path``; the index appears whole (written aside, then renamed).
    ``read_from``: where the file is now, if not there yet (a ``.open`` WARC about to be
    finished): the entries still name ``warc_path``."""
    from cdxj_indexer.main import write_cdx_index

    target = cdxj_path(warc_path)
    partial = target.with_name(target.name + ".part")
    try:
        with partial.open("w", encoding="utf-8") as out:
            write_cdx_index(out, [str(read_from or warc_path)],
                            {"sort": True, "post_append": True, "filename": Path(warc_path).name})
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)   # no partial index for a reader to trip over
        raise
    return target


def _surt(url: str) -> str:
    import surt

    return surt.surt(url)


class CdxjLines:
    """The CDXJ lines of one WARC file, collected as its records are appended."""

    def __init__(self, warc_path: Path):
        # Imported here, by writers only: readers of a CDXJ (the archive index, a re-parse)
        # need neither cdxj-indexer nor surt (~0.15 s of imports per process).
        from cdxj_indexer.main import SortingWriter

        self.warc_path = Path(warc_path)
        self.exact = True     # False: some record needs cdxj-indexer itself (see the module docstring)
        self._sorter = SortingWriter(None, SORT_BUFFER_CHARS)

    def add(self, record, offset: int, length: int) -> None:
        """``record`` as written (digests set) at ``offset``, ``length`` bytes long."""
        if not self.exact:
            return
        rec_type = record.rec_type
        if rec_type in ("warcinfo", "request", "conversion"):
            # cdxj-indexer indexes neither; a request only matters for --post-append
            if rec_type == "request" and record.http_headers and record.http_headers.protocol.upper() in ("POST", "PUT"):
                self.exact = False
            return
        headers = record.rec_headers
        if rec_type == "metadata" and headers.get_header("Content-Type") == "application/warc-fields":
            return
        url, digest = headers.get_header("WARC-Target-URI"), headers.get_header("WARC-Payload-Digest")
        if rec_type not in ("response", "revisit") or not url or not digest:
            self.exact = False
            return
        entry = {"url": url}
        if rec_type == "revisit":
            entry["mime"] = "warc/revisit"
        elif record.http_headers:
            mime = record.http_headers.get_header("Content-Type")
            if mime is not None:
                entry["mime"] = _MIME_END.split(mime, 1)[0].strip() if mime else mime
        if record.http_headers:
            entry["status"] = record.http_headers.get_statuscode()
        entry.update(digest=digest, length=str(length), offset=str(offset), filename=self.warc_path.name)
        try:
            key = _surt(url)
        except Exception:  # cdxj-indexer keys an unparsable URL by itself
            key = url
        self._sorter.write(f"{key} {iso_date_to_timestamp(headers.get_header('WARC-Date'))} {json.dumps(entry)}\n")

    def write(self, read_from: Path | None = None) -> Path:
        """The sorted index beside the WARC; it appears whole (written aside, then renamed).
        ``read_from``: where the WARC is while still being written, should cdxj-indexer
        have to read it (see the module docstring)."""
        if not self.exact:
            return write_cdxj(self.warc_path, read_from)
        target = cdxj_path(self.warc_path)
        partial = target.with_name(target.name + ".part")
        try:
            with partial.open("w", encoding="utf-8") as out:
                self._sorter.out = out
                self._sorter.flush()
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)   # no partial index for a reader to trip over
            raise
        return target


# -- reading ---------------------------------------------------------------------
#: the longest CDXJ line read (an entry is ~300 characters plus its URL twice)
MAX_LINE_CHARS = 64 * 1024

class CdxjUnusable(Exception):
    """The CDXJ index beside a WARC cannot stand in for reading it (see :func:`iter_cdxj_positions`)."""


def iter_cdxj_positions(path: Path) -> Iterator[tuple[int, int, str, bool, str | None]]:
    """``path``'s response and revisit records from the CDXJ index beside it (sorted by URL,
    as CDXJ is): (offset, member length, URL, is revisit, payload digest).

    Raises :class:`CdxjUnusable`, at once or at the entry that shows it, when that index
    cannot stand in for reading the WARC: none there, older than the WARC (written before
    the file last changed), naming another file, pointing past the file's end, or holding
    an entry that is neither an HTTP response nor a revisit (cdxj-indexer also lists
    ``resource`` and ``metadata`` records, which an index of responses must not take for one).
    """
    index = cdxj_path(path)
    try:
        warc_stat, index_stat = path.stat(), index.stat()
    except OSError as exc:
        raise CdxjUnusable(str(exc)) from None
    if index_stat.st_mtime_ns < warc_stat.st_mtime_ns:
        raise CdxjUnusable(f"{index.name} is older than the WARC")
    try:
        with index.open(encoding="utf-8") as lines:
            # one line at a time, each bounded: a CDXJ is an input like any other (a URL is
            # at most a few KB; a line of a gigabyte is not an index)
            while line := lines.readline(MAX_LINE_CHARS):
                if not line.endswith("\n") and len(line) >= MAX_LINE_CHARS:
                    raise CdxjUnusable(f"{index.name}: a line longer than {MAX_LINE_CHARS} characters")
                entry = json.loads(line.split(" ", 2)[2])
                offset, length = int(entry["offset"]), int(entry["length"])
                revisit = entry.get("mime") == "warc/revisit"
                if (entry.get("filename") != path.name or offset < 0 or length <= 0
                        or offset + length > warc_stat.st_size or not (revisit or "status" in entry)):
                    raise CdxjUnusable(f"{index.name}: an entry this index cannot use: {line[:200]!r}")
                digest = entry.get("digest")
                yield offset, length, entry["url"], revisit, digest if digest not in ("", "-") else None
    except (OSError, ValueError, IndexError, KeyError, TypeError, AttributeError) as exc:
        raise CdxjUnusable(f"{index.name}: {exc}") from None
