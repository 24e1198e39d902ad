"""A CDXJ index beside each finished WARC: ``<name>.warc.gz`` -> ``<name>.cdxj``.

Written with cdxj-indexer (the indexer pywb's tooling uses), sorted, one index per WARC
file so concurrent processes never share an index file.  pywb reads a folder of them
(``index_paths``); ``cdxj-indexer`` rebuilds one for a WARC left by a killed process.
"""

from __future__ import annotations

import os
from pathlib import Path

from cdxj_indexer.main import write_cdx_index


def cdxj_path(warc_path: Path) -> Path:
    name = warc_path.name
    for suffix in (".warc.gz", ".warc"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return warc_path.with_name(name + ".cdxj")


def write_cdxj(warc_path: Path) -> Path:
    """Index ``warc_path``; the index appears whole (written aside, then renamed)."""
    target = cdxj_path(warc_path)
    partial = target.with_name(target.name + ".part")
    with partial.open("w", encoding="utf-8") as out:
        write_cdx_index(out, [str(warc_path)], {"sort": True, "post_append": True})
    os.replace(partial, target)
    return target
