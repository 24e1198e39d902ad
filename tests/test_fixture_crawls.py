"""Every fixture site (``tests/fixtures/*/`` with ``routes.json`` and ``expected.json``)
crawled end to end: real ``scrapy crawl`` against the site served on 127.0.0.1, records,
report and requests compared with ``expected.json`` (see tests/fixture_cases.py).

The crawls run side by side (each its own process and port; most of each one's time is
Scrapy starting up), once per test session.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from newsbot.testing.localsite import LocalSite, load_routes

from .conftest import CrawlResult, run_scrapy
from .fixture_cases import FixtureCase, fixture_cases, with_base

CASES = [case for case in fixture_cases() if case.crawls]


@dataclass
class Crawled:
    case: FixtureCase
    base: str
    requests: list[str]
    result: CrawlResult

    def report(self) -> dict:
        site = self.case.site
        reports = sorted((self.result.output_dir / site / "reports").glob("*.json"))
        assert len(reports) == 1, reports
        return json.loads(reports[0].read_text(encoding="utf-8"))


def crawl_case(case: FixtureCase, output_dir) -> Crawled:
    with LocalSite(load_routes(case.folder)) as site:
        result = run_scrapy(["crawl", case.spider, "-a", f"base_url={site.base_url}",
                             *with_base(case.args, site.base_url)], output_dir)
        return Crawled(case, site.base_url, list(site.requests), result)


@pytest.fixture(scope="session")
def crawled(tmp_path_factory) -> dict[str, Crawled]:
    with ThreadPoolExecutor(max_workers=max(1, len(CASES))) as pool:
        futures = {case.name: pool.submit(crawl_case, case, tmp_path_factory.mktemp(case.name)) for case in CASES}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_crawl(case, crawled):
    done = crawled[case.name]
    expected = with_base(
        {"records": case.records, "report": case.report, "requested": case.requested,
         "not_requested": case.not_requested, "log": case.log},
        done.base,
    )
    assert done.result.returncode == case.exit_status, done.result.stderr[-3000:]
    records = {r["article_id"]: r for r in done.result.records(case.site)}
    assert sorted(records) == sorted(expected["records"])
    for article_id, fields in expected["records"].items():
        assert {f: records[article_id].get(f) for f in fields} == fields, article_id
    report = done.report()
    assert {f: report.get(f) for f in expected["report"]} == expected["report"]
    assert [r for r in expected["requested"] if r not in done.requests] == []
    assert [r for r in expected["not_requested"] if r in done.requests] == []
    assert [line for line in expected["log"] if line not in done.result.stderr] == []
