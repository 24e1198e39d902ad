"""Every newsbot command (crawl, reparse, merge, wacz, changes, crawlall, outlets, detect,
state)
refuses bad input the same way: one ``newsbot: error: ...`` line on
stderr (the last), exit status 2, no traceback, no usage text, nothing written; whether
newsbot, Scrapy's option parsing or a setting checked as the crawler is built says no."""

from __future__ import annotations

import pytest

from tests.conftest import run_scrapy


@pytest.mark.parametrize(("args", "message"), [
    # Scrapy's own option parsing
    (["crawl", "gginews", "--no-such-option"], "unknown option(s): --no-such-option (-h lists the options)"),
    (["crawl", "gginews", "-s", "NOEQUALS"], "Invalid -s value, use -s NAME=VALUE"),
    (["crawl", "gginews", "-a", "NOEQUALS"], "Invalid -a value, use -a NAME=VALUE"),
    (["crawl", "gginews", "idomin"], "running 'scrapy crawl' with more than one spider is not supported"),
    # a setting a spider checks while the crawler is built (newsbot/browser.py)
    (["crawl", "gginews", "-s", "BROWSER_ENABLED=1", "-s", "BROWSER_EXECUTABLE=/no/such/chromium"],
     "BROWSER_EXECUTABLE='/no/such/chromium': no such program; install Chromium (apt-get install chromium) "
     "or point BROWSER_EXECUTABLE at it"),
    (["crawl", "gginews", "-s", "NEWSBOT_RUN_ID=no spaces"],
     "NEWSBOT_RUN_ID: not a run id (letters, digits and . _ : -, at most 100): 'no spaces'"),
    (["reparse", "gginews"], "usage: scrapy reparse <spider> <warc file or folder> [...]"),
    (["reparse", "gginews", "/no/such/archive"], "no such WARC file or folder: /no/such/archive"),
    (["reparse", "--processes", "many", "gginews", "/tmp"], "argument --processes: invalid int value: 'many'"),
    (["merge"], "usage: scrapy merge <site> [OUTPUT_DIR ...]"),
    (["merge", "gginews", "/no/such/output"], "no gginews/ output in: /no/such/output"),
    (["merge", "gginews", "--bogus"], "unknown option(s): --bogus (-h lists the options)"),
    (["wacz", "gginews", "--since", "yesterday"], None),   # the site has no folder: checked first
    (["wacz"], "usage: scrapy wacz <site> [--run RUN] [--since YYYY-MM-DD] [--until YYYY-MM-DD] "
               "[-o FILE.wacz]"),
    (["changes", "gginews", "--max-files", "0"], None),
    (["crawlall", "--bogus"], "unknown option(s): --bogus (-h lists the options)"),
    (["crawlall", "--concurrent-outlets", "x"], "argument --concurrent-outlets: invalid int value: 'x'"),
    (["outlets", "--bogus"], "unknown option(s): --bogus (-h lists the options)"),
    (["detect", "--bogus"], "unknown option(s): --bogus (-h lists the options)"),
    (["state", "check", "gginews", "--bogus"], "unknown option(s): --bogus (-h lists the options)"),
    (["state", "repair", "gginews"], "usage: scrapy state check|rebuild <site> [--force]"),
    (["changes", "gginews", "--stream", "everything"], "argument --stream: invalid choice: 'everything' "
                                                       "(choose from 'jsonl', 'reparse', 'warc')"),
])
def test_one_newsbot_error_line_and_exit_status_2(tmp_path, args, message):
    out = tmp_path / "out"
    result = run_scrapy(args, out)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "usage:" not in result.stderr.lower().replace("error: usage:", "")
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and result.stderr.rstrip("\n").splitlines()[-1] == errors[0], result.stderr[-2000:]
    assert errors[0].startswith("newsbot: error: ")
    if message is not None:
        assert errors[0] == f"newsbot: error: {message}"
    assert not out.exists() or list(out.rglob("*")) == []
