"""Shared test fixtures: fixture sites on 127.0.0.1 and a runner for real ``scrapy crawl``.

Nothing here reaches the network: every spider is pointed at a LocalSite with
``-a base_url=`` (or replays an archive).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsbot.schema import validate_record
from newsbot.testing.localsite import LocalSite, load_routes

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

    def stats(self) -> dict:
        """The final stats dump Scrapy logs, as a dict of literal values."""
        import ast

        text = self.stderr
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
            import re

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
