"""One JSON Lines file and one CDXJ index from the outputs of many workers.

Each worker of a cluster writes its own files (``<site>-<UTC>-<worker>-<serial>``), on
its own machine or beside the others.  :func:`merge_outputs` reads every worker's
``<site>/jsonl/*.jsonl`` and ``<site>/warc/*.warc.gz`` and writes:

* ``<site>-merged-<UTC>.jsonl``: every record once.  Two records are the same when they
  have the same ``id`` and ``content_digest`` (one version of one article); the one
  crawled first is kept.  A later version of an article is a different record and is
  kept too.  Sorted by ``id``, then ``crawled_at``.
* ``<site>-merged-<UTC>.cdxj``: a sorted CDXJ index (cdxj-indexer, as pywb uses) of every
  WARC, by file name, so one pywb collection can replay the whole cluster's archive.

Both are written aside and renamed into place, so a reader never sees half a file.  A
line that is not a JSON object (a disk filled mid-write) is skipped, counted, and named
once per file.
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from newsbot.output import utc_stamp

logger = logging.getLogger(__name__)


@dataclass
class MergeResult:
    jsonl: Path
    cdxj: Path | None
    records: int = 0
    duplicates: int = 0
    bad_lines: int = 0
    damaged_warcs: int = 0
    inputs: Counter = field(default_factory=Counter)  # kind -> number of files read
    warc_names: list[str] = field(default_factory=list)


def _files(inputs: list[Path], site: str, kind: str, pattern: str) -> list[Path]:
    return sorted({p for root in inputs for p in (Path(root) / site / kind).glob(pattern)})


def _write_aside(target: Path, write) -> None:
    partial = target.with_name(target.name + ".part")
    with partial.open("w", encoding="utf-8") as out:
        write(out)
    os.replace(partial, target)


def merge_outputs(inputs: list[Path], site: str, output: Path) -> MergeResult:
    output.mkdir(parents=True, exist_ok=True)
    stamp = utc_stamp()
    result = MergeResult(jsonl=output / f"{site}-merged-{stamp}.jsonl", cdxj=None)

    kept: dict[tuple, dict] = {}
    for path in _files(inputs, site, "jsonl", "*.jsonl"):
        result.inputs["jsonl"] += 1
        bad_here = 0
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                try:
                    record = json.loads(line)
                    key = (record["id"], record.get("content_digest"))
                except (ValueError, KeyError, TypeError):
                    bad_here += 1
                    continue
                earlier = kept.get(key)
                if earlier is None:
                    kept[key] = record
                else:
                    result.duplicates += 1
                    if (record.get("crawled_at") or "") < (earlier.get("crawled_at") or ""):
                        kept[key] = record
        if bad_here:
            result.bad_lines += bad_here
            logger.warning("Merge: skipped %d line(s) that are not whole JSON records in %s", bad_here, path)
    records = sorted(kept.values(), key=lambda r: (str(r["id"]), r.get("crawled_at") or ""))
    result.records = len(records)

    def write_jsonl(out):
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

    _write_aside(result.jsonl, write_jsonl)

    warcs = _files(inputs, site, "warc", "*.warc.gz")
    result.inputs["warc"] = len(warcs)
    names = Counter(p.name for p in warcs)
    clashes = sorted(name for name, n in names.items() if n > 1)
    if clashes:
        # A CDXJ line names its WARC by file name: two files of one name cannot both be replayed.
        raise ValueError(f"WARC file names occur in more than one input: {', '.join(clashes)}")
    result.warc_names = sorted(names)
    if warcs:
        lines = []
        for warc in warcs:
            lines.extend(_index_lines(warc, result))
        lines.sort()  # CDXJ order: SURT key, then timestamp (what cdxj-indexer's sort does)
        result.cdxj = output / f"{site}-merged-{stamp}.cdxj"
        _write_aside(result.cdxj, lambda out: out.writelines(line + "\n" for line in lines))
    return result


def _index_lines(warc: Path, result: MergeResult) -> list[str]:
    """CDXJ lines of one WARC; of a WARC cut short (a killed worker), its whole records."""
    from cdxj_indexer.main import write_cdx_index

    buffer = io.StringIO()
    try:
        write_cdx_index(buffer, [str(warc)], {"post_append": True})
    except Exception as exc:  # warcio/zlib errors on a torn last record: keep what was indexed
        result.damaged_warcs += 1
        logger.warning("Merge: %s is damaged after its last whole record (%s); indexed up to there",
                       warc, exc.__class__.__name__)
    return [line for line in buffer.getvalue().splitlines() if line.strip()]
