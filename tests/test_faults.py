"""Server faults, injected by a loopback site: the crawl goes on, each fault is counted and
logged once with its URL, JSON Lines and WARC stay valid, and a later run picks the
failed articles up again (404/410 ones never)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsbot.testing import faults as F
from newsbot.testing.localsite import LocalSite, Route
from tests.conftest import FIXTURES

SETTINGS = {"RETRY_TIMES": "2"}


def view(idx: int) -> str:
    return f"/news/view.php?idx={idx}"


def good_article(idx: int) -> bytes:
    return F.article_html(idx, f"수원시 행정 소식 {idx}호", [f"{idx}번 기사의 첫 문단이다.", "둘째 문단이다."])


GOOD = [71401, 71402, 71403, 71404]                  # the gginews fixture pages
RECOVERED = {                                         # fail first, or detour, then fine in the same run
    90001: "500 once, then 200",
    90002: "503 + Retry-After twice, then 200",
    90012: "end of a redirect chain 90010 -> 90011 -> 90012",
    90030: "declares euc-kr, sends UTF-8",
}
FAILED = {                                            # article -> fault kind; retried by the next run
    90003: "http_500",
    90004: "connection_reset",
    90005: "data_loss",
    90020: "redirect_loop",
    90040: "empty_body",
    90041: "no_article",
    90042: "not_html",
    90043: "not_html",
    90050: "too_large",
}
GONE = {90060: "http_404", 90061: "http_410"}


def fault_routes():
    fixture = FIXTURES / "gginews"
    linked = [*GOOD, 90001, 90002, 90010, 90030, *FAILED, *GONE]
    routes = {
        "/news/list.php": Route(body=F.list_html([view(i) for i in linked])),
        "/news/list.php?page=2": Route(body=F.list_html([])),
    }
    routes.update({view(i): Route.file(fixture / f"view_{i}.html") for i in GOOD})
    routes[view(90001)], _ = F.fail_first(good_article(90001), failures=1, status=500)
    routes[view(90002)], retry_after = F.fail_first(good_article(90002), failures=2, status=503,
                                                    headers=[("Retry-After", "1")])
    routes[view(90010)] = F.redirect(view(90011), status=301)
    routes[view(90011)] = F.redirect(view(90012), status=302)
    routes[view(90012)] = Route(body=good_article(90012))
    routes[view(90030)] = F.mislabelled(F.article_html(90030, "용인시 문자 인코딩 점검", ["본문은 UTF-8로 보낸다."]))
    routes[view(90003)] = Route(status=500, body=b"<html><body>error</body></html>")
    routes[view(90004)] = F.reset_mid_body(good_article(90004) * 20)
    routes[view(90005)] = F.short_body(good_article(90005) * 20)
    routes[view(90020)] = F.redirect(view(90021))
    routes[view(90021)] = F.redirect(view(90020))
    routes[view(90040)] = Route(body=b"")
    routes[view(90041)] = F.garbage()
    routes[view(90042)] = F.pdf()
    routes[view(90043)] = F.png()
    routes[view(90050)] = F.big_page(10 * 1024 * 1024)
    routes[view(90060)] = Route(status=404, body=b"<html><body>no such article</body></html>")
    routes[view(90061)] = Route(status=410, body=b"<html><body>deleted</body></html>")
    return routes, retry_after


def fault_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "[newsbot.faults" in line and " Fault " in line]


def assert_outputs_valid(result, site="gginews"):
    for path in (result.output_dir / site / "jsonl").glob("*.jsonl"):
        data = path.read_bytes()
        assert data.endswith(b"\n")
        for line in data.decode("utf-8").splitlines():
            json.loads(line)
    warcs = result.warcs(site)
    assert warcs
    for warc in warcs:
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(warc)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def archived_urls(result, site="gginews") -> list[str]:
    urls = []
    for warc in result.warcs(site):
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    urls.append(record.rec_headers.get_header("WARC-Target-URI"))
    return urls


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """One crawl over a list linking good pages and every kind of broken one, then a second
    run after the server was repaired."""
    from tests.conftest import run_scrapy

    out = tmp_path_factory.mktemp("faults") / "output"
    routes, retry_after = fault_routes()
    with LocalSite(routes) as site:
        args = ["crawl", "gginews", "-a", f"base_url={site.base_url}", "-a", "max_pages=1"]
        first = run_scrapy(args, out, SETTINGS, timeout=120)
        first_requests = list(site.requests)
        first.files = {p: p.read_bytes() for p in out.glob("gginews/*/*") if p.is_file()}
        # The outlet fixes its server: every article that failed now answers properly.
        site.routes.update({view(i): Route(body=good_article(i)) for i in [*FAILED, *GONE]})
        site.routes.pop(view(90021))
        site.requests.clear()
        second = run_scrapy(args, out, SETTINGS, timeout=120)
        second_requests = list(site.requests)
    return site.base_url, first, first_requests, second, second_requests, retry_after


def test_crawl_goes_on_and_counts_every_fault_once(first_run):
    base, result, _, _, _, _ = first_run
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    stats = result.stats()
    expected_kinds = {}
    for kind in FAILED.values():
        expected_kinds[kind] = expected_kinds.get(kind, 0) + 1
    for kind in GONE.values():
        expected_kinds[kind] = 1
    for kind, count in expected_kinds.items():
        assert stats[f"newsbot/faults/{kind}"] == count, kind
    assert stats["newsbot/faults/count"] == len(FAILED) + len(GONE)
    assert stats["newsbot/faults/articles_failed"] == len(FAILED)
    assert stats["newsbot/faults/articles_gone"] == len(GONE)
    assert stats["newsbot/faults/charset_mismatch"] == 1
    # 500 once, 503 twice, then two retries each for the permanent 500, the reset, the short body
    assert stats["retry/count"] == 1 + 2 + 2 + 2 + 2
    assert stats["retry/reason_count/503 Service Unavailable"] == 2
    assert stats["newsbot/retry_after/waits"] == 2

    # one line per fault, naming the URL
    lines = fault_lines(result.stderr)
    for idx, kind in {**FAILED, **GONE}.items():
        url = f"{base}{view(idx)}"
        assert sum(f"Fault {kind} on {url}:" in line for line in lines) == 1, (idx, kind, lines)
    assert len(lines) == len(FAILED) + len(GONE) + 1  # + the recovered charset mismatch
    assert "larger than download max size (8388608)" in result.stderr  # Scrapy's cap warning


def first_run_records(result) -> list[dict]:
    return [json.loads(line) for path, data in sorted(result.files.items()) if path.suffix == ".jsonl"
            for line in data.decode("utf-8").splitlines()]


def test_good_and_recovered_articles_are_recorded_exactly(first_run):
    base, result, _, _, _, _ = first_run
    records = first_run_records(result)
    assert sorted(int(r["article_id"]) for r in records) == sorted([*GOOD, *RECOVERED])
    by_id = {int(r["article_id"]): r for r in records}
    assert by_id[90012]["url"] == f"{base}{view(90012)}"  # the end of the redirect chain
    assert by_id[90002]["title"] == "수원시 행정 소식 90002호"
    assert by_id[90030]["title"] == "용인시 문자 인코딩 점검"  # decoded as what was sent
    assert by_id[90030]["body"] == "본문은 UTF-8로 보낸다."
    assert_outputs_valid(result)


def test_faulty_responses_are_archived_and_not_retried_forever(first_run):
    base, result, requests, _, _, _ = first_run
    archived = archived_urls(result)
    for idx in (90003, 90020, 90021, 90040, 90041, 90042, 90043, 90060, 90061, 90010, 90011):
        assert f"{base}{view(idx)}" in archived, idx
    # the permanent 500 was asked 3 times (1 + RETRY_TIMES), a 404 once: not retried forever
    assert requests.count(view(90003)) == 3
    assert requests.count(view(90060)) == requests.count(view(90061)) == 1
    assert requests.count(view(90020)) == requests.count(view(90021)) == 1  # loop stopped at once


def test_retry_after_is_honoured(first_run):
    *_, retry_after = first_run
    gaps = [b - a for a, b in zip(retry_after.times, retry_after.times[1:])]
    assert len(retry_after.times) == 3
    assert all(0.95 <= gap < 5 for gap in gaps), gaps


def test_later_run_fetches_failed_articles_and_never_gone_ones(first_run):
    base, first, _, second, requests, _ = first_run
    assert second.returncode == 0, second.stderr[-3000:]
    stats = second.stats()
    assert stats["newsbot/faults/retried_from_earlier_runs"] == len(FAILED)
    assert stats["newsbot/faults/skipped_gone"] == len(GONE)
    for idx in GONE:
        assert view(idx) not in requests
    records = second.records("gginews")  # both runs' files
    ids = [int(r["article_id"]) for r in records]
    assert sorted(ids) == sorted([*GOOD, *RECOVERED, *FAILED])  # each once, none lost
    db = sqlite3.connect(first.output_dir / "gginews" / "state.sqlite3")
    gone = db.execute("SELECT canonical_url, kind FROM article_faults WHERE gone = 1 ORDER BY 1").fetchall()
    assert gone == [(f"{base}{view(90060)}", "http_404"), (f"{base}{view(90061)}", "http_410")]
    assert_outputs_valid(second)


def test_timeout_is_retried_then_left_for_the_next_run(tmp_path, crawl):
    article = F.article_html(90070, "느린 서버", ["본문"])
    routes = {
        "/news/list.php": Route(body=F.list_html([view(90070), view(71402)])),
        "/news/list.php?page=9": Route(body=F.list_html([])),
        view(90070): F.hang(2.5),
        view(71402): Route.file(FIXTURES / "gginews" / "view_71402.html"),
    }
    with LocalSite(routes) as site:
        args = ("-a", f"base_url={site.base_url}", "-a", "max_pages=1")
        result = crawl("gginews", *args, settings={"DOWNLOAD_TIMEOUT": "1", "RETRY_TIMES": "1"})
        assert result.returncode == 0, result.stderr[-3000:]
        assert site.requests.count(view(90070)) == 2
        first_ids = [r["article_id"] for r in result.records("gginews")]
        site.routes[view(90070)] = Route(body=article)
        again = crawl("gginews", "-a", f"base_url={site.base_url}", "-a",
                      f"start_urls={site.url('/news/list.php?page=9')}")
    stats = result.stats()
    assert stats["newsbot/faults/timeout"] == 1
    assert stats["retry/reason_count/scrapy.exceptions.DownloadTimeoutError"] == 1
    lines = fault_lines(result.stderr)
    assert lines == [line for line in lines if f"Fault timeout on {site.base_url}{view(90070)}:" in line]
    assert len(lines) == 1 and "took longer than 1.0 seconds" in lines[0]
    assert first_ids == ["71402"]
    # the next run starts from an empty list page and still fetches the one that timed out
    assert again.stats()["newsbot/faults/retried_from_earlier_runs"] == 1
    assert sorted(r["article_id"] for r in again.records("gginews")) == ["71402", "90070"]
    assert_outputs_valid(again)


def test_retry_after_beyond_the_cap_waits_only_the_cap(tmp_path, crawl):
    route, handler = F.fail_first(F.article_html(90080, "바쁜 서버", ["본문"]), failures=1, status=503,
                                  headers=[("Retry-After", "3600")])
    with LocalSite({view(90080): route}) as site:
        result = crawl("gginews", "-a", f"base_url={site.base_url}", "-a", f"urls={site.url(view(90080))}",
                       settings={"RETRY_AFTER_MAX": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(handler.times) == 2 and 0.95 <= handler.times[1] - handler.times[0] < 5
    assert result.stats()["newsbot/retry_after/seconds"] == 1.0
    assert [r["article_id"] for r in result.records("gginews")] == ["90080"]
