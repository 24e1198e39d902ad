"""Bad input from the user, through the real ``scrapy crawl``: one clear line naming the
problem, exit status 2, no traceback, nothing written."""

from __future__ import annotations

import gzip
import os

import pytest

from tests.conftest import REPO, run_scrapy

SPIDER_ARGS = "base_url, max_pages, since, start_urls, until, urls"


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "error" in line.lower()]


def assert_usage_error(result, expected_line: str):
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert error_lines(result.stderr) == [expected_line]
    assert result.stderr.rstrip("\n").splitlines()[-1] == expected_line
    written = [p for p in result.output_dir.rglob("*")] if result.output_dir.exists() else []
    assert written == []  # no empty JSONL/WARC, no state file, no report


def test_unknown_spider(tmp_path):
    result = run_scrapy(["crawl", "gginewz"], tmp_path / "out")
    assert_usage_error(result, "newsbot: error: unknown spider 'gginewz' (known: " + result.stderr.split("(known: ")[1].splitlines()[0])
    assert "gginews" in error_lines(result.stderr)[0]


def test_unknown_argument(tmp_path):
    result = run_scrapy(["crawl", "gginews", "-a", "max_page=2"], tmp_path / "out")
    known = result.stderr.split("(known: ")[1].split(")")[0] if "(known: " in result.stderr else ""
    assert "max_pages" in known.split(", ")
    assert_usage_error(result, f"newsbot: error: unknown argument(s) max_page for spider 'gginews' (known: {known})")


@pytest.mark.parametrize(("argument", "value", "bad"), [
    ("urls", "www.gginews.kr/news/view.php?idx=1", "www.gginews.kr/news/view.php?idx=1"),
    ("start_urls", "http://127.0.0.1:9/a,ftp://x/y", "ftp://x/y"),
    ("urls", "http://", "http://"),
])
def test_malformed_urls(tmp_path, argument, value, bad):
    result = run_scrapy(["crawl", "gginews", "-a", f"{argument}={value}"], tmp_path / "out")
    assert_usage_error(result, f"newsbot: error: -a {argument}: not an absolute http(s) URL: {bad!r}")


def test_replay_warc_that_does_not_exist(tmp_path):
    missing = tmp_path / "nothere.warc.gz"
    result = run_scrapy(["crawl", "gginews", "-s", f"REPLAY_WARC={missing}"], tmp_path / "out")
    assert_usage_error(result, f"newsbot: error: REPLAY_WARC: no such WARC file or folder: {missing}")


@pytest.mark.parametrize("content", [
    b"<html><body>a web page saved as .warc.gz</body></html>\n",
    gzip.compress(b"just some gzip'd text\nover two lines\n"),
    b"",
])
def test_replay_warc_that_is_not_a_warc(tmp_path, content):
    fake = tmp_path / "fake.warc.gz"
    fake.write_bytes(content)
    result = run_scrapy(["crawl", "gginews", "-s", f"REPLAY_WARC={fake}"], tmp_path / "out")
    assert result.returncode == 2, result.stderr[-3000:]
    (line,) = error_lines(result.stderr)
    assert line.startswith(f"newsbot: error: REPLAY_WARC: {fake} is not")
    assert_usage_error(result, line)


def test_replay_folder_without_warcs(tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "notes.txt").write_text("no archives here")
    result = run_scrapy(["crawl", "gginews", "-s", f"REPLAY_WARC={folder}"], tmp_path / "out")
    assert_usage_error(result, f"newsbot: error: REPLAY_WARC: no .warc or .warc.gz files in {folder}")


def test_output_dir_under_a_file(tmp_path):
    blocker = tmp_path / "output"
    blocker.write_text("a file where a folder should be")
    result = run_scrapy(["crawl", "gginews", "-s", f"REPLAY_WARC={REPO / 'samples/gginews-sample.warc.gz'}"],
                        blocker / "run")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert error_lines(result.stderr) == [f"newsbot: error: OUTPUT_DIR {blocker / 'run'}: {blocker} is not a directory"]
    assert blocker.read_text() == "a file where a folder should be"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through directory permissions")
def test_output_dir_not_writable(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        result = run_scrapy(["crawl", "gginews", "-s", f"REPLAY_WARC={REPO / 'samples/gginews-sample.warc.gz'}"],
                            locked / "out")
    finally:
        locked.chmod(0o700)
    assert_usage_error(result, f"newsbot: error: OUTPUT_DIR {locked / 'out'}: {locked} is not writable")


def test_a_good_replay_still_runs(tmp_path):
    """The checks above do not get in the way of a valid run (the same command, good input)."""
    result = run_scrapy(["crawl", "gginews", "-s", f"REPLAY_WARC={REPO / 'samples/gginews-sample.warc.gz'}"],
                        tmp_path / "out")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "newsbot: error" not in result.stderr
    assert len(result.records("gginews")) == 5


def test_unexpected_startup_failure_is_not_swallowed(tmp_path):
    # Not a usage error but a bug or a broken deployment: the whole traceback, exit 1.
    result = run_scrapy(["crawl", "gginews", "-s", 'ITEM_PIPELINES={"newsbot.no_such_module.Pipeline": 1}'],
                        tmp_path / "out")
    assert result.returncode == 1
    assert "The crawl could not start" in result.stderr
    assert "ModuleNotFoundError: No module named 'newsbot.no_such_module'" in result.stderr


# -- scrapy reparse: the same one line, before any shard process starts -------------------------
@pytest.mark.parametrize(("args", "expected"), [
    (["gginewz", "{tmp}"], "newsbot: error: unknown spider 'gginewz' (known: "),
    (["gginews", "{tmp}/nothere"], "newsbot: error: no such WARC file or folder: {tmp}/nothere"),
    (["gginews", "{tmp}"], "newsbot: error: no .warc or .warc.gz files in {tmp}"),
    (["gginews"], "newsbot: error: usage: scrapy reparse <spider> <warc file or folder> [...]"),
])
def test_reparse_bad_input(tmp_path, args, expected):
    (tmp_path / "notes.txt").write_text("not an archive")
    args = [a.format(tmp=tmp_path) for a in args]
    result = run_scrapy(["reparse", *args, "--processes", "2"], tmp_path / "out")
    expected = expected.format(tmp=tmp_path)
    (line,) = error_lines(result.stderr)
    assert line.startswith(expected) and (line == expected or expected.endswith("(known: "))
    assert_usage_error(result, line)
    assert "Re-parsing" not in result.stderr   # no shard was handed out
