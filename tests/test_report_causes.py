"""The report names the cause, with a distinct exit status: a site that cannot be reached
(connection refused, timeouts) is not a changed layout, nor is one robots.txt closes;
articles that all failed are not "no articles".  Every article seen is accounted for,
failed ones by reason, and the numbers add up (a run with mixed faults, and the run after
it).  Real servers on 127.0.0.1, the real CLI, numbers from the report JSON."""

from __future__ import annotations

import json
import socket

from newsbot.testing import faults as F
from newsbot.testing.localsite import LocalSite, Route

SITE = "gginews"
FAST_FAILURE = {"RETRY_TIMES": "1", "DOWNLOAD_TIMEOUT": "1"}


def view(idx: int) -> str:
    return f"/news/view.php?idx={idx}"


def good(idx: int) -> Route:
    return Route(body=F.article_html(idx, f"수원시 행정 소식 {idx}호", [f"{idx}번 기사의 첫 문단이다.", "둘째 문단이다."]))


def only_report(out) -> dict:
    (path,) = (out / SITE / "reports").glob("*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def reports(out) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((out / SITE / "reports").glob("*.json"))]


def problem_lines(stderr: str) -> list[str]:
    return [line.strip() for line in stderr.splitlines() if line.strip().startswith("PROBLEM:")]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]   # closed again: connections to it are refused


def test_connection_refused_on_every_list_page_is_unreachable_not_a_layout_change(crawl, tmp_path):
    out = tmp_path / "out"
    base = f"http://127.0.0.1:{closed_port()}"
    result = crawl(SITE, "-a", f"base_url={base}", output_dir=out, settings=FAST_FAILURE)
    assert result.returncode == 6, result.stderr[-3000:]
    report = only_report(out)
    (problem,) = report["problems"]
    assert problem["cause"] == "unreachable" and problem["exit_status"] == 6
    # robots.txt is the first request; the refusal is the host's (newsbot/faults/robots.py),
    # so nothing more is asked of it: no list page was tried
    assert problem["message"].startswith(f"site unreachable: {base.removeprefix('http://')} refused the connection")
    assert report["list_pages"] == 0 and report["list_walks"] == {"robots_txt": 1}
    assert problem_lines(result.stderr) == [f"PROBLEM: {problem['message']} (exit status 6)"]
    assert "layout" not in result.stderr.split("Crawl report for")[1]


def test_connection_refused_on_every_list_page_without_robots_is_unreachable(crawl, tmp_path):
    out = tmp_path / "out"
    base = f"http://127.0.0.1:{closed_port()}"
    result = crawl(SITE, "-a", f"base_url={base}", output_dir=out, settings={**FAST_FAILURE, "ROBOTSTXT_OBEY": "0"})
    assert result.returncode == 6, result.stderr[-3000:]
    report = only_report(out)
    (problem,) = report["problems"]
    assert problem["cause"] == "unreachable" and problem["exit_status"] == 6
    assert problem["message"].startswith(f"site unreachable: every list page failed (connection_refused 1), "
                                         f"e.g. connection_refused on {base}/news/list.php: ")
    assert report["list_faults"]["connection_refused"] == 1 and report["list_pages"] == 0
    assert report["faults"] == {"connection_refused": 1}
    assert "  faults: connection_refused 1 (on list pages: connection_refused 1)" in result.stderr
    assert "layout" not in result.stderr.split("Crawl report for")[1]


def test_timeouts_on_every_list_page_are_unreachable(crawl, tmp_path):
    out = tmp_path / "out"
    with LocalSite({"/news/list.php": F.hang(3)}) as site:
        result = crawl(SITE, "-a", f"base_url={site.base_url}", output_dir=out, settings=FAST_FAILURE)
    assert result.returncode == 6, result.stderr[-3000:]
    (problem,) = only_report(out)["problems"]
    assert problem["cause"] == "unreachable"
    assert problem["message"].startswith("site unreachable: every list page failed (timeout 1), e.g. timeout on ")


def test_robots_txt_disallowing_everything_is_blocked_by_robots(crawl, tmp_path):
    out = tmp_path / "out"
    routes = {"/robots.txt": Route(body=b"User-agent: *\nDisallow: /\n", content_type="text/plain"),
              "/news/list.php": Route(body=F.list_html([view(1)])), view(1): good(1)}
    with LocalSite(routes) as site:
        result = crawl(SITE, "-a", f"base_url={site.base_url}", output_dir=out)
        requested = list(site.requests)
    assert result.returncode == 7, result.stderr[-3000:]
    assert requested == ["/robots.txt"]
    report = only_report(out)
    assert report["problems"] == [{
        "cause": "robots_blocked", "exit_status": 7,
        "message": "blocked by robots.txt: it forbids the list pages (1 refused), nothing was crawled; "
                   "the outlet's robots.txt must allow them"}]
    assert report["list_walks"] == {"robots_txt": 1}


def test_a_list_page_that_answers_404_is_no_articles_with_the_answer_named(crawl, tmp_path):
    out = tmp_path / "out"
    with LocalSite({}) as site:
        result = crawl(SITE, "-a", f"base_url={site.base_url}", output_dir=out)
    assert result.returncode == 4, result.stderr[-3000:]
    (problem,) = only_report(out)["problems"]
    assert problem["cause"] == "no_articles"
    assert problem["message"] == ("no articles found: the list layout or the site may have changed (list pages: "
                                  f"http_404 1; e.g. http_404 on {site.base_url}/news/list.php: 404 Not Found)")


def test_articles_found_but_every_one_failed_is_nothing_recorded(crawl, tmp_path):
    out = tmp_path / "out"
    routes = {"/news/list.php": Route(body=F.list_html([view(i) for i in (1, 2, 3)])),
              "/news/list.php?page=2": Route(body=F.list_html([])),
              **{view(i): Route(status=500, body=b"<html><body>error</body></html>") for i in (1, 2)},
              view(3): F.garbage()}
    with LocalSite(routes) as site:
        result = crawl(SITE, "-a", f"base_url={site.base_url}", output_dir=out, settings=FAST_FAILURE)
    assert result.returncode == 8, result.stderr[-3000:]
    report = only_report(out)
    assert report["problems"] == [{"cause": "nothing_recorded", "exit_status": 8,
                                   "message": "articles were found but none recorded: 3 failed (http_500 2, no_article 1)"}]
    assert report["failed"] == 3 and report["new"] == 0


# -- every article accounted for -----------------------------------------------------------
GOOD = list(range(91001, 91012))                       # 11 recorded
FAILING = {                                            # 15 not recorded, by reason
    91012: "http_500", 91013: "http_500", 91014: "http_500",
    91015: "http_404", 91016: "http_404",
    91017: "timeout", 91018: "timeout",
    91019: "not_html", 91020: "not_html",
    91021: "empty_body",
    91022: "no_article", 91023: "no_article",
    91024: "robots_txt",
    91025: "redirect_loop",
    91026: "connection_reset",
}


def mixed_routes() -> dict[str, Route]:
    routes = {
        "/robots.txt": Route(body=f"User-agent: *\nDisallow: {view(91024)}\n".encode(), content_type="text/plain"),
        "/news/list.php": Route(body=F.list_html([view(i) for i in [*GOOD, *FAILING]])),
        "/news/list.php?page=2": Route(body=F.list_html([])),
        **{view(i): good(i) for i in GOOD},
        **{view(i): Route(status=500, body=b"<html><body>error</body></html>") for i in (91012, 91013, 91014)},
        **{view(i): Route(status=404, body=b"<html><body>gone</body></html>") for i in (91015, 91016)},
        **{view(i): F.hang(3) for i in (91017, 91018)},
        view(91019): F.pdf(), view(91020): F.png(), view(91021): Route(body=b""),
        view(91022): F.garbage(seed=1), view(91023): F.garbage(seed=2), view(91024): good(91024),
        view(91025): F.redirect(view(91125)), view(91125): F.redirect(view(91025)),
        view(91026): F.reset_mid_body(F.article_html(91026, "끊긴 기사", ["본문"]) * 20),
    }
    return routes


def test_every_article_of_a_run_with_mixed_faults_is_accounted_for_and_the_numbers_add_up(crawl, tmp_path):
    out = tmp_path / "out"
    with LocalSite(mixed_routes()) as site:
        run = lambda: crawl(SITE, "-a", f"base_url={site.base_url}", output_dir=out, settings=FAST_FAILURE)  # noqa: E731
        first = run()
        # the outlet mends its server; the next run records the failed articles, not the gone
        # ones (404), and still not the one robots.txt forbids
        site.routes.update({view(i): good(i) for i in FAILING if i not in (91015, 91016)})
        second = run()
    assert first.returncode == 0, first.stderr[-3000:]
    by_reason = {}
    for reason in FAILING.values():
        by_reason[reason] = by_reason.get(reason, 0) + 1
    one, two = reports(out)
    assert one["articles"] == {"seen": 26, "new": 11, "updated": 0, "duplicate": 0, "already_recorded": 0,
                               "out_of_range": 0, "not_an_article": 0, "failed": dict(sorted(by_reason.items())),
                               "pending": 0, "adds_up": True}
    articles = one["articles"]
    assert articles["seen"] == sum(v for k, v in articles.items() if k not in ("seen", "failed", "adds_up")) \
        + sum(articles["failed"].values())
    assert (one["new"], one["failed"], one["problems"], one["exit_status"]) == (11, 15, [], 0)
    assert ("accounted for: 26 seen = 11 new + 0 updated + 0 duplicate + 0 already recorded + 0 out of range + "
            "0 not an article + 15 failed (connection_reset 1, empty_body 1, http_404 2, http_500 3, no_article 2, "
            "not_html 2, redirect_loop 1, robots_txt 1, timeout 2) + 0 pending") in first.stderr

    assert second.returncode == 0, second.stderr[-3000:]
    assert two["articles"] == {"seen": 26, "new": 12, "updated": 0, "duplicate": 0, "already_recorded": 11,
                               "out_of_range": 0, "not_an_article": 0,
                               "failed": {"gone_earlier": 2, "robots_txt": 1}, "pending": 0, "adds_up": True}
    assert sorted(int(r["article_id"]) for r in second.records(SITE)) == \
        sorted([*GOOD, *(i for i in FAILING if i not in (91015, 91016, 91024))])


def test_an_article_given_up_after_its_last_retry_fails_the_run_once(crawl, tmp_path):
    out = tmp_path / "out"
    routes = {"/news/list.php": Route(body=F.list_html([view(i) for i in (1, 2)])),
              "/news/list.php?page=2": Route(body=F.list_html([])),
              view(1): good(1), view(2): Route(status=500, body=b"<html><body>error</body></html>")}
    settings = {**FAST_FAILURE, "FAULTS_RETRY_RUNS": "2"}
    with LocalSite(routes) as site:
        runs = [crawl(SITE, "-a", f"base_url={site.base_url}", output_dir=out, settings=settings) for _ in range(3)]
    assert [run.returncode for run in runs] == [0, 13, 0]   # said once: when it is given up
    given_up = reports(out)[1]
    assert given_up["problems"] == [{
        "cause": "articles_given_up", "exit_status": 13,
        "message": f"articles given up after failing in 2 runs (FAULTS_RETRY_RUNS), e.g. {site.base_url}{view(2)}: "
                   "http_500; later runs no longer retry them (a backfill over their dates would)"}]
    assert given_up["articles"]["failed"] == {"http_500": 1} and given_up["faults"] == {"http_500": 1}


def test_with_several_problems_the_exit_status_is_the_primary_cause_not_the_highest_number():
    from scrapy.utils.test import get_crawler

    from newsbot import exitcodes

    stats = get_crawler().stats
    exitcodes.report_problem(stats, "extraction_warnings", "gaps", exitcodes.EXTRACTION_WARNINGS)
    exitcodes.report_problem(stats, "no_articles", "layout", exitcodes.NO_ARTICLES)
    assert stats.get_value(exitcodes.EXIT_STATUS_STAT) == 4
    exitcodes.report_problem(stats, "unreachable", "down", exitcodes.UNREACHABLE)
    assert stats.get_value(exitcodes.EXIT_STATUS_STAT) == 6        # higher, and first: the site was not reached
    exitcodes.report_problem(stats, "storage_error", "disk full", exitcodes.STORAGE)
    exitcodes.report_problem(stats, "articles_unaccounted", "a bug", exitcodes.ERROR)
    assert stats.get_value(exitcodes.EXIT_STATUS_STAT) == 3        # lower, and first: nothing could be written
    assert [p["cause"] for p in exitcodes.problems(stats)] == [
        "storage_error", "unreachable", "no_articles", "extraction_warnings", "articles_unaccounted"]
    assert exitcodes.primary_status(0, 0) == 0 and exitcodes.primary_status(1, 11, 12, 13, 5) == 12


def test_a_spider_whose_start_fails_does_not_exit_0(crawl, tmp_path):
    out = tmp_path / "out"
    result = crawl("broken_start", output_dir=out, settings={"SPIDER_MODULES": "tests.start_error_spiders"})
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Error while reading start items and requests: the list configuration is broken" in result.stderr
    (path,) = (out / "broken_start" / "reports").glob("*.json")
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["finish_reason"] == "start_error" and report["exit_status"] == 1
    assert [p["cause"] for p in report["problems"]] == ["start_error"]
