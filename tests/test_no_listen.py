"""Nothing listens, nothing escapes: a crawl opens no listening socket, connects to nothing
but the site it crawls (no Public Suffix List download), and names its files after the
spider and the time only."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from newsbot.testing import faults as F
from newsbot.testing.localsite import LocalSite, Route
from tests.conftest import FIXTURES, REPO, TEST_SETTINGS

# Runs `scrapy` with a Python audit hook that writes every socket connect, name lookup,
# bind and listen of the crawl process (and anything it imports) to a file.
AUDITED_SCRAPY = r"""
import json, sys
log = open(sys.argv[1], "a", buffering=1)
def hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.bind", "socket.listen"):
        # connect/bind/listen: (socket, address...); getaddrinfo: (host, port, ...)
        shown = args if event == "socket.getaddrinfo" else args[1:]
        log.write(json.dumps([event, repr(shown)]) + "\n")
sys.addaudithook(hook)
from scrapy.cmdline import execute
execute(["scrapy", *sys.argv[2:]])
"""


def listening_inodes(pid: int) -> set[str]:
    """Inodes of the TCP sockets in LISTEN state that process ``pid`` holds open."""
    own = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        match = re.fullmatch(r"socket:\[(\d+)\]", target)
        if match:
            own.add(match[1])
    listening = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # TCP_LISTEN
                listening.add(fields[9])
    return own & listening


def crawl_while_watching(site, out: Path, audit: Path, extra_settings: dict, env: dict) -> tuple[int, set, str]:
    cmd = [sys.executable, "-c", AUDITED_SCRAPY, str(audit), "crawl", "gginews",
           "-a", f"base_url={site.base_url}", "-s", f"OUTPUT_DIR={out}"]
    for name, value in {**TEST_SETTINGS, **extra_settings}.items():
        cmd += ["-s", f"{name}={value}"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env})
    seen: set[str] = set()
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            seen |= listening_inodes(proc.pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.05)
    _, stderr = proc.communicate(timeout=60)
    return proc.returncode, seen, stderr


def slow_site_routes():
    routes = {
        "/news/list.php": Route(body=F.list_html(["/news/view.php?idx=71403", "/news/view.php?idx=90090"])),
        "/news/list.php?page=2": Route(body=F.list_html([])),
        # Sets cookies, so Scrapy's cookie middleware asks whether the domain is a public suffix.
        "/news/view.php?idx=71403": Route.file(FIXTURES / "gginews" / "view_71403.html",
                                               headers=[("Set-Cookie", "visited=1; path=/")]),
    }
    # A slow article keeps the crawl alive long enough to be watched.
    slow = F.fail_first(F.article_html(90090, "느린 기사", ["본문"]), failures=0)[0]
    original = slow.handler

    def slow_handler(h):
        time.sleep(1.5)
        original(h)

    routes["/news/view.php?idx=90090"] = Route(handler=slow_handler)
    return routes


def test_crawl_opens_no_listening_socket_and_reaches_only_the_site(tmp_path):
    audit = tmp_path / "audit.jsonl"
    # A cold tldextract cache: the case in which it would download the Public Suffix List.
    env = {"TLDEXTRACT_CACHE": str(tmp_path / "tldextract-cache"), "HOME": str(tmp_path / "home")}
    with LocalSite(slow_site_routes()) as site:
        status, listening, stderr = crawl_while_watching(site, tmp_path / "out", audit, {}, env)
        port = site.server.server_address[1]
    assert status == 0, stderr[-3000:]
    assert listening == set()
    events = [json.loads(line) for line in audit.read_text().splitlines()]
    assert not [e for e in events if e[0] == "socket.listen"]
    lookups = {e[1] for e in events if e[0] == "socket.getaddrinfo"}
    connects = {e[1] for e in events if e[0] == "socket.connect"}
    assert all(e.startswith("('127.0.0.1',") for e in lookups), lookups
    assert connects and all(e.startswith(f"(('127.0.0.1', {port})") for e in connects), connects
    assert "publicsuffix" not in stderr
    assert not (tmp_path / "tldextract-cache").exists() or not any((tmp_path / "tldextract-cache").rglob("*.json"))


def test_the_watch_sees_a_listening_socket_when_there_is_one(tmp_path):
    """The same watch, with Scrapy's telnet console switched on: it must be seen."""
    with LocalSite(slow_site_routes()) as site:
        status, listening, stderr = crawl_while_watching(
            site, tmp_path / "out", tmp_path / "audit.jsonl", {"TELNETCONSOLE_ENABLED": "1"}, {}
        )
    assert status == 0, stderr[-3000:]
    assert len(listening) == 1


def test_output_names_come_from_spider_and_time_only(tmp_path):
    """A page whose title and URL try path tricks still yields files named <site>-<UTC>-<serial>."""
    hostile = F.article_html(90091, "../../etc/passwd; rm -rf / $(whoami)", ["본문"])
    routes = {
        "/news/list.php": Route(body=F.list_html(["/news/view.php?idx=90091&name=../../x.jsonl"])),
        "/news/list.php?page=2": Route(body=F.list_html([])),
        "/news/view.php?idx=90091": Route(body=hostile),
    }
    out = tmp_path / "out"
    with LocalSite(routes) as site:
        from tests.conftest import run_scrapy

        result = run_scrapy(["crawl", "gginews", "-a", f"base_url={site.base_url}"], out)
    assert result.returncode == 0, result.stderr[-3000:]
    stamp = r"\d{8}T\d{6}Z-\d{5}"
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names, names
    for name in names:
        assert name.startswith("gginews/"), name
        leaf = name.rsplit("/", 1)[1]
        assert re.fullmatch(rf"gginews-{stamp}\.[a-z.]+|[a-z_]+\.(sqlite3|jsonl|json|lock)(-wal|-shm)?", leaf), name
    assert [r["title"] for r in result.records("gginews")] == ["../../etc/passwd; rm -rf / $(whoami)"]
    assert all(p.resolve().is_relative_to(out.resolve()) for p in out.rglob("*"))


def test_a_real_outlet_url_is_refused_by_the_test_network_guard(crawl):
    # tests/conftest.py routes every non-loopback request to a closed loopback port: a test
    # that forgot its LocalSite fails here, on this machine, instead of reaching the outlet.
    result = crawl("gginews", "-a", "urls=http://www.gginews.kr/news/view.php?idx=71398",
                   settings={"RETRY_TIMES": "0", "ROBOTSTXT_OBEY": "0"})
    assert result.records("gginews") == []
    assert ("Fault connection_refused on http://www.gginews.kr/news/view.php?idx=71398" in result.stderr)
    assert result.stats()["newsbot/faults/connection_refused"] == 1
