"""A run that cannot do its job does not start: another run holds the output folder or the
JOBDIR (exit 9), the state store is damaged, unreadable or locked (10), or there is no room
to write it (3).  One ``newsbot: error:`` line naming the file and the way out, no
traceback, nothing written; a damaged store is rebuilt by ``scrapy state rebuild`` and
the next run fetches exactly the articles no record holds.  All through the real CLI."""

from __future__ import annotations

import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsbot.state.sqlite import SqliteStateStore
from newsbot.testing.generated_site import GeneratedSite
from newsbot.testing.localsite import LocalSite, Route
from tests.conftest import REPO, TEST_SETTINGS, CrawlResult, run_scrapy

SITE = "gginews"
NOWHERE = "base_url=http://127.0.0.1:9"   # never reached: these runs stop before any request


def files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder``: (size, mtime) by relative path."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "error" in line.lower()]


def crawl_command(out: Path, *args: str) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", SITE, *args, "-s", f"OUTPUT_DIR={out}"]
    for name, value in TEST_SETTINGS.items():
        cmd += ["-s", f"{name}={value}"]
    return cmd


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def gated_site():
    """A site whose list page hangs until the test opens the gate: a run in progress."""
    site = GeneratedSite(30, seed=3, per_page=10)
    site.gate.clear()
    with site.serve() as server:
        yield site, server
        site.gate.set()


def start_blocked_run(server, out: Path, *extra: str) -> subprocess.Popen:
    proc = subprocess.Popen(crawl_command(out, "-a", f"base_url={server.base_url}", *extra), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # it holds its locks and waits on the list page (robots.txt answered and archived)
    wait_for(lambda: "/news/list.php" in server.requests or proc.poll() is not None)
    assert proc.poll() is None, proc.communicate()[1][-3000:]
    return proc


def test_a_second_run_into_the_same_output_dir_is_refused_and_a_killed_runs_lock_is_taken_over(gated_site, tmp_path):
    site, server = gated_site
    out = tmp_path / "out"
    first = start_blocked_run(server, out)
    lock = out / SITE / "crawl.lock"
    try:
        assert lock.read_text().splitlines()[0] == str(first.pid)
        before = files(out)
        second = run_scrapy(["crawl", SITE, "-a", f"base_url={server.base_url}"], out)
        rebuild = run_scrapy(["state", "rebuild", SITE], out)   # nor may the store be rebuilt under it
        after = files(out)
    finally:
        first.kill()   # kill -9: the kernel drops its flock; its PID stays in the file
        first.wait()
    for refused in (second, rebuild):
        assert refused.returncode == 9, refused.stderr[-3000:]
        assert "Traceback" not in refused.stderr
        (line,) = error_lines(refused.stderr)
        assert re.fullmatch(
            rf"newsbot: error: another run holds the output folder {re.escape(str(out / SITE))} \(pid {first.pid}, "
            rf"running since \S+; lock {re.escape(str(lock))}\): this run stops without writing anything, "
            rf"exit status 9", line), line
    assert after == before   # the refused runs wrote nothing
    assert lock.read_text().splitlines()[0] == str(first.pid)

    site.gate.set()
    third = run_scrapy(["crawl", SITE, "-a", f"base_url={server.base_url}"], out)
    assert third.returncode == 0, third.stderr[-3000:]
    assert f"Took over {lock}: its holder (pid {first.pid}, started " in third.stderr
    assert sorted(int(r["article_id"]) for r in third.records(SITE)) == list(site.article_ids())
    assert lock.read_bytes() == b""   # released at a normal end: nothing for the next run to take over


def test_two_runs_sharing_one_jobdir_the_second_is_refused(gated_site, tmp_path):
    site, server = gated_site
    jobdir = tmp_path / "job"
    first = start_blocked_run(server, tmp_path / "a", "-s", f"JOBDIR={jobdir}")
    try:
        before = files(jobdir)
        second = run_scrapy(["crawl", SITE, "-a", f"base_url={server.base_url}", "-s", f"JOBDIR={jobdir}"],
                            tmp_path / "b")
        assert second.returncode == 9, second.stderr[-3000:]
        assert "Traceback" not in second.stderr and "struct.error" not in second.stderr
        (line,) = error_lines(second.stderr)
        assert line.startswith(f"newsbot: error: another run holds the JOBDIR {jobdir} (pid {first.pid}, ")
        assert not (tmp_path / "b").exists()   # not even its output folder's lock file
        assert files(jobdir) == before         # the first run's queue untouched
        site.gate.set()
        _, stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, stderr[-3000:]
    assert len(CrawlResult(0, "", "", tmp_path / "a").records(SITE)) == 30


# -- the state store ---------------------------------------------------------------
def make_store(out: Path, articles: int = 300) -> Path:
    path = out / SITE / "state.sqlite3"
    store = SqliteStateStore(path, SITE)
    for idx in range(articles):
        store.mark_recorded(f"http://127.0.0.1:9/news/view.php?idx={idx}", str(idx),
                            "2024-06-01T09:00:00+09:00", None, "sha256:" + "0" * 64)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


def overwrite(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as fh:
        fh.seek(offset)
        fh.write(data)


def not_a_database(path: Path):
    overwrite(path, 0, b"this is no SQLite header")


def malformed(path: Path):
    overwrite(path, 3 * 4096 + 100, b"\xff" * 300)   # inside a b-tree page of the articles table


def a_folder(path: Path):
    for name in os.listdir(path.parent):
        if name.startswith("state.sqlite3"):
            os.unlink(path.parent / name)
    path.mkdir()


@pytest.mark.parametrize(("damage", "expected"), [
    (not_a_database, "newsbot: error: state store {path} is damaged (file is not a database); nothing was crawled. "
                     "It is never replaced silently: rebuild it from the JSON Lines records with "
                     "`scrapy state rebuild gginews -s OUTPUT_DIR={out}` (the damaged file is moved aside, not deleted)"),
    (malformed, "newsbot: error: state store {path} is damaged (integrity_check: database disk image is malformed: "
                "On tree page "),
    (a_folder, "newsbot: error: cannot open the state store {path} (unable to open database file); nothing was "
               "crawled. It must be a file this user can read and write; if it is lost, "
               "`scrapy state rebuild gginews -s OUTPUT_DIR={out}` rebuilds it"),
], ids=["not_a_database", "malformed", "a_folder"])
def test_an_unusable_state_store_stops_the_run_in_one_line_exit_10(tmp_path, damage, expected):
    out = tmp_path / "out"
    path = make_store(out)
    damage(path)
    before = files(out)
    result = run_scrapy(["crawl", SITE, "-a", NOWHERE], out)
    assert result.returncode == 10, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "start_error" not in result.stderr
    (line,) = error_lines(result.stderr)
    assert line.startswith(expected.format(path=path, out=out)), line
    # nothing written, the store untouched (the run's lock file is all it opened, emptied again)
    assert {k: v for k, v in files(out).items() if k != f"{SITE}/crawl.lock"} == \
        {k: v for k, v in before.items() if k != f"{SITE}/crawl.lock"}
    assert (out / SITE / "crawl.lock").read_bytes() == b""


def test_a_state_store_locked_by_another_process_stops_the_run_exit_10(tmp_path):
    out = tmp_path / "out"
    path = make_store(out)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")   # another process mid-write, holding SQLite's write lock
    try:
        result = run_scrapy(["crawl", SITE, "-a", NOWHERE], out, settings={"NEWSBOT_STATE_LOCK_TIMEOUT": "0.5"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 10, result.stderr[-3000:]
    (line,) = error_lines(result.stderr)
    assert line == (f"newsbot: error: state store {path} is locked by another process (database is locked, waited "
                    f"0.5 s); nothing was crawled. Find it with `fuser {path}`, let it finish or end it, then run again")
    assert not (out / SITE / "reports").exists()


def limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # ignored dispositions survive exec
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))   # no SQLite page fits: a full disk


def test_no_room_for_the_state_store_at_start_stops_the_run_exit_3(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(crawl_command(out, "-a", NOWHERE), cwd=REPO, capture_output=True, text=True, timeout=120,
                          preexec_fn=limit_file_size)
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    (line,) = error_lines(proc.stderr)
    path = out / SITE / "state.sqlite3"
    assert line == (f"newsbot: error: cannot write the state store {path} (disk I/O error): the disk is full or "
                    f"failing; nothing was crawled. Free space (df {path.parent}), then run again")
    assert files(out) == {f"{SITE}/crawl.lock": files(out)[f"{SITE}/crawl.lock"]}   # no half-made store
    assert (out / SITE / "crawl.lock").read_bytes() == b""


def test_a_rebuilt_store_lets_the_next_run_fetch_exactly_the_articles_no_record_holds(tmp_path):
    site = GeneratedSite(60, seed=12, per_page=10)
    routes = site.routes()
    routes["/news/view.php?idx=1030"] = Route(status=500, body=b"<html><body>down</body></html>")
    out = tmp_path / "out"
    with LocalSite(routes) as server:
        crawl = lambda: run_scrapy(["crawl", SITE, "-a", f"base_url={server.base_url}"], out)   # noqa: E731
        first = crawl()
        assert first.returncode == 0, first.stderr[-3000:]
        assert len(first.records(SITE)) == 59   # 1030 failed: no record, remembered for a retry
        state = out / SITE / "state.sqlite3"
        not_a_database(state)
        damaged_bytes = state.read_bytes()
        assert crawl().returncode == 10

        rebuild = run_scrapy(["state", "rebuild", SITE], out)
        assert rebuild.returncode == 0, rebuild.stderr[-3000:]
        assert "Rebuilt" in rebuild.stdout and "from 59 records in 1 JSON Lines file(s): 59 articles, 59 versions" \
            in rebuild.stdout
        (aside,) = (out / SITE).glob("state.sqlite3.damaged-*")
        assert aside.read_bytes() == damaged_bytes   # moved aside, never deleted

        new_ids = site.publish(12)
        del server.routes["/news/view.php?idx=1030"]   # the server is well again
        server.requests.clear()
        again = crawl()
    assert again.returncode == 0, again.stderr[-3000:]
    fetched = sorted(int(t.split("idx=")[1].split("&")[0]) for t in server.requests if t.startswith("/news/view.php"))
    assert fetched == sorted([*new_ids, 1030])   # exactly what no record held
    ids = [int(r["article_id"]) for r in again.records(SITE)]
    assert sorted(ids) == list(site.article_ids())   # every article once
