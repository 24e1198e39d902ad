"""``scrapy crawlall``: many outlets in one process, each crawled as ``scrapy crawl`` would
crawl it alone, one combined report, an exit status that says whether any needs attention.

Real crawls (the ``scrapy`` CLI) against fixture sites on 127.0.0.1, each outlet of a
registry file written here pointing at its own LocalSite."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsbot.registry import Outlet, outlet_toml
from newsbot.testing.faults import hang
from newsbot.testing.localsite import LocalSite, load_routes

from .conftest import FIXTURES, REPO, TEST_SETTINGS, run_scrapy

#: fields of a record that differ between any two crawls of the same page
VOLATILE = ("crawled_at", "warc_filename", "warc_record_id")


def entry(site: str, base_url: str, cms: str, home_region: str = "경상남도", **fields) -> Outlet:
    return Outlet(site=site, name=f"{site} 신문", base_url=base_url, cms=cms, home_region=home_region,
                  verified=True, evidence=(f"{base_url}/ (a fixture site of the tests)",), **fields)


def write_registry(path: Path, outlets: list[Outlet]) -> Path:
    path.write_text("\n".join(outlet_toml(o) for o in outlets), encoding="utf-8")
    return path


def combined_report(output: Path) -> dict:
    reports = sorted((output / "_crawlall").glob("crawlall-*.json"))
    assert len(reports) >= 1
    return json.loads(reports[-1].read_text(encoding="utf-8"))


def records(output: Path, site: str) -> dict[str, dict]:
    rows = [json.loads(line) for path in sorted((output / site / "jsonl").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]
    return {row["article_id"]: row for row in rows}


def test_outlets_crawl_as_if_alone_with_one_combined_report(tmp_path):
    with LocalSite(load_routes(FIXTURES / "idomin")) as nd, LocalSite(load_routes(FIXTURES / "voicekorea")) as mc, \
            LocalSite(load_routes(FIXTURES / "firstnews")) as gb, LocalSite({}) as empty:
        registry_file = write_registry(tmp_path / "outlets.toml", [
            entry("idomin", nd.base_url, "ndsoft"),
            entry("mc_two", mc.base_url, "mcode", home_region="서울특별시 마포구"),
            entry("gb_three", gb.base_url, "gnuboard", home_region="경기도 파주시", board="firstnews"),
            entry("empty_four", empty.base_url, "ndsoft", home_region="제주특별자치도"),
        ])
        output = tmp_path / "out"
        result = run_scrapy(["crawlall", "--registry", str(registry_file), "--concurrent-outlets", "2"], output)
        alone = run_scrapy(["crawl", "idomin", "-a", f"base_url={nd.base_url}"], tmp_path / "alone")
        sites = {"idomin": nd, "mc_two": mc, "gb_three": gb, "empty_four": empty}
        in_flight = {site: server.max_in_flight for site, server in sites.items()}
        robots = {site: "/robots.txt" in server.requests for site, server in sites.items()}

    assert result.returncode == 11, result.stderr[-3000:]
    assert alone.returncode == 0, alone.stderr[-3000:]
    report = combined_report(output)
    assert {k: report[k] for k in ("command", "registry", "concurrent_outlets", "outlets_selected", "outlets_ok",
                                   "needs_attention", "totals", "exit_status")} == {
        "command": "crawlall", "registry": str(registry_file), "concurrent_outlets": 2, "outlets_selected": 4,
        "outlets_ok": 3, "needs_attention": ["empty_four"],
        "totals": {"new": 9, "updated": 0, "duplicate": 0, "failed": 0}, "exit_status": 11,
    }
    per_outlet = {o["site"]: o for o in report["outlets"]}
    assert list(per_outlet) == ["idomin", "mc_two", "gb_three", "empty_four"]
    assert {site: (o["new"], o["failed"], o["exit_status"], o["exit_cause"], o["finish_reason"])
            for site, o in per_outlet.items()} == {
        "idomin": (3, 0, 0, "ok", "finished"),
        "mc_two": (3, 0, 0, "ok", "finished"),
        "gb_three": (3, 0, 0, "ok", "finished"),
        "empty_four": (0, 0, 4, "no_articles", "finished"),
    }
    (problem,) = per_outlet["empty_four"]["problems"]
    assert (problem["cause"], problem["exit_status"]) == ("no_articles", 4)
    # the list page's answer is named (newsbot/extensions/report.py)
    assert problem["message"].startswith("no articles found: the list layout or the site may have changed "
                                         "(list pages: http_404 1; e.g. http_404 on ")
    # each outlet: its own report, state, WARC and JSON Lines, as `scrapy crawl <site>` writes them
    for site, summary in per_outlet.items():
        own = json.loads(Path(summary["report"]).read_text(encoding="utf-8"))
        assert (own["site"], own["new"], own["exit_status"]) == (site, summary["new"], summary["exit_status"])
        assert (output / site / "state.sqlite3").is_file()
        assert list((output / site / "warc").glob(f"{site}-*.warc.gz")), site
    assert sorted(records(output, "gb_three")) == ["115", "117", "118"]
    assert {r["id"] for r in records(output, "mc_two").values()} == {"mc_two:1545", "mc_two:1546", "mc_two:1547"}
    # the same records as a crawl of that outlet alone
    strip = lambda rows: {k: {f: v for f, v in r.items() if f not in VOLATILE} for k, r in rows.items()}  # noqa: E731
    assert strip(records(output, "idomin")) == strip(records(tmp_path / "alone", "idomin"))
    # politeness per outlet: robots.txt asked, never more than 2 requests at once to one host
    assert robots == {site: True for site in sites}
    assert max(in_flight.values()) <= 2
    # never more than --concurrent-outlets crawls at once
    running = [int(n) for n in re.findall(r"starting \((\d+) running", result.stderr)]
    assert len(running) == 4 and max(running) == 2
    assert "NEEDS ATTENTION: empty_four (empty_four 신문): no articles found" in result.stderr


def test_a_scheduled_rerun_is_incremental_and_exits_0(tmp_path):
    with LocalSite(load_routes(FIXTURES / "idomin")) as nd, LocalSite(load_routes(FIXTURES / "gimhaenews")) as nd2:
        registry_file = write_registry(tmp_path / "outlets.toml", [
            entry("nd_one", nd.base_url, "ndsoft"), entry("nd_two", nd2.base_url, "ndsoft", home_region="경상남도 김해시"),
        ])
        output = tmp_path / "out"
        args = ["crawlall", "--registry", str(registry_file), "-s", f"JOBDIR={tmp_path / 'jobs'}"]
        first = run_scrapy(args, output)
        second = run_scrapy(args, output)
    assert (first.returncode, second.returncode) == (0, 0), second.stderr[-3000:]
    reports = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((output / "_crawlall").glob("*.json"))]
    assert [(r["exit_status"], r["totals"]["new"]) for r in reports] == [(0, 5), (0, 0)]
    assert [o["exit_cause"] for o in reports[1]["outlets"]] == ["ok", "ok"]
    assert sorted(p.name for p in (tmp_path / "jobs").iterdir()) == ["nd_one", "nd_two"]  # one JOBDIR per outlet


def test_a_stopped_run_says_which_outlets_never_started(tmp_path):
    slow = load_routes(FIXTURES / "idomin")
    slow["/news/articleList.html?view_type=sm"] = hang(4)
    with LocalSite(slow) as first, LocalSite(load_routes(FIXTURES / "idomin")) as second:
        registry_file = write_registry(tmp_path / "outlets.toml", [
            entry("slow_one", first.base_url, "ndsoft"), entry("never_two", second.base_url, "ndsoft"),
        ])
        output = tmp_path / "out"
        command = [sys.executable, "-m", "scrapy", "crawlall", "--registry", str(registry_file),
                   "--concurrent-outlets", "1", "-s", f"OUTPUT_DIR={output}"]
        for name, value in TEST_SETTINGS.items():
            command += ["-s", f"{name}={value}"]
        log = tmp_path / "crawlall.log"
        with log.open("w") as stderr:
            process = subprocess.Popen(command, cwd=REPO, stderr=stderr, text=True)
            deadline = time.monotonic() + 60
            while "/news/articleList.html?view_type=sm" not in first.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            process.send_signal(signal.SIGTERM)  # mid-download: its list page hangs for 4 s
            status = process.wait(timeout=60)
        assert second.requests == []
    rest = log.read_text()
    assert status == 11, rest[-3000:]
    report = combined_report(output)
    assert [(o["site"], o["exit_cause"], o["finish_reason"]) for o in report["outlets"]] == [
        ("slow_one", "ok", "shutdown"), ("never_two", "not_started", None)]
    assert report["needs_attention"] == ["never_two"]


@pytest.mark.parametrize(("args", "line"), [
    (["idomin"], "crawlall takes no spider names (idomin): use --sites idomin"),
    (["--sites", "idomin,nope"], "--sites: not in the registry: nope"),
    (["--region", "화성"], "--region '화성': '화성' is not a 시·도 (e.g. 경상남도, 경남, 제주)"),
    (["--sites", "pttimes"], "--sites pttimes: no confirmed host in the registry (crawl it alone: scrapy crawl pttimes -a base_url=URL)"),
    (["-a", "urls=http://127.0.0.1:9/x"], "-a urls: not for crawlall, which gives every outlet the same arguments "
                                          "(allowed: max_pages, since, until)"),
    (["-a", "since=2024-13-01"], "-a since: no such date: '2024-13-01'"),
    (["--shard", "3/2"], "--shard '3/2': K must be between 1 and N"),
    (["-O", "all.jsonl"], "-o/-O: crawlall writes each outlet's JSON Lines under OUTPUT_DIR/<site>/ (no shared feed)"),
])
def test_usage_errors_are_one_line_and_write_nothing(tmp_path, args, line):
    result = run_scrapy(["crawlall", *args], tmp_path / "out")
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.rstrip("\n").splitlines()[-1] == f"newsbot: error: {line}"
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_registry_file_with_problems_is_refused(tmp_path):
    bad = write_registry(tmp_path / "bad.toml", [entry("a", "http://127.0.0.1:9", "ndsoft"),
                                                 entry("b", "http://127.0.0.1:9", "wordpress")])
    result = run_scrapy(["crawlall", "--registry", str(bad)], tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.rstrip("\n").splitlines()[-1] == (
        f"newsbot: error: --registry {bad}: b: cms 'wordpress': not a known CMS "
        "(mcode, breaknews, ncode, gnuboard, ndsoft, generic)")


def test_two_cluster_workers_share_every_outlet(tmp_path):
    """crawlall with REDIS_URL: each outlet's crawl is a cluster worker of that outlet (its
    own queue, filter and state in Redis); two machines' crawlall share every outlet and
    record each article once (docs/cluster.md)."""
    from newsbot.testing.generated_site import GeneratedSite
    from newsbot.testing.redis_server import RedisServer

    sites = [GeneratedSite(80, seed=seed) for seed in (1, 2)]
    with RedisServer() as redis, sites[0].serve() as first, sites[1].serve() as second:
        registry_file = write_registry(tmp_path / "outlets.toml", [
            entry("gen_one", first.base_url, "mcode", home_region="경기도"),
            entry("gen_two", second.base_url, "mcode", home_region="경기도"),
        ])
        workers = []
        for worker in ("w1", "w2"):
            command = [sys.executable, "-m", "scrapy", "crawlall", "--registry", str(registry_file),
                       "-s", f"OUTPUT_DIR={tmp_path / worker}", "-s", f"REDIS_URL={redis.url}",
                       "-s", f"NEWSBOT_WORKER_ID={worker}", "-s", "DOWNLOAD_DELAY=0.02", "-s", "AUTOTHROTTLE_ENABLED=0"]
            log = (tmp_path / f"{worker}.log").open("w")
            workers.append(subprocess.Popen(command, cwd=REPO, stderr=log))
        statuses = [worker.wait(timeout=240) for worker in workers]
    assert statuses == [0, 0], (tmp_path / "w1.log").read_text()[-3000:]
    written = [json.loads(line)["id"] for path in sorted(tmp_path.glob("w*/gen_*/jsonl/*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines()]
    expected = {f"gen_{name}:{idx}" for name, site in zip(("one", "two"), sites) for idx in site.article_ids()}
    assert sorted(written) == sorted(expected)  # every article, once, across both workers
    for worker in ("w1", "w2"):
        report = combined_report(tmp_path / worker)
        assert (report["exit_status"], report["needs_attention"]) == (0, [])
