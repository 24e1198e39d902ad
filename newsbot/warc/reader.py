"""The one path that reads archives: used by replay (and re-parse).

``warc_paths`` expands a file or folder; ``iter_responses`` walks response records;
``ArchiveIndex`` maps URLs to record positions and loads one record on demand, so a
large archive is never held in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

logger = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc.gz", ".warc")


class ArchiveError(Exception):
    """An archive path that is missing, empty or unreadable."""


def warc_paths(location: str | Path) -> list[Path]:
    path = Path(location)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.name.endswith(WARC_SUFFIXES))
        if not files:
            raise ArchiveError(f"no .warc or .warc.gz files in {path}")
        return files
    if path.is_file():
        return [path]
    raise ArchiveError(f"no such WARC file or folder: {path}")


@dataclass(frozen=True)
class StoredResponse:
    url: str
    status: int
    protocol: str
    headers: list[tuple[str, str]]
    body: bytes          # payload as received (still Content-Encoded)
    filename: str
    record_id: str
    offset: int


def _stored(record, path: Path, offset: int) -> StoredResponse:
    http = record.http_headers
    status = int((http.get_statuscode() or "0")) if http else 0
    return StoredResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=status,
        protocol=http.protocol if http else "HTTP/1.1",
        headers=list(http.headers) if http else [],
        body=record.raw_stream.read(),
        filename=path.name,
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        offset=offset,
    )


def iter_responses(location: str | Path) -> Iterator[StoredResponse]:
    """Every ``response`` record of every WARC at ``location``, in file order."""
    for path in warc_paths(location):
        with path.open("rb") as fh:
            records = ArchiveIterator(fh)
            for record in records:
                if record.rec_type == "response":
                    yield _stored(record, path, records.get_record_offset())


class ArchiveIndex:
    """URL -> position of its latest response record, across all files at a location."""

    def __init__(self, location: str | Path):
        self.positions: dict[str, tuple[Path, int]] = {}
        self._canonical: dict[str, tuple[Path, int]] | None = None
        for path in warc_paths(location):
            with path.open("rb") as fh:
                records = ArchiveIterator(fh)
                for record in records:
                    if record.rec_type == "response":
                        url = record.rec_headers.get_header("WARC-Target-URI")
                        self.positions[url] = (path, records.get_record_offset())

    def __len__(self) -> int:
        return len(self.positions)

    def __contains__(self, url: str) -> bool:
        return url in self.positions

    def get(self, url: str, canonicalize=None) -> StoredResponse | None:
        """The record for ``url``; failing that, for the same canonical URL (``canonicalize``),
        as replay tools match an article linked under another spelling."""
        position = self.positions.get(url)
        if position is None and canonicalize is not None:
            if self._canonical is None:
                self._canonical = {canonicalize(u): p for u, p in self.positions.items()}
            position = self._canonical.get(canonicalize(url))
        if position is None:
            return None
        path, offset = position
        with path.open("rb") as fh:
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh)))
            return _stored(record, path, offset)
