"""pywb, the archivists' replay server, replays a crawl's WARCs through newsbot's own CDXJ.

pywb pins libraries (redis 2.x, among others) that clash with the crawler's, so it lives in
its own virtualenv: ``$NEWSBOT_PYWB_VENV`` or ``.venv-pywb/`` (``make pywb``; CI installs
it).  The server runs on 127.0.0.1 in a subprocess, always stopped, every wait bounded.
"""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from parsel import Selector

from newsbot.normalize import normalize_article
from newsbot.spiders.registry import GginewsSpider

from .conftest import FIXTURES, REPO

PYWB_VENV = REPO / os.environ.get("NEWSBOT_PYWB_VENV", ".venv-pywb")  # relative: to the repo
WAYBACK = PYWB_VENV / "bin" / "wayback"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as reply:
            status, headers, body = reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, dict(error.headers), error.read()
    if headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return status, headers, body


@pytest.fixture
def wayback(tmp_path):
    """``start(warc_dir)`` -> base URL of a pywb serving collection ``news`` from it."""
    assert WAYBACK.exists(), f"pywb is not installed in {PYWB_VENV}: run `make pywb`"
    servers = []

    def start(warc_dir: Path) -> str:
        root = tmp_path / "pywb"
        root.mkdir()
        # Our own per-WARC .cdxj files are the index: pywb reads the folder of them.
        (root / "config.yaml").write_text(
            "collections:\n"
            "  news:\n"
            f"    index_paths: {warc_dir}\n"
            f"    archive_paths: {warc_dir}/\n",
            encoding="utf-8",
        )
        port = free_port()
        proc = subprocess.Popen([str(WAYBACK), "-b", "127.0.0.1", "-p", str(port)], cwd=root,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        servers.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"wayback exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return base
            except OSError:
                time.sleep(0.2)
        raise AssertionError("wayback did not start within 60 s")

    yield start
    for proc in servers:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def extracted_body(url: str, page: bytes) -> str:
    """The body newsbot extracts from ``page``, as the crawl's JSON record has it."""
    raw = GginewsSpider.article_page(url, Selector(text=page.decode("utf-8"))).to_dict()
    return normalize_article(raw)["body"]


def cdxj_timestamp(warc_dir: Path, url: str, mime_not: str = "") -> str:
    for index in sorted(warc_dir.glob("*.cdxj")):
        for line in index.read_text(encoding="utf-8").splitlines():
            _, stamp, fields = line.split(" ", 2)
            if f'"url": "{url}"' in fields and (not mime_not or f'"mime": "{mime_not}"' not in fields):
                return stamp
    raise AssertionError(f"{url} not in the CDXJ indexes of {warc_dir}")


def test_pywb_replays_archived_articles_with_the_crawled_body(gginews_site, crawl, tmp_path, wayback):
    out = tmp_path / "out"
    for _ in range(2):  # the second run re-fetches everything: its article captures are revisits
        result = crawl("gginews", "-a", f"base_url={gginews_site.base_url}", output_dir=out)
        assert result.returncode == 0, result.stderr[-3000:]
        for state in (out / "gginews").glob("state.sqlite3*"):
            state.unlink()
    warc_dir = out / "gginews" / "warc"
    first_run = {r["article_id"]: r for r in result.records("gginews")[:5]}
    base = wayback(warc_dir)

    article = first_run["71401"]       # sent gzip-encoded by the fixture site
    sent = (FIXTURES / "gginews" / "view_71401.html").read_bytes()
    original, revisit = sorted({cdxj_timestamp(warc_dir, article["url"], m) for m in ("warc/revisit", "text/html")})
    for stamp in (original, revisit):   # the revisit resolves to the original payload
        status, _, body = fetch(f"{base}/news/{stamp}id_/{article['url']}")
        assert status == 200
        assert body == sent                # identity replay: the very bytes the server sent
    # rewritten replay (mp_: the page inside pywb's frame) shows the text the crawl extracted
    status, headers, body = fetch(f"{base}/news/{original}mp_/{article['url']}")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"wombat" in body           # really pywb's rewriting, not the raw file
    assert extracted_body(article["url"], body) == article["body"]

    chunked = first_run["71402"]       # sent chunked
    stamp = cdxj_timestamp(warc_dir, chunked["url"], "warc/revisit")
    status, _, body = fetch(f"{base}/news/{stamp}id_/{chunked['url']}")
    assert status == 200 and body == (FIXTURES / "gginews" / "view_71402.html").read_bytes()
    assert extracted_body(chunked["url"], body) == chunked["body"]
