"""Pages that need a browser: a real Chromium (Debian's) via scrapy-playwright, opt-in.

The fixture outlet ``tests/fixtures/jsnews`` builds its article list with JavaScript from
a JSON endpoint and hides the rest behind a "더보기" button; its articles are plain HTML.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsbot.exitcodes import NO_ARTICLES as EXIT_NO_ARTICLES
from newsbot.testing.localsite import LocalSite, Route, load_routes
from tests.conftest import FIXTURES, REPO, TEST_SETTINGS, CrawlResult

CHROMIUM = "/usr/bin/chromium"
# Skipped only on a developer's machine without Chromium; under CI (.ci/run installs it) a
# missing browser is a failure, never a silent skip.
pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None and not shutil.which(CHROMIUM) and not os.environ.get("CI"),
    reason="no Chromium here (apt-get install chromium; .ci/run installs it, so CI runs these)",
)

JSNEWS = FIXTURES / "jsnews"
SPIDERS = {"SPIDER_MODULES": "tests.browser_spiders"}
ARTICLE_IDS = ["5101", "5102", "5103", "5104", "5105"]


@pytest.fixture
def jsnews_site():
    with LocalSite(load_routes(JSNEWS)) as site:
        yield site


def warc_records(paths) -> list:
    """(rec_type, warc headers, http headers, payload bytes) of every record, in order."""
    rows = []
    for path in paths:
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                rows.append((record.rec_type, record.rec_headers, record.http_headers,
                             record.content_stream().read()))
    return rows


def test_rendering_finds_every_article_and_articles_stay_on_the_plain_downloader(jsnews_site, crawl):
    result = crawl("jsnews", "-a", f"base_url={jsnews_site.base_url}", settings=SPIDERS)
    assert result.returncode == 0, result.stderr[-3000:]
    records = result.records("jsnews")
    assert sorted(r["article_id"] for r in records) == ARTICLE_IDS
    first = {r["article_id"]: r for r in records}["5105"]
    assert first["title"] == "시흥시, 갯골 생태공원 야간 개방 연장"
    assert first["published_at"] == "2024-09-12T17:40:00+09:00"

    stats = result.stats()
    # three list pages through the browser (the third is empty and ends the walk) ...
    assert stats["newsbot/browser/pages_rendered"] == 3
    assert stats["playwright/page_count"] == 3
    assert stats["playwright/page_count/closed"] == 3
    assert stats["newsbot/list_pages"] == 3
    assert stats["newsbot/list_pages_without_articles"] == 1
    # ... the "더보기" button was pressed once on page 1 (chunk 2), and the articles
    # themselves came through the plain downloader: 5 documents the browser never saw.
    assert stats["playwright/request_count/resource_type/fetch"] == 4
    assert stats["playwright/request_count/navigation"] == 3
    assert sorted(t for t in jsnews_site.requests if "list.json" in t) == [
        "/news/list.json?page=1&chunk=1", "/news/list.json?page=1&chunk=2",
        "/news/list.json?page=2&chunk=1", "/news/list.json?page=3&chunk=1",
    ]
    assert sorted(t for t in jsnews_site.requests if "view.php" in t) == [
        f"/news/view.php?idx={i}" for i in ARTICLE_IDS
    ]


def test_rendering_off_finds_no_article(jsnews_site, crawl):
    result = crawl("jsnews", "-a", f"base_url={jsnews_site.base_url}", settings={**SPIDERS, "BROWSER_ENABLED": "0"})
    # the crawl report asks for attention: list pages, yet no article at all
    assert result.returncode == EXIT_NO_ARTICLES, result.stderr[-3000:]
    assert "PROBLEM: no articles found" in result.stderr
    assert result.records("jsnews") == []
    stats = result.stats()
    assert stats["newsbot/list_pages_without_articles"] == 1
    assert stats["newsbot/browser/not_rendered"] == 1
    assert "playwright/page_count" not in stats
    assert not any("list.json" in t for t in jsnews_site.requests)  # no script ran
    assert result.stderr.count("Browser rendering is off (BROWSER_ENABLED=0)") == 1


def test_per_request_opt_in_and_plain_requests_keep_the_configured_handler(crawl):
    def fine(handler):  # a server's own reason phrase, which only newsbot's handler keeps
        body = (JSNEWS / "view_5101.html").read_bytes()
        handler.send_response(200, "Fine")
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    routes = load_routes(JSNEWS)
    routes["/news/view.php?idx=5101"] = Route(handler=fine)
    with LocalSite(routes) as site:
        # no browser_pages on this spider: BROWSER_ENABLED=1 installs the browser, the
        # request meta decides which pages use it
        result = crawl("jsnews_per_request", "-a", f"base_url={site.base_url}",
                       settings={**SPIDERS, "BROWSER_ENABLED": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(r["article_id"] for r in result.records("jsnews_per_request")) == ARTICLE_IDS
    assert result.stats()["newsbot/browser/pages_rendered"] == 3
    statuslines = {h.get_header("WARC-Target-URI"): http.statusline
                   for t, h, http, _ in warc_records(result.warcs("jsnews_per_request")) if t == "response"}
    assert statuslines[f"{site.base_url}/news/view.php?idx=5101"] == "200 Fine"
    assert statuslines[f"{site.base_url}/news/view.php?idx=5102"] == "200 OK"


def test_archive_holds_what_the_browser_received_and_what_it_rendered(jsnews_site, crawl):
    result = crawl("jsnews", "-a", f"base_url={jsnews_site.base_url}", "-a", "max_pages=1", settings=SPIDERS)
    assert result.returncode == 0, result.stderr[-3000:]
    records = warc_records(result.warcs("jsnews"))
    base = jsnews_site.base_url
    responses = {h.get_header("WARC-Target-URI"): (h, http, body) for t, h, http, body in records if t == "response"}
    requests = {h.get_header("WARC-Concurrent-To"): h.get_header("WARC-Target-URI")
                for t, h, _, _ in records if t == "request"}

    # Every response the browser received, as the server sent it (bodies decoded by the
    # browser: the encoding header is kept renamed, the length fits the stored body).
    list_url, json_url = f"{base}/news/list.php", f"{base}/news/list.json?page=1&chunk=1"
    list_headers, list_http, list_body = responses[list_url]
    assert list_http.statusline == "200 OK"
    assert list_body == (JSNEWS / "list.html").read_bytes()
    assert b'href="/news/view.php' not in list_body  # the server sent no article links
    _, json_http, json_body = responses[json_url]
    assert json_body == (JSNEWS / "list_1_1.json").read_bytes()
    assert json_http.get_header("Content-Type") == "application/json"
    assert json_http.get_header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert json_http.get_header("Content-Encoding") is None
    assert json_http.get_header("Content-Length") == str(len(json_body))
    assert json.loads(responses[f"{base}/news/list.json?page=1&chunk=2"][2])["more"] is False
    for url, (headers, _, _) in responses.items():
        assert requests[headers.get_header("WARC-Record-ID")] == url  # each with its request record

    # What the reader saw: the rendered DOM, its own record, referring to the document.
    (conversion,) = [(h, body) for t, h, _, body in records if t == "conversion"]
    conversion_headers, dom = conversion
    assert conversion_headers.get_header("WARC-Target-URI") == list_url
    assert conversion_headers.get_header("WARC-Refers-To") == list_headers.get_header("WARC-Record-ID")
    assert conversion_headers.get_header("Content-Type") == "text/html; charset=utf-8"
    text = dom.decode("utf-8")
    assert [f'href="/news/view.php?idx={i}"' in text for i in ("5105", "5104", "5103", "5102")] == [True] * 4

    # The JSON record of each article points at its plain response record.
    by_id = {h.get_header("WARC-Record-ID"): h.get_header("WARC-Target-URI")
             for t, h, _, _ in records if t == "response"}
    for article in result.records("jsnews"):
        assert by_id[article["warc_record_id"]] == article["url"]

    for warc in result.warcs("jsnews"):
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(warc)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "digest fail" not in check.stdout


def test_missing_chromium_is_one_clear_error(jsnews_site, crawl):
    result = crawl("jsnews", "-a", f"base_url={jsnews_site.base_url}",
                   settings={**SPIDERS, "BROWSER_EXECUTABLE": "/nonexistent/chromium"})
    assert result.returncode == 2
    errors = [line.split(": error: ", 1)[1] for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == ["BROWSER_EXECUTABLE='/nonexistent/chromium': no such program; "
                      "install Chromium (apt-get install chromium) or point BROWSER_EXECUTABLE at it"]
    assert "Traceback" not in result.stderr
    assert jsnews_site.requests == []


def test_a_page_that_hangs_times_out_cleanly_and_is_counted(crawl):
    release = threading.Event()

    def never_answers(handler):
        release.wait(30)  # holds the JSON request open: the page never becomes idle

    routes = load_routes(JSNEWS)
    routes["/news/list.json?page=2&chunk=1"] = Route(handler=never_answers)
    with LocalSite(routes) as site:
        try:
            result = crawl("jsnews", "-a", f"base_url={site.base_url}",
                           settings={**SPIDERS, "BROWSER_TIMEOUT": "2"}, timeout=90)
        finally:
            release.set()
    assert result.returncode == 0, result.stderr[-3000:]
    # page 1's four articles are archived and recorded; page 2 gave up, nothing after it
    assert sorted(r["article_id"] for r in result.records("jsnews")) == ["5102", "5103", "5104", "5105"]
    stats = result.stats()
    assert stats["newsbot/browser/timeouts"] == 1
    assert stats["newsbot/browser/pages_rendered"] == 1
    assert stats["playwright/page_count"] == stats["playwright/page_count/closed"] == 2
    gave_up = [line for line in result.stderr.splitlines() if "Browser gave up on" in line]
    assert len(gave_up) == 1
    assert f"Browser gave up on {site.base_url}/news/list.php?page=2 after 2s" in gave_up[0]
    assert "Error downloading" not in result.stderr
    assert "Traceback" not in result.stderr


# -- no leaks over a long rendered crawl ---------------------------------------------
def process_table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command name) of every process, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        name = stat[stat.index("(") + 1: stat.rindex(")")]
        table[int(entry.name)] = (int(stat[stat.rindex(")") + 2:].split()[1]), name)
    return table


def proportional_memory(pid: int) -> int:
    """PSS in bytes: shared pages divided among the processes sharing them (unlike RSS,
    summing it over Chromium's processes does not count the same library many times)."""
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def browser_processes(root: int) -> dict[int, int]:
    """pid -> PSS of the Chromium processes descending from ``root``."""
    table = process_table()
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, name) in table.items():
            if ppid == parent:
                frontier.append(pid)
                if "chrom" in name:
                    found[pid] = proportional_memory(pid)
    return found


def article_per_idx(handler):
    idx = handler.path.rsplit("=", 1)[-1]
    body = (f'<html><head><meta charset="utf-8"><title>기사 {idx}</title></head><body>'
            f'<div class="titleWrap"><strong>시정 소식 {idx}호</strong></div>'
            f'<div class="registModifyDate"><ul><li>기사등록 2024-09-01 10:00:00</li></ul></div>'
            f'<div id="viewContent"><p>소식 {idx}의 본문입니다.</p></div></body></html>').encode()
    handler._send(200, body, "text/html; charset=utf-8", [])


@pytest.mark.timeout(400)
def test_two_hundred_rendered_pages_keep_the_browser_bounded(tmp_path):
    pages = 200
    with LocalSite({"/news/view.php": Route(handler=article_per_idx)}) as site:
        urls = ",".join(site.url(f"/news/view.php?idx={i}") for i in range(1, pages + 1))
        settings = {**TEST_SETTINGS, **SPIDERS, "OUTPUT_DIR": str(tmp_path / "output"),
                    "CONCURRENT_REQUESTS": "8", "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
                    "ROBOTSTXT_OBEY": "0", "LOG_LEVEL": "INFO",
                    # these pages run no script: "load" is enough, and keeps the test short
                    "BROWSER_WAIT_UNTIL": "load"}
        cmd = [sys.executable, "-m", "scrapy", "crawl", "jsnews_rendered", "-a", f"base_url={site.base_url}",
               "-a", f"urls={urls}"]
        for name, value in settings.items():
            cmd += ["-s", f"{name}={value}"]
        crawl = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        stderr_lines: list[str] = []
        reader = threading.Thread(target=lambda: stderr_lines.extend(crawl.stderr), daemon=True)
        reader.start()
        samples, seen = [], set()
        deadline = time.monotonic() + 300  # ~30-80 s here (2 CPUs); a hang must not run forever
        try:
            while crawl.poll() is None and time.monotonic() < deadline:
                procs = browser_processes(crawl.pid)
                seen |= set(procs)
                if procs:
                    samples.append((len(procs), sum(procs.values())))
                threading.Event().wait(0.1)
            crawl.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            if crawl.poll() is None:
                crawl.kill()
        reader.join(10)
    stderr = "".join(stderr_lines)
    assert crawl.returncode == 0, stderr[-3000:]

    result = CrawlResult(crawl.returncode, "", stderr, tmp_path / "output")
    assert len(result.records("jsnews_rendered")) == pages
    stats = result.stats()
    assert stats["newsbot/browser/pages_rendered"] == pages
    assert stats["playwright/page_count"] == stats["playwright/page_count/closed"] == pages
    assert stats["playwright/context_count"] == 1
    assert stats["playwright/page_count/max_concurrent"] <= 8

    # Bounded while running: process count and memory in the last third of the crawl are
    # no worse than in the first third (a leak of pages or contexts would grow both).
    assert len(samples) >= 9, samples
    third = len(samples) // 3
    early, late = samples[:third], samples[-third:]
    print(f"chromium processes max {max(n for n, _ in samples)}, "
          f"PSS early max {max(r for _, r in early) >> 20} MiB, late max {max(r for _, r in late) >> 20} MiB")
    assert max(n for n, _ in samples) <= 20
    assert max(n for n, _ in late) <= max(n for n, _ in early) + 2
    assert max(r for _, r in late) <= 1.5 * max(r for _, r in early)
    # and nothing left behind after the crawl (helpers may take a moment to notice)
    for _ in range(50):
        table = process_table()
        alive = sorted(f"{pid} {table[pid][1]}" for pid in seen if "chrom" in table.get(pid, (0, ""))[1])
        if not alive:
            break
        threading.Event().wait(0.1)
    assert alive == []
