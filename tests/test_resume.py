"""A backfill killed with SIGKILL (or stopped with SIGTERM) and started again with the same
JOBDIR finishes with every article exactly once, in the JSON Lines and in the archive."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsbot.testing.generated_site import GeneratedSite
from tests.conftest import REPO, TEST_SETTINGS

SITE = "gginews"
ARTICLES = 300


def backfill_command(server, site, out, jobdir):
    cmd = [sys.executable, "-m", "scrapy", "crawl", SITE, "-a", f"base_url={server.base_url}",
           "-a", f"since={site.published(site.first_idx).date()}",
           "-s", f"OUTPUT_DIR={out}", "-s", f"JOBDIR={jobdir}", "-s", "LOGSTATS_INTERVAL=1",
           # more than production's 2 per host: the loopback site is ours, and the test stays short
           "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
    for name, value in TEST_SETTINGS.items():
        cmd += ["-s", f"{name}={value}"]
    return cmd


def jsonl_lines(out, finished_only=True):
    lines = []
    # a run still writing (or killed) has its file under <name>.jsonl.open (docs/records.md)
    for path in sorted((out / SITE / "jsonl").glob("*.jsonl" if finished_only else "*.jsonl*")):
        data = path.read_bytes()
        assert data == b"" or data.endswith(b"\n"), f"{path.name} ends in a partial line"
        lines.extend(data.decode("utf-8").splitlines())
    return lines


def start_and_interrupt(cmd, out, sig, after_lines):
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if (out / SITE / "jsonl").exists() and len(jsonl_lines(out, finished_only=False)) >= after_lines:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the crawl ended before it could be interrupted"
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, stderr


def assert_each_article_once(site, out, server_base):
    records = [json.loads(line) for line in jsonl_lines(out)]  # every line whole JSON
    assert Counter(r["article_id"] for r in records) == Counter(str(i) for i in site.article_ids())
    responses = Counter()
    for warc in sorted((out / SITE / "warc").glob("*.warc.gz")):
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(warc)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                if record.rec_type == "response" and "view.php" in uri:
                    responses[uri.split("idx=")[1].split("&")[0]] += 1
    # exactly one full response per article; a re-fetch after the crash is a revisit record
    assert responses == Counter(str(i) for i in site.article_ids())
    return records


@pytest.fixture
def slow_site():
    site = GeneratedSite(ARTICLES, seed=21, per_page=20, delay=0.01)
    with site.serve() as server:
        yield site, server


def test_sigkill_mid_backfill_then_resume_loses_nothing_and_duplicates_nothing(slow_site, tmp_path):
    site, server = slow_site
    out, jobdir = tmp_path / "out", tmp_path / "job"
    cmd = backfill_command(server, site, out, jobdir)

    status, _ = start_and_interrupt(cmd, out, signal.SIGKILL, after_lines=80)
    assert status == -signal.SIGKILL
    assert jsonl_lines(out) == []   # nothing finished: a consumer sees no half-written file
    written_before = len(jsonl_lines(out, finished_only=False))
    assert 80 <= written_before < ARTICLES
    assert (jobdir / "requests.queue").is_dir()
    assert not (jobdir / "requests.seen").exists()  # the run-scoped dupefilter keeps no seen file

    resumed = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert_each_article_once(site, out, server.base_url)
    assert "Progress:" in resumed.stderr


def test_sigterm_closes_files_cleanly_and_resume_finishes(slow_site, tmp_path):
    site, server = slow_site
    out, jobdir = tmp_path / "out", tmp_path / "job"
    cmd = backfill_command(server, site, out, jobdir)

    status, stderr = start_and_interrupt(cmd, out, signal.SIGTERM, after_lines=60)
    assert status == 0, stderr[-3000:]
    assert "Crawl report for gginews (backfill" in stderr and "shutdown" in stderr
    (report_path,) = (out / SITE / "reports").glob("*.json")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["finish_reason"] == "shutdown" and report["exit_status"] == 0
    assert report["new"] == len(jsonl_lines(out))
    assert (jobdir / "requests.queue" / "active.json").exists()  # Scrapy saved its queue

    resumed = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert_each_article_once(site, out, server.base_url)
