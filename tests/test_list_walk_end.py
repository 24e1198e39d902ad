"""Every list walk ends on its own, on a site that answers every page number past the end of
its list with the last page (as many PHP CMSes do): at the page that repeats an earlier
one, in a backfill older than the oldest article and in the run after a killed one; and,
as a last resort, at ``NEWSBOT_MAX_LIST_PAGES``, reported (exit 12) and left open for the
next run.  Each end is counted in the report's ``list_walks``."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest

from newsbot.state.sqlite import SqliteStateStore
from newsbot.testing.generated_site import GeneratedSite

SITE = "gginews"


@pytest.fixture
def endless():
    site = GeneratedSite(25, seed=5, per_page=10, past_the_end="last")   # pages 1-3, then page 3 forever
    with site.serve() as server:
        yield site, server


def list_targets(requests) -> list[str]:
    return [t for t in requests if t.startswith("/news/list.php")]


def latest_report(out) -> dict:
    path = sorted((out / SITE / "reports").glob("*.json"))[-1]
    return json.loads(path.read_text(encoding="utf-8"))


def open_walk(out):
    db = sqlite3.connect(out / SITE / "state.sqlite3")
    try:
        row = db.execute("SELECT value FROM marks WHERE name='open_walk'").fetchone()
    finally:
        db.close()
    return json.loads(row[0]) if row else None


def test_the_site_answers_past_the_end_with_its_last_page(endless):
    site, _ = endless
    assert site.page_ids(3) == [1005, 1004, 1003, 1002, 1001] and site.page_count == 3
    assert "view.php?idx=1001" in site._render_list({"page": ["9"]}) != site.list_html(3)


def test_a_backfill_older_than_the_oldest_article_ends_at_the_repeated_page(endless, crawl, tmp_path):
    site, server = endless
    out = tmp_path / "out"
    since = site.published(site.first_idx).date() - timedelta(days=30)
    result = crawl(SITE, "-a", f"base_url={server.base_url}", "-a", f"since={since}", output_dir=out)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(int(r["article_id"]) for r in result.records(SITE)) == list(site.article_ids())
    assert list_targets(server.requests) == ["/news/list.php", "/news/list.php?page=2", "/news/list.php?page=3",
                                             "/news/list.php?page=4"]
    assert f"List page {server.base_url}/news/list.php?page=4 repeats {server.base_url}/news/list.php?page=3: " \
           "the end of this list" in result.stderr
    report = latest_report(out)
    assert report["list_walks"] == {"repeated_page": 1}
    assert report["list_pages"] == 4 and report["exit_status"] == 0 and report["problems"] == []
    assert open_walk(out) is None   # the walk reached the end: finished


def test_the_run_after_a_killed_run_ends_at_the_repeated_page(endless, crawl, tmp_path):
    site, server = endless
    out = tmp_path / "out"
    # what a first run killed mid-walk leaves: its walk open, with no floor (it walked to the end)
    store = SqliteStateStore(out / SITE / "state.sqlite3", SITE)
    store.open_walk(None)
    store.close()
    result = crawl(SITE, "-a", f"base_url={server.base_url}", output_dir=out)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(result.records(SITE)) == 25
    assert len(list_targets(server.requests)) == 4
    assert latest_report(out)["list_walks"] == {"repeated_page": 1}
    assert open_walk(out) is None


def test_the_list_page_bound_cuts_the_walk_reports_it_and_the_next_run_goes_on(endless, crawl, tmp_path):
    site, server = endless
    out = tmp_path / "out"
    cut = crawl(SITE, "-a", f"base_url={server.base_url}", output_dir=out, settings={"NEWSBOT_MAX_LIST_PAGES": "2"})
    assert cut.returncode == 12, cut.stderr[-3000:]
    assert len(cut.records(SITE)) == 20
    report = latest_report(out)
    assert report["list_walks"] == {"max_list_pages": 1}
    assert report["problems"] == [{
        "cause": "list_walk_cut", "exit_status": 12,
        "message": f"the list walk from {server.base_url}/news/list.php was cut after 2 pages by "
                   "NEWSBOT_MAX_LIST_PAGES=2: older list pages were not walked (raise the setting, or backfill "
                   "in ranges with -a since/until)"}]
    assert f"PROBLEM: the list walk from {server.base_url}/news/list.php was cut" in cut.stderr
    assert open_walk(out) is not None   # not finished: the next run does not trust "nothing new"

    server.requests.clear()
    rest = crawl(SITE, "-a", f"base_url={server.base_url}", output_dir=out)
    assert rest.returncode == 0, rest.stderr[-3000:]
    assert sorted(int(r["article_id"]) for r in rest.records(SITE)) == list(site.article_ids())
    assert sorted(int(t.split("idx=")[1].split("&")[0]) for t in server.requests if "view.php" in t) == \
        list(range(1001, 1006))
    assert latest_report(out)["list_walks"] == {"repeated_page": 1}
    assert open_walk(out) is None
