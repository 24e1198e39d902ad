"""A disk that fills up for real (a small tmpfs): the run stops with one ERROR line and no
traceback, exit status 3, and leaves no empty or partial report, CDXJ index or part file;
once there is room again, the next run trips over nothing and records the rest.

Needs root (mount); tests/test_storage_faults.py covers the stop itself without it, with
RLIMIT_FSIZE."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from newsbot.testing.localsite import LocalSite
from tests.conftest import REPO, TEST_SETTINGS
from tests.test_storage_faults import ARTICLES, routes

SITE = "gginews"


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def crawl(site, out, *settings: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "scrapy", "crawl", SITE, "-a", f"base_url={site.base_url}", "-s", f"OUTPUT_DIR={out}",
           "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", *settings]
    for name, value in TEST_SETTINGS.items():
        cmd += ["-s", f"{name}={value}"]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)


def check_files(folder) -> dict[str, int]:
    """Every file a reader would open is whole: JSON Lines end in a full line, reports and
    CDXJ lines parse, WARCs pass ``warcio check``; no part files.  Returns counts by kind."""
    kinds: dict[str, int] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.name
        assert not name.endswith((".part", ".tmp")), f"left behind: {path}"
        if name == "crawl.lock" or ".sqlite3" in name:
            continue   # the lock (empty when free) and SQLite's own files
        data = path.read_bytes()
        assert data, f"empty file left behind: {path}"
        if name.endswith(".jsonl"):
            assert data.endswith(b"\n"), path
            [json.loads(line) for line in data.splitlines()]
        elif name.endswith(".json"):
            json.loads(data)
        elif name.endswith(".cdxj"):
            [json.loads(line.split(b" ", 2)[2]) for line in data.splitlines()]
        elif name.endswith(".warc.gz"):
            check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)], capture_output=True, text=True)
            assert check.returncode == 0, check.stdout + check.stderr
        kind = name.split(".", 1)[1] if "." in name else name
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def test_too_little_free_space_refuses_the_run_at_start(small_disk):
    out = small_disk / "output"
    with LocalSite(routes()) as site:
        refused = crawl(site, out)   # 400 kB free, under NEWSBOT_MIN_FREE_MB (50)
        assert site.requests == []
    assert refused.returncode == 3, refused.stderr[-3000:]
    (line,) = [line for line in refused.stderr.splitlines() if "error" in line.lower()]
    assert line.startswith(f"newsbot: error: only 0.4 MB free on the file system of {out / SITE} "
                           "(NEWSBOT_MIN_FREE_MB=50): nothing was crawled. Free space, then run again")
    assert not out.exists()


def test_a_full_disk_stops_the_run_in_one_line_and_leaves_no_litter(small_disk):
    out = small_disk / "output"
    with LocalSite(routes()) as site:
        full = crawl(site, out, "-s", "NEWSBOT_MIN_FREE_MB=0")   # let it start: the disk fills mid-run
        assert full.returncode == 3, full.stderr[-3000:]
        assert "Traceback" not in full.stderr
        errors = [line for line in full.stderr.splitlines() if "] ERROR: " in line]
        assert len(errors) == 1 and "Storage error, stopping the run: cannot write " in errors[0], errors
        assert "No space left on device" in errors[0] or "short write" in errors[0] or "disk is full" in errors[0]
        assert "storage_error" in full.stderr and "PROBLEM: storage error: cannot write" in full.stderr
        kinds = check_files(out)
        assert kinds.get("jsonl", 0) >= 1 and kinds.get("warc.gz", 0) >= 1
        written = sum(len((p.read_bytes()).splitlines()) for p in (out / SITE / "jsonl").glob("*.jsonl"))
        assert 0 < written < len(ARTICLES)

        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)   # room again
        again = crawl(site, out)
    assert again.returncode == 0, again.stderr[-3000:]
    assert check_files(out)["json"] == 1   # this run's report
    records = [json.loads(line) for p in sorted((out / SITE / "jsonl").glob("*.jsonl"))
               for line in p.read_bytes().splitlines()]
    assert sorted({int(r["article_id"]) for r in records}) == ARTICLES
