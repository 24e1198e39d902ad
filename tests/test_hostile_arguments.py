"""Hostile or careless arguments, through the real ``scrapy crawl``: URLs with credentials,
a malformed Redis URL, URLs that are not the outlet's.  Each is one ``newsbot: error:``
line (no password in it, nor anywhere in the output), exit status 2, nothing written;
``-a allow_foreign=1`` crawls a foreign page anyway, flagged in its record and the report."""

from __future__ import annotations

import json

import pytest

from newsbot.testing import faults as F
from newsbot.testing.localsite import LocalSite, Route
from tests.conftest import run_scrapy
from tests.test_cli_errors import assert_usage_error

SECRET = "s3cret-pw"


@pytest.mark.parametrize("argument", ["urls", "start_urls", "base_url"])
@pytest.mark.parametrize(("url", "shown"), [
    (f"http://user:{SECRET}@127.0.0.1:9/news/view.php?idx=1", "http://user:***@127.0.0.1:9/news/view.php?idx=1"),
    ("http://user@127.0.0.1:9/news/view.php?idx=1", "http://user@127.0.0.1:9/news/view.php?idx=1"),
])
def test_urls_with_credentials_are_refused_without_echoing_the_password(tmp_path, argument, url, shown):
    result = run_scrapy(["crawl", "gginews", "-a", f"{argument}={url}"], tmp_path / "out")
    assert_usage_error(result, f"newsbot: error: -a {argument}: a URL with user credentials is not accepted: {shown!r}")
    assert SECRET not in result.stderr + result.stdout


@pytest.mark.parametrize(("redis_url", "detail"), [
    (f"redis://:{SECRET}@127.0.0.1:abc/0", "Port could not be cast to integer value as 'abc'"),
    (f"redis://user:{SECRET}@127.0.0.1:99999/0", "Port out of range 0-65535"),
    (f"http://:{SECRET}@127.0.0.1:6379/0", "Redis URL must specify one of the following schemes (redis://, rediss://, unix://)"),
])
@pytest.mark.parametrize("source", ["setting", "environment"])
def test_a_malformed_redis_url_is_one_line_with_the_password_masked(tmp_path, redis_url, detail, source):
    shown = redis_url.replace(SECRET, "***")
    if source == "setting":
        result = run_scrapy(["crawl", "gginews"], tmp_path / "out", settings={"REDIS_URL": redis_url})
        name = "REDIS_URL"
    else:
        result = run_scrapy(["crawl", "gginews"], tmp_path / "out", env={"NEWSBOT_REDIS_URL": redis_url})
        name = "NEWSBOT_REDIS_URL"
    assert_usage_error(result, f"newsbot: error: {name}: not a usable Redis URL: {shown!r} ({detail})")
    assert SECRET not in result.stderr + result.stdout


@pytest.mark.parametrize(("argument", "value", "message"), [
    ("urls", "http://127.0.0.1:9/news/view.php?idx=1",
     "'http://127.0.0.1:9/news/view.php?idx=1' is not on gginews's site (http://www.gginews.kr); "
     "give -a base_url= for a mirror, or -a allow_foreign=1 crawls it anyway"),
    ("urls", "http://www.gginews.kr/about/company.html",
     "'http://www.gginews.kr/about/company.html' is not an article URL of gginews (mcode CMS); "
     "-a allow_foreign=1 crawls it anyway"),
    ("urls", "http://www.gginews.kr:8080/news/view.php?idx=1",
     "'http://www.gginews.kr:8080/news/view.php?idx=1' is not on gginews's site (http://www.gginews.kr); "
     "give -a base_url= for a mirror, or -a allow_foreign=1 crawls it anyway"),
    ("start_urls", "http://127.0.0.1:9/news/list.php",
     "'http://127.0.0.1:9/news/list.php' is not on gginews's site (http://www.gginews.kr); "
     "give -a base_url= for a mirror, or -a allow_foreign=1 crawls it anyway"),
])
def test_urls_that_are_not_the_outlets_are_refused(tmp_path, argument, value, message):
    result = run_scrapy(["crawl", "gginews", "-a", f"{argument}={value}"], tmp_path / "out")
    assert_usage_error(result, f"newsbot: error: -a {argument}: {message}")


def test_allow_foreign_crawls_a_foreign_page_and_flags_it(tmp_path):
    page = F.article_html(1, "다른 매체의 공지", [])     # a title, no body
    with LocalSite({"/notice.html": Route(body=page)}) as foreign, LocalSite({}) as outlet:
        result = run_scrapy(["crawl", "gginews", "-a", f"base_url={outlet.base_url}", "-a", "allow_foreign=1",
                             "-a", f"urls={foreign.url('/notice.html')}"], tmp_path / "out")
    assert result.returncode == 0, result.stderr[-3000:]
    (record,) = result.records("gginews")
    assert record["url"] == foreign.url("/notice.html")
    assert (record["title"], record["body"]) == ("다른 매체의 공지", "")
    assert record["extraction_warnings"] == ["url:foreign", "body"]   # was ["body"] alone, as the outlet's own
    (path,) = (result.output_dir / "gginews" / "reports").glob("*.json")
    report = json.loads(path.read_text(encoding="utf-8"))
    assert [(p["cause"], p["exit_status"]) for p in report["problems"]] == [("foreign_urls", 0)]
    assert report["problems"][0]["message"] == (
        f"1 URL(s) given are not gginews's (first: {foreign.url('/notice.html')}): crawled anyway "
        f"(-a allow_foreign=1), their records flagged url:foreign")
    assert report["extraction_warnings"]["by_field"]["url:foreign"] == 1
    assert report["extraction_warnings"]["items"] == 1    # the missing body, not the flag, counts there
