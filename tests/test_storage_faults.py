"""A disk that fills up mid-run: the run stops with one clear line and exit status 3, every
file written stays readable, and the state store never claims an article whose record
was not written.  The disk is "full" for real: the crawl runs under RLIMIT_FSIZE with
SIGXFSZ ignored, so a write past the limit is cut short and the next fails with EFBIG."""

from __future__ import annotations

import json
import random
import resource
import signal
import sqlite3
import subprocess
import sys

from warcio.archiveiterator import ArchiveIterator

from newsbot.testing import faults as F
from newsbot.testing.localsite import LocalSite, Route
from tests.conftest import REPO, TEST_SETTINGS, CrawlResult

ARTICLES = list(range(91001, 91031))
FILE_SIZE_LIMIT = 512 * 1024


def hangul(rng: random.Random, n: int) -> str:
    return "".join(chr(rng.randrange(0xAC00, 0xD7A4)) for _ in range(n))


def routes():
    rng = random.Random(6)
    table = {
        "/news/list.php": Route(body=F.list_html([f"/news/view.php?idx={i}" for i in ARTICLES])),
        "/news/list.php?page=2": Route(body=F.list_html([])),
    }
    for idx in ARTICLES:
        # ~30 KB of UTF-8 that compresses poorly: the JSON Lines and WARC files grow fast.
        paragraphs = [hangul(rng, 2500) for _ in range(4)]
        table[f"/news/view.php?idx={idx}"] = Route(body=F.article_html(idx, f"기사 {idx}", paragraphs))
    return table


def limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # ignored dispositions survive exec
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def crawl(site, out, limited: bool) -> CrawlResult:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "gginews", "-a", f"base_url={site.base_url}",
           "-s", f"OUTPUT_DIR={out}", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    for name, value in TEST_SETTINGS.items():
        cmd += ["-s", f"{name}={value}"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120,
                          preexec_fn=limit_file_size if limited else None)
    return CrawlResult(proc.returncode, proc.stdout, proc.stderr, out)


def jsonl_records(out) -> list[dict]:
    rows = []
    for path in sorted((out / "gginews" / "jsonl").glob("*.jsonl")):
        data = path.read_bytes()
        assert not data or data.endswith(b"\n"), path  # whole lines only
        rows.extend(json.loads(line) for line in data.decode("utf-8").splitlines())
    return rows


def warc_record_ids(out) -> set[str]:
    ids = set()
    for warc in sorted((out / "gginews" / "warc").glob("*.warc.gz")):
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(warc)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        with warc.open("rb") as fh:
            ids |= {r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(fh)}
    return ids


def recorded_urls(out) -> set[str]:
    db = sqlite3.connect(out / "gginews" / "state.sqlite3")
    try:
        return {url for (url,) in db.execute("SELECT canonical_url FROM articles")}
    finally:
        db.close()


def test_disk_full_mid_run_stops_cleanly_and_state_agrees_with_output(tmp_path):
    out = tmp_path / "output"
    with LocalSite(routes()) as site:
        full = crawl(site, out, limited=True)
        records = jsonl_records(out)
        warc_ids = warc_record_ids(out)
        recorded = recorded_urls(out)
        again = crawl(site, out, limited=False)

    assert full.returncode == 3, full.stderr[-3000:]
    lines = [line for line in full.stderr.splitlines() if "Storage error, stopping the run: cannot write" in line]
    assert len(lines) == 1, full.stderr[-3000:]
    # whichever file hit the limit first: a JSON Lines/WARC write, or SQLite (state, views)
    assert any(reason in lines[0] for reason in ("File too large", "short write", "disk I/O error", "disk is full"))
    assert full.stats()["finish_reason"] == "storage_error"
    assert 0 < len(records) < len(ARTICLES)  # it really stopped part-way

    # the seen-store claims exactly the articles whose JSON record exists, each in the WARC
    assert recorded <= {r["canonical_url"] for r in records}
    assert all(r["warc_record_id"] in warc_ids for r in records)

    # with room again, the next run records the rest: every article once, none lost
    assert again.returncode == 0, again.stderr[-3000:]
    all_records = jsonl_records(out)
    # written twice only if written but not yet marked when the disk filled (the safe direction)
    written_not_marked = {r["canonical_url"] for r in records} - recorded
    urls = [r["canonical_url"] for r in all_records]
    assert {u for u in urls if urls.count(u) > 1} == written_not_marked
    assert sorted({int(r["article_id"]) for r in all_records}) == ARTICLES
    assert len(recorded_urls(out)) == len(ARTICLES)
    warc_record_ids(out)
