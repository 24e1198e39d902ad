"""Shared test fixtures: fixture sites on 127.0.0.1 and a runner for real ``scrapy crawl``.

Nothing here reaches the network: every spider is pointed at a LocalSite with
``-a base_url=`` (or replays an archive).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsbot.schema import validate_record
from newsbot.testing.localsite import LocalSite, load_routes

from .fixture_cases import FixtureCase, fixture_cases, with_base

# A safety net under "no test touches a real outlet": every HTTP client the tests start
# (Scrapy, urllib, Chromium) sends anything that is not loopback to a closed loopback port,
# so a request a test forgot to point at its LocalSite is refused, never sent out.
NETWORK_GUARD = {
    "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
    "no_proxy": "127.0.0.1,localhost,::1", "NO_PROXY": "127.0.0.1,localhost,::1",
}
os.environ.update(NETWORK_GUARD)

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"

# Fast and deterministic for tests; everything else is the production configuration.
TEST_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "0",
    "LOG_LEVEL": "INFO",
}


def fixture_html(site: str, name: str) -> str:
    return (FIXTURES / site / name).read_text(encoding="utf-8")


@pytest.fixture
def gginews_site():
    with LocalSite(load_routes(FIXTURES / "gginews")) as site:
        yield site


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str
    output_dir: Path

    def records(self, site: str) -> list[dict]:
        return self._records(self.output_dir / site / "jsonl")

    @staticmethod
    def _records(folder: Path) -> list[dict]:
        rows = []
        for path in sorted(folder.glob("*.jsonl")):
            rows.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
        for row in rows:
            validate_record(row)  # every record any crawl test produces meets the schema
        return rows

    def reparsed_records(self, site: str) -> list[dict]:
        """What ``scrapy reparse`` wrote: ``OUTPUT_DIR/<site>/reparse/jsonl/``."""
        return self._records(self.output_dir / site / "reparse" / "jsonl")

    def warcs(self, site: str) -> list[Path]:
        return sorted((self.output_dir / site / "warc").glob("*.warc.gz"))

    def reports(self) -> list[Path]:
        """The crawl reports this run wrote, as its log names them (``  report: PATH``): one
        per crawl, none for a command that makes no crawl or a process killed before its end."""
        paths = [Path(m) for m in REPORT_LINE.findall(self.stderr)]
        return [p if p.is_absolute() else REPO / p for p in paths]

    def report(self) -> dict:
        """This run's crawl report (newsbot/extensions/report.py); exactly one must exist."""
        (path,) = self.reports()
        return json.loads(path.read_text(encoding="utf-8"))

    def stats(self) -> dict:
        """The crawl's final stats, as its report JSON holds them (``stats``); {} without a report."""
        reports = self.reports()
        if len(reports) == 1:
            return self.report()["stats"]
        if len(reports) > 1:
            # ``scrapy reparse --processes N``: N crawls, N reports; the run's sum (counts
            # added, plus newsbot/reparse/processes) exists only in the parent's log, as a
            # stats dump (newsbot/reparse/shards.py). Until the parent writes a report of its
            # own, that one dump is read here.
            return _logged_stats_dump(self.stderr)
        return {}


#: the last line of the report's summary in the log (CrawlReport.summary_lines)
REPORT_LINE = re.compile(r"^\s+report: (\S.*\.json)\s*$", re.MULTILINE)


def _logged_stats_dump(text: str) -> dict:
    """The last "Dumping Scrapy stats:" dump in a log, as a dict of literal values."""
    start = text.rfind("Dumping Scrapy stats:")
    if start < 0:
        return {}
    body = text[text.index("{", start):]
    depth = 0
    for i, ch in enumerate(body):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0:
            body = body[: i + 1]
            break
    body = body.replace("datetime.datetime", "").replace("tzinfo=datetime.timezone.utc", "")
    try:
        return ast.literal_eval(body)
    except (ValueError, SyntaxError):
        return {k: int(v) for k, v in re.findall(r"'([^']+)': (\d+)(?=,|\})", body)}


def run_scrapy(args: list[str], output_dir: Path, settings: dict | None = None, timeout: float = 120,
               env: dict | None = None) -> CrawlResult:
    """Run the real ``scrapy`` CLI (as a user would) in the repo with OUTPUT_DIR set."""
    cmd = [sys.executable, "-m", "scrapy", *args, "-s", f"OUTPUT_DIR={output_dir}"]
    for name, value in {**TEST_SETTINGS, **(settings or {})}.items():
        cmd += ["-s", f"{name}={value}"]
    proc = subprocess.run(
        cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    return CrawlResult(proc.returncode, proc.stdout, proc.stderr, output_dir)


@pytest.fixture
def crawl(tmp_path):
    """``crawl("gginews", "-a", "base_url=...")`` -> CrawlResult, output under tmp_path."""

    def _crawl(spider: str, *args: str, settings: dict | None = None, output_dir: Path | None = None,
               timeout: float = 120) -> CrawlResult:
        return run_scrapy(["crawl", spider, *args], output_dir or tmp_path / "output", settings, timeout)

    return _crawl


@dataclass
class FixtureCrawl:
    """One fixture folder crawled end to end (tests/fixture_cases.py)."""

    case: FixtureCase
    site: LocalSite        # still serving, on the same base URL, until the session ends
    requests: list[str]    # the request targets the site saw during this crawl, in arrival order
    result: CrawlResult

    @property
    def base(self) -> str:
        return self.site.base_url


#: fixture crawls run side by side (tests/test_fixture_crawls.py)
FIXTURE_CRAWLS_AT_ONCE = 4


@pytest.fixture(scope="session")
def fixture_crawls(tmp_path_factory) -> dict[str, FixtureCrawl]:
    """Every fixture folder with routes.json and expected.json records, crawled once per
    session by a real ``scrapy crawl``, side by side (each its own process and port; most of
    each one's time is Scrapy starting up).  The sites keep serving, so a test can run a
    second crawl of the same site into a copy of the first one's output."""
    cases = [case for case in fixture_cases() if case.crawls]
    with ExitStack() as stack:
        sites = {case.name: stack.enter_context(LocalSite(load_routes(case.folder))) for case in cases}

        # made here, not in the threads: the first mktemp of a session creates the base
        # temp dir, which two threads at once would both try to do
        outputs = {case.name: tmp_path_factory.mktemp(case.name) for case in cases}

        def crawl(case: FixtureCase) -> FixtureCrawl:
            site, output = sites[case.name], outputs[case.name]
            result = run_scrapy(["crawl", case.spider, "-a", f"base_url={site.base_url}",
                                 *with_base(case.args, site.base_url)], output)
            return FixtureCrawl(case, site, list(site.requests), result)

        # a few at a time: a fixture crawl is mostly CPU (Scrapy starting up), so more at
        # once only contend for a small machine's cores (and its timeouts)
        with ThreadPoolExecutor(max_workers=FIXTURE_CRAWLS_AT_ONCE) as pool:
            done = dict(zip([c.name for c in cases], pool.map(crawl, cases)))
        yield done
