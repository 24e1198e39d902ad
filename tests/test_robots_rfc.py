"""robots.txt by RFC 9309, through the real ``scrapy crawl`` against a loopback site: 2xx
parsed and obeyed, 4xx allows everything, 5xx / unreachable / timed out (one fetch, bounded
by DOWNLOAD_TIMEOUT) shuts the host out for the run: one log line, no traceback, the report
and the exit status say "blocked by robots.txt" with the reason."""

from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from newsbot import exitcodes
from newsbot.testing import faults as F
from newsbot.testing.localsite import LocalSite, Route, load_routes
from tests.conftest import FIXTURES, run_scrapy

ARTICLES = ["71401", "71402", "71403", "71404", "71405"]
ROBOTS_VARIANTS = {
    "500": Route(status=500, body=b"<html><body>error</body></html>"),
    "503": Route(status=503, body=b"busy", headers=[("Retry-After", "1")]),
    "429": Route(status=429, body=b"slow down"),
    "hang": F.hang(4),
    # a 4xx page whose HTML happens to say "Disallow: /": not a robots.txt, ignored
    "404": Route(status=404, body=b"<html><body>User-agent: *<br>Disallow: /</body></html>"),
    "410": Route(status=410, body=b""),
    "200": Route(body=b"User-agent: *\nDisallow: /news/view.php?idx=71403\n", content_type="text/plain"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def crawl_with_robots(variant: str, output_dir):
    routes = load_routes(FIXTURES / "gginews")
    routes["/robots.txt"] = ROBOTS_VARIANTS[variant]
    with LocalSite(routes) as site:
        started = time.monotonic()
        result = run_scrapy(["crawl", "gginews", "-a", f"base_url={site.base_url}"], output_dir,
                            settings={"DOWNLOAD_TIMEOUT": "1"})
        result.seconds = time.monotonic() - started
        result.requests = list(site.requests)
        result.netloc = site.base_url.removeprefix("http://")
    return result


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {v: pool.submit(crawl_with_robots, v, tmp_path_factory.mktemp(f"robots-{v}")) for v in ROBOTS_VARIANTS}
        return {v: f.result() for v, f in futures.items()}


def report_of(result) -> dict:
    (path,) = (result.output_dir / "gginews" / "reports").glob("*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def blocked_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "blocked by robots.txt" in line and "ERROR" in line]


@pytest.mark.parametrize(("variant", "reason"), [
    ("500", "answered 500 Internal Server Error"),
    ("503", "answered 503 Service Unavailable"),
    ("429", "answered 429 Too Many Requests"),
    ("hang", "did not answer within DOWNLOAD_TIMEOUT (1 s)"),
])
def test_a_robots_txt_that_fails_shuts_the_host_out(crawls, variant, reason):
    result = crawls[variant]
    assert result.returncode == exitcodes.ROBOTS_BLOCKED, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert result.requests == ["/robots.txt"]            # one fetch, not retried; then nothing
    message = (f"blocked by robots.txt: {result.netloc} {reason}; RFC 9309 reads an unreachable robots.txt "
               f"as disallow all, so nothing more is requested from it in this run")
    (line,) = blocked_lines(result.stderr)
    assert line.endswith(f"ERROR: {message}")
    report = report_of(result)
    assert {"cause": "robots_blocked", "message": message, "exit_status": exitcodes.ROBOTS_BLOCKED} in report["problems"]
    assert report["exit_status"] == exitcodes.ROBOTS_BLOCKED and report["new"] == 0
    assert result.stats()["newsbot/robots/blocked_hosts"] == 1
    if variant == "hang":
        assert result.seconds < 30                       # one timeout, not four (was 246 s at 60 s each)


@pytest.mark.parametrize("variant", ["404", "410"])
def test_a_missing_robots_txt_allows_everything(crawls, variant):
    result = crawls[variant]
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(r["article_id"] for r in result.records("gginews")) == ARTICLES
    assert result.requests.count("/robots.txt") == 1
    assert blocked_lines(result.stderr) == [] and report_of(result)["problems"] == []


def test_a_robots_txt_that_answers_is_obeyed(crawls):
    result = crawls["200"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(r["article_id"] for r in result.records("gginews")) == ["71401", "71402", "71404", "71405"]
    assert "/news/view.php?idx=71403" not in result.requests
    assert result.stats()["robotstxt/forbidden"] == 1


def test_a_host_that_refuses_connections_is_out_of_reach_and_disallowed(tmp_path):
    """A refused connection (or a name that does not resolve) is the host's, not its
    robots.txt's: disallowed all the same (RFC 9309), and reported as the site unreachable
    (exit 6, issue 13), not as robots.txt shutting the crawler out."""
    netloc = f"127.0.0.1:{free_port()}"                  # nothing listens there
    result = run_scrapy(["crawl", "gginews", "-a", f"base_url=http://{netloc}"], tmp_path / "out")
    assert result.returncode == exitcodes.UNREACHABLE, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "ERROR: site unreachable:" in line]
    assert len(lines) == 1 and f"site unreachable: {netloc} refused the connection (its robots.txt" in lines[0]
    assert blocked_lines(result.stderr) == []
    assert result.stats().get("retry/count", 0) == 0
