"""A replay proven in a real browser: pywb serves an archived article with its photo and
stylesheet, headless Chromium shows it, and nothing it requests goes anywhere but pywb.

The archive is made here, with newsbot's own WARC writer, from a LocalSite page that links
a stylesheet and a photo (a PNG built below); the site is shut down before the replay.
The same page archived without its photo must show a photo that did not load: the
assertions can fail.  A screenshot of each replay is written to
``output/test-screenshots/`` for a person to look at (the path is printed).

Skipped only where Chromium or pywb is missing and not under CI (.ci/run installs
Chromium, ``make test`` builds pywb's virtualenv): there a missing one is a failure.
"""

from __future__ import annotations

import os
import struct
import zlib

import pytest

from newsbot.testing.localsite import LocalSite, Route
from newsbot.testing.replay_browser import (Pywb, archive_urls, chromium_installed, open_in_browser,
                                            pywb_installed, pywb_venv)
from tests.conftest import REPO, run_scrapy

PYWB_VENV = pywb_venv(REPO)
SCREENSHOTS = REPO / "output" / "test-screenshots"

pytestmark = [
    pytest.mark.skipif(not chromium_installed() and not os.environ.get("CI"),
                       reason="no Chromium here (apt-get install chromium; .ci/run installs it, so CI runs these)"),
    pytest.mark.skipif(not pywb_installed(PYWB_VENV) and not os.environ.get("CI"),
                       reason=f"pywb is not installed in {PYWB_VENV} (`make pywb`; `make test` builds it, so CI runs these)"),
]

TITLE_COLOR = "rgb(0, 102, 153)"
PHOTO_SIZE = (120, 80)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG (8-bit RGB, one colour), from its specification: zlib and struct suffice."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))   # filter 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)          # 8 bits, truecolour
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


ARTICLE = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>수원시, 시민 사진전 개최</title>
<link rel="stylesheet" href="/css/site.css"></head>
<body><h1 class="article-title">수원시, 시민 사진전 개최</h1>
<figure><img id="photo" src="/photo/1.png" alt="사진전"><figcaption>시민 사진전</figcaption></figure>
<p class="article-body">수원시는 시민이 찍은 사진 40점을 시청 로비에 전시한다.</p>
</body></html>""".encode("utf-8")
STYLESHEET = f"""body {{ font-family: sans-serif; }}
.article-title {{ color: {TITLE_COLOR}; }}
""".encode("utf-8")


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    """pywb with three collections of the same article: ``full`` (page, stylesheet, photo),
    ``nophoto`` (page and stylesheet) and ``wacz`` (``full`` packed by ``scrapy wacz``); the
    site that served them is gone."""
    root = tmp_path_factory.mktemp("replay")
    routes = {
        "/news/view.html": Route(body=ARTICLE),
        "/css/site.css": Route(body=STYLESHEET, content_type="text/css"),
        "/photo/1.png": Route(body=png(*PHOTO_SIZE, (200, 40, 40)), content_type="image/png"),
    }
    with LocalSite(routes) as site:
        article, stylesheet, photo = (site.url(path) for path in routes)
        full = archive_urls([article, stylesheet, photo], root / "out" / "photos" / "warc", "photos")
        without_photo = archive_urls([article, stylesheet], root / "nophoto", "photos")
        host = site.base_url.removeprefix("http://")
    packed = run_scrapy(["wacz", "photos", "-o", str(root / "photos.wacz")], root / "out")
    assert packed.returncode == 0, packed.stderr[-2000:]
    with Pywb(PYWB_VENV, root / "pywb") as pywb:
        pywb.add_warcs([full], collection="full")
        pywb.add_warcs([without_photo], collection="nophoto")
        pywb.add_wacz(root / "photos.wacz", collection="wacz")
        pywb.start()
        yield pywb, {"article": article, "stylesheet": stylesheet, "photo": photo, "site_host": host}


def visit(pywb, url, collection, name):
    shot = SCREENSHOTS / f"{name}.png"
    seen = open_in_browser(pywb.replay_url(url, collection=collection), allowed_hosts={pywb.host},
                           images=["#photo"], styles=[(".article-title", "color")], screenshot=shot)
    print(f"\nscreenshot of the replay: {shot}")
    return seen


def replayed(pywb, collection, modifier, url):
    return f"{pywb.base_url}/{collection}/{modifier}/{url}"


def test_article_replays_with_its_photo_and_stylesheet_and_nothing_escapes(replay):
    pywb, urls = replay
    seen = visit(pywb, urls["article"], "full", "replay-article-with-photo")
    assert seen.escaped == []
    assert not any(urls["site_host"] in request.split("/", 3)[2] for request in seen.requests)
    assert seen.final_url == replayed(pywb, "full", "mp_", urls["article"])
    assert seen.image_widths == {"#photo": PHOTO_SIZE[0]}
    assert seen.styles == {(".article-title", "color"): TITLE_COLOR}
    # the requisites came from the archive, through pywb's rewriting
    assert seen.statuses[replayed(pywb, "full", "cs_", urls["stylesheet"])] == 200
    assert seen.statuses[replayed(pywb, "full", "im_", urls["photo"])] == 200
    assert seen.screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_article_replays_the_same_from_its_wacz(replay):
    pywb, urls = replay
    seen = visit(pywb, urls["article"], "wacz", "replay-article-from-wacz")
    assert seen.escaped == []
    assert seen.image_widths == {"#photo": PHOTO_SIZE[0]}
    assert seen.styles == {(".article-title", "color"): TITLE_COLOR}
    assert seen.statuses[replayed(pywb, "wacz", "im_", urls["photo"])] == 200


def test_a_photo_missing_from_the_archive_shows_as_not_loaded(replay):
    pywb, urls = replay
    seen = visit(pywb, urls["article"], "nophoto", "replay-article-photo-not-archived")
    assert seen.escaped == []
    assert seen.image_widths == {"#photo": 0}
    assert seen.statuses[replayed(pywb, "nophoto", "im_", urls["photo"])] == 404
    assert seen.styles == {(".article-title", "color"): TITLE_COLOR}


def test_a_request_to_another_host_is_recorded_and_refused(tmp_path):
    # The live page (no pywb) with a photo on another loopback address: that request is
    # what "escaped" means, and the harness must list it (and never send it).
    elsewhere = "http://127.0.0.2:9/photo/elsewhere.png"
    page = f'<!doctype html><html><body><img id="photo" src="{elsewhere}"></body></html>'.encode()
    with LocalSite({"/live.html": Route(body=page)}) as site:
        seen = open_in_browser(site.url("/live.html"), allowed_hosts={site.base_url.removeprefix("http://")},
                               images=["#photo"], frame=None)
    assert seen.requests == [site.url("/live.html"), elsewhere]
    assert seen.escaped == [elsewhere]
    assert seen.image_widths == {"#photo": 0}
