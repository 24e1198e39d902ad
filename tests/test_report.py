"""The crawl report: terminal summary, JSON beside the output, exit status for a human to look."""

import json

from newsbot.testing.generated_site import GeneratedSite
from newsbot.testing.localsite import LocalSite, Route

SITE = "gginews"


def only_report(out):
    (path,) = (out / SITE / "reports").glob("*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def test_report_counts_exactly_what_the_run_did(crawl, tmp_path):
    site = GeneratedSite(45, seed=8, per_page=20)
    out = tmp_path / "out"
    with site.serve() as server:
        result = crawl(SITE, "-a", f"base_url={server.base_url}", output_dir=out,
                       settings={"LOGSTATS_INTERVAL": "0.2"})
    assert result.returncode == 0, result.stderr[-3000:]
    report = only_report(out)
    stats = result.stats()
    assert report["site"] == SITE and report["outlet"] == "경기인터넷뉴스"
    assert report["mode"] == "incremental" and report["finish_reason"] == "finished"
    assert (report["new"], report["updated"], report["duplicate"], report["failed"]) == (45, 0, 0, 0)
    assert report["skipped_out_of_range"] == 0 and report["skipped_already_recorded"] == 0
    assert report["extraction_warnings"] == {"items": 0, "share": 0.0, "by_field": {}}
    assert report["list_pages"] == 4 and report["article_links_found"] == 45
    assert report["pages_fetched"] == stats["response_received_count"] == 50  # 45 + 4 lists + robots.txt
    assert report["bytes_archived"] == stats["newsbot/warc_bytes"] > 0
    assert report["duration_seconds"] > 0
    # the rate is pages over the unrounded duration; the report rounds the duration to the
    # millisecond (a fast crawl's rate moves by more than 1/min per 0.5 ms) and the rate to 0.1
    shown = report["duration_seconds"]
    tolerance = 50 * 60 * (1 / (shown - 0.0005) - 1 / shown) + 0.05
    assert abs(report["pages_per_minute"] - 50 * 60 / shown) <= tolerance
    assert report["exit_status"] == 0 and report["problems"] == []
    assert "Crawl report for gginews (incremental, finished" in result.stderr
    assert "articles: 45 new, 0 updated, 0 duplicate, 0 failed, 0 out of range, 0 already recorded" in result.stderr
    assert "Progress: " in result.stderr  # periodic lines during the run


def test_no_articles_found_exits_4(crawl, tmp_path):
    # the outlet changed its list layout: the page loads, no entry matches
    routes = {"/news/list.php": Route(body="<html><body><div class='newList'><a href='/a/1'>x</a></div></body></html>"
                                      .encode())}
    out = tmp_path / "out"
    with LocalSite(routes) as server:
        result = crawl(SITE, "-a", f"base_url={server.base_url}", output_dir=out)
    assert result.returncode == 4
    report = only_report(out)
    assert report["exit_status"] == 4
    assert report["problems"] == [{"cause": "no_articles", "exit_status": 4,
                                   "message": "no articles found: the list layout or the site may have changed"}]
    assert "PROBLEM: no articles found" in result.stderr


def test_extraction_warning_share_over_limit_exits_5(gginews_site, crawl, tmp_path):
    # 1 of the 5 fixture articles lacks a body: 20% is over a 10% limit (under the default 25%)
    out = tmp_path / "out"
    result = crawl(SITE, "-a", f"base_url={gginews_site.base_url}", output_dir=out,
                   settings={"NEWSBOT_MAX_WARNING_SHARE": "0.1", "NEWSBOT_WARNING_MIN_ITEMS": "5"})
    assert result.returncode == 5
    report = only_report(out)
    assert report["extraction_warnings"] == {"items": 1, "share": 0.2, "by_field": {"body": 1}}
    assert report["problems"] == [{
        "cause": "extraction_warnings", "exit_status": 5,
        "message": "20% of recorded articles have extraction warnings (limit 10%): the article layout may have changed",
    }]
