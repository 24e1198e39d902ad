"""A CDXJ index beside each finished WARC: ``<name>.warc.gz`` -> ``<name>.cdxj``.

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
from pathlib import Path

import surt
from cdxj_indexer.main import SortingWriter, write_cdx_index
from warcio.timeutils import iso_date_to_timestamp

from newsbot.warc import cdxj_path

# In-memory share of the sort; beyond it sorted runs go to temporary files (merged at close),
# so the index of a 1 GB WARC does not sit in memory.
SORT_BUFFER_CHARS = 8 * 1024 * 1024
_MIME_END = re.compile(r"[;\s]")   # cdxj-indexer's RE_SPACE: "text/html; charset=..." -> "text/html"


def write_cdxj(warc_path: Path) -> Path:
    """Index ``warc_path``; the index appears whole (written aside, then renamed)."""
    target = cdxj_path(warc_path)
    partial = target.with_name(target.name + ".part")
    with partial.open("w", encoding="utf-8") as out:
        write_cdx_index(out, [str(warc_path)], {"sort": True, "post_append": True})
    os.replace(partial, target)
    return target


class CdxjLines:
    """The CDXJ lines of one WARC file, collected as its records are appended."""

    def __init__(self, warc_path: Path):
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
            key = surt.surt(url)
        except Exception:  # cdxj-indexer keys an unparsable URL by itself
            key = url
        self._sorter.write(f"{key} {iso_date_to_timestamp(headers.get_header('WARC-Date'))} {json.dumps(entry)}\n")

    def write(self) -> Path:
        """The sorted index beside the WARC; it appears whole (written aside, then renamed)."""
        if not self.exact:
            return write_cdxj(self.warc_path)
        target = cdxj_path(self.warc_path)
        partial = target.with_name(target.name + ".part")
        with partial.open("w", encoding="utf-8") as out:
            self._sorter.out = out
            self._sorter.flush()
        os.replace(partial, target)
        return target
