#!/usr/bin/env python3
"""Build ``samples/<site>-sample.warc.gz``: the offline demo's archive.

Serves a fixture site (``tests/fixtures/<site>/``: pages written for this project in the
CMS's real structure, with invented text) on 127.0.0.1, crawls it with the real spider,
then moves every record to the outlet's public address, so that
``scrapy crawl <site> -s REPLAY_WARC=samples/<site>-sample.warc.gz`` replays it with the
spider's default addresses.  Record ids, dates and payloads are kept; the warcinfo record
says plainly that this is a sample, not a capture of the outlet.

    python scripts/build_sample_archive.py gginews
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newsbot.testing.localsite import LocalSite, load_routes  # noqa: E402
from newsbot.warc.writer import RollingWarcWriter  # noqa: E402


def public_base(site: str) -> str:
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    return SpiderLoader.from_settings(get_project_settings()).load(site).base_url.rstrip("/")


def crawl_fixture_site(site: str, workdir: Path) -> tuple[str, list[Path]]:
    with LocalSite(load_routes(REPO / "tests" / "fixtures" / site)) as server:
        subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", site, "-a", f"base_url={server.base_url}",
             "-s", f"OUTPUT_DIR={workdir}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
             "-s", "LOG_LEVEL=WARNING"],
            cwd=REPO, check=True,
        )
        return server.base_url, sorted((workdir / site / "warc").glob("*.warc.gz"))


def moved(record, writer: RollingWarcWriter, local: str, public: str):
    """The same record at the public address (ids, dates and payload unchanged)."""
    headers = {k: v.replace(local, public) for k, v in record.rec_headers.headers
               if k not in ("WARC-Block-Digest", "Content-Length", "WARC-Filename")}
    http = record.http_headers
    if http is not None:
        pairs = [(k, v.replace(local.split("://")[1], public.split("://")[1]) if k.lower() == "host" else v)
                 for k, v in http.headers]
        http = StatusAndHeaders(http.statusline, pairs, protocol=http.protocol)
    payload = record.raw_stream.read()
    return writer.builder.create_warc_record(
        headers.pop("WARC-Target-URI", ""), record.rec_type, payload=io.BytesIO(payload), length=len(payload),
        http_headers=http, warc_headers_dict=headers,
    )


def build(site: str, out: Path) -> Path:
    public = public_base(site)
    with tempfile.TemporaryDirectory() as tmp:
        local, warcs = crawl_fixture_site(site, Path(tmp) / "crawl")
        writer = RollingWarcWriter(Path(tmp) / "sample", site, max_size=1 << 40, compress_level=9, warcinfo={
            "software": "newsbot scripts/build_sample_archive.py",
            "description": f"Sample archive for the offline demo, crawled from newsbot's own fixture "
                           f"pages for {site} (invented text); not a capture of {public}.",
            "format": "WARC File Format 1.1",
        })
        for path in warcs:
            with path.open("rb") as fh:
                records = [moved(r, writer, local, public) for r in ArchiveIterator(fh) if r.rec_type != "warcinfo"]
            writer.write_records(records)
        writer.close()
        out.parent.mkdir(parents=True, exist_ok=True)
        writer.path.replace(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default="gginews")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    out = build(args.site, args.out or REPO / "samples" / f"{args.site}-sample.warc.gz")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
