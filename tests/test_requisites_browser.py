"""Replay proven in a real browser, from a real crawl: ``scrapy crawl`` archives a fixture
outlet whose article has a photo and a stylesheet (with an @import, a web font and a
background logo); pywb replays the crawl's own WARC files (and their WACZ) once the site
is gone; headless Chromium opens the article through pywb and shows it as a reader saw
it: the photo loaded (``naturalWidth``), the stylesheet's rules applied (one from the
stylesheet, one from the file it imports), every request answered by pywb and none
escaping to the live web.  Crawled with ``REQUISITES=none``, the same article shows no
photo and no style: the assertions can fail.

Screenshots for a person to look at: ``output/test-screenshots/requisites-*.png`` (the
paths are printed).  Skipped only where Chromium or pywb is missing and not under CI.
"""

from __future__ import annotations

import os

import pytest

from newsbot.testing.localsite import LocalSite, load_routes
from newsbot.testing.replay_browser import Pywb, chromium_installed, open_in_browser, pywb_installed, pywb_venv

from .conftest import FIXTURES, REPO, run_scrapy

PYWB_VENV = pywb_venv(REPO)
SCREENSHOTS = REPO / "output" / "test-screenshots"
SPIDER = "idomin"
ARTICLE = "/news/articleView.html?idxno=900201"
PHOTO_WIDTH = 160                                   # tests/fixtures/photos_outlet/900201_1.jpg
TITLE = (".article-view-header .heading", "color")  # style.css
TITLE_COLOR = "rgb(0, 102, 153)"
PHOTO_BORDER = ("figure.photo-layout img", "border-top-color")   # layout.css, @imported by style.css
BORDER_COLOR = "rgb(204, 0, 0)"

pytestmark = [
    pytest.mark.skipif(not chromium_installed() and not os.environ.get("CI"),
                       reason="no Chromium here (apt-get install chromium; .ci/run installs it, so CI runs these)"),
    pytest.mark.skipif(not pywb_installed(PYWB_VENV) and not os.environ.get("CI"),
                       reason=f"pywb is not installed in {PYWB_VENV} (`make pywb`; `make test` builds it)"),
]


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    """pywb over three collections of one crawl of the fixture outlet: ``full`` (its WARCs,
    requisites on, the default), ``wacz`` (the same run packed by ``scrapy wacz``) and
    ``none`` (a crawl with ``REQUISITES=none``).  The site is shut down before replay."""
    root = tmp_path_factory.mktemp("requisites-replay")
    with LocalSite(load_routes(FIXTURES / "photos_outlet")) as site:
        full = run_scrapy(["crawl", SPIDER, "-a", f"base_url={site.base_url}"], root / "full")
        bare = run_scrapy(["crawl", SPIDER, "-a", f"base_url={site.base_url}"], root / "none", {"REQUISITES": "none"})
        base, host = site.base_url, site.base_url.removeprefix("http://")
    assert full.returncode == 0, full.stderr[-3000:]
    assert bare.returncode == 0, bare.stderr[-3000:]
    packed = run_scrapy(["wacz", SPIDER, "-o", str(root / "full.wacz")], root / "full")
    assert packed.returncode == 0, packed.stderr[-3000:]
    with Pywb(PYWB_VENV, root / "pywb") as pywb:
        pywb.add_warcs(full.warcs(SPIDER), collection="full")
        pywb.add_wacz(root / "full.wacz", collection="wacz")
        pywb.add_warcs(bare.warcs(SPIDER), collection="none")
        pywb.start()
        yield pywb, base, host


def visit(pywb, base, collection):
    shot = SCREENSHOTS / f"requisites-{collection}.png"
    seen = open_in_browser(pywb.replay_url(base + ARTICLE, collection=collection), allowed_hosts={pywb.host},
                           images=["#photo"], styles=[TITLE, PHOTO_BORDER], screenshot=shot)
    print(f"\nscreenshot of the replay ({collection}): {shot}")
    return seen


def answered(seen, suffix: str) -> dict[str, int]:
    """Statuses of pywb's answers for archived URLs ending in ``suffix``."""
    return {url: status for url, status in seen.statuses.items() if url.endswith(suffix)}


@pytest.mark.parametrize("collection", ["full", "wacz"])
def test_the_crawled_article_replays_with_its_photo_and_styles_and_nothing_escapes(replay, collection):
    pywb, base, site_host = replay
    seen = visit(pywb, base, collection)
    assert seen.escaped == []
    assert all(request.split("/", 3)[2] == pywb.host for request in seen.requests)
    assert site_host not in {request.split("/", 3)[2] for request in seen.requests}
    assert seen.image_widths == {"#photo": PHOTO_WIDTH}
    assert seen.styles == {TITLE: TITLE_COLOR, PHOTO_BORDER: BORDER_COLOR}
    # every requisite the page used came from the archive, through pywb
    for path in ("/news/photo/202404/900201_1.jpg", "/css/style.css", "/css/layout.css", "/image/logo.png",
                 "/fonts/headline.woff2"):
        statuses = answered(seen, base + path)
        assert statuses and set(statuses.values()) == {200}, (path, seen.statuses)
    assert seen.screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_crawled_without_requisites_the_article_replays_without_photo_or_style(replay):
    pywb, base, _ = replay
    seen = visit(pywb, base, "none")
    assert seen.escaped == []
    assert seen.image_widths == {"#photo": 0}
    assert seen.styles[TITLE] != TITLE_COLOR and seen.styles[PHOTO_BORDER] != BORDER_COLOR
    assert set(answered(seen, base + "/news/photo/202404/900201_1.jpg").values()) == {404}
