"""Lazy-loaded photos: a skin that keeps the photo in ``data-src`` (or ``data-original``,
or only a ``srcset``) with a placeholder in ``src`` gives the same ``images`` as the plain
page, on every fixture page with photos, for every CMS family; the main-content layer (trafilatura, for pages no
family reads) names the same photo; and the page's requisites then name the real photo, not
the placeholder (so the archive replays with it)."""

from __future__ import annotations

import re

import pytest
from lxml import html
from scrapy.http import HtmlResponse
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from newsbot.extract.base import image_source, largest_srcset_candidate, srcset_candidates
from newsbot.warc.requisites import page_requisites

from .fixture_cases import fixture_cases

SPIDERS = SpiderLoader.from_settings(get_project_settings())
PLACEHOLDER = b"data:image/gif;base64,R0lGODlhAQABAAAAACw="
IMG_SRC = re.compile(rb'(<img\b[^>]*?\s)src=("[^"]*"|\'[^\']*\')', re.I)


def lazy(body: bytes, how: str) -> bytes:
    """The page as a lazy-loading skin serves it: every <img>'s address moved out of ``src``."""
    def move(match):
        head, quoted = match.group(1), match.group(2)
        if how == "srcset":   # only a srcset, the real photo its widest candidate
            return head + b'srcset=' + quoted[:1] + b"/thumbs/small.jpg 320w, " + quoted[1:-1] + b" 1200w" + quoted[-1:]
        return head + b'src="' + PLACEHOLDER + b'" ' + how.encode() + b"=" + quoted
    return IMG_SRC.sub(move, body)


def images_of(spidercls, url: str, body: bytes, headers) -> list[str]:
    response = HtmlResponse(url, body=body, headers=headers)
    return spidercls.article_page(response.url, response.selector).to_dict()["images"]


PAGES = [(case, page) for case in fixture_cases() for page in case.pages
         if page.get("expected", {}).get("images")]


def family(case) -> str:
    return SPIDERS.load(case.spider).article_page.__module__.rsplit(".", 1)[-1]


def test_pages_with_photos_cover_every_cms_family():
    assert {family(case) for case, _ in PAGES} >= {"mcode", "breaknews", "ncode", "gnuboard", "ndsoft"}


@pytest.mark.parametrize("how", ["data-src", "data-original", "srcset"])
@pytest.mark.parametrize(("case", "page"), PAGES, ids=[f"{c.name}/{p['file']}" for c, p in PAGES])
def test_lazy_loaded_photos_are_the_same_images(case, page, how):
    spidercls = SPIDERS.load(case.spider)
    headers = page.get("headers") or {"Content-Type": "text/html"}
    plain = (case.folder / page["file"]).read_bytes()
    served = lazy(plain, how)
    assert served != plain and b"<img" in plain
    assert images_of(spidercls, page["url"], served, headers) == page["expected"]["images"]


def test_requisites_name_the_lazy_photo_not_the_placeholder():
    case, page = PAGES[0]
    spidercls = SPIDERS.load(case.spider)
    headers = page.get("headers") or {"Content-Type": "text/html"}
    response = HtmlResponse(page["url"], body=lazy((case.folder / page["file"]).read_bytes(), "data-src"),
                            headers=headers)
    images = spidercls.article_page(response.url, response.selector).to_dict()["images"]
    found = [r.url for r in page_requisites(response.selector.root, response.url, images, css=False)]
    assert found[:len(images)] == images == page["expected"]["images"]
    assert not any(url.startswith("data:") for url in found)


@pytest.mark.parametrize(("markup", "expected"), [
    ('<img src="/a.jpg">', "/a.jpg"),
    ('<img src="/blank.gif" data-src="/real.jpg">', "/real.jpg"),        # a lazy loader's placeholder
    ('<img src="/thumb.jpg" data-original=" /big.jpg ">', "/big.jpg"),
    ('<img data-lazy-src="/l.jpg">', "/l.jpg"),
    ('<img src="data:image/gif;base64,R0" data-src="data:x">', None),    # nothing but placeholders
    ('<img srcset="/s.jpg 300w, /l.jpg 900w, /m.jpg 600w">', "/l.jpg"),
    ('<img src="data:image/gif;base64,R0" data-srcset="/1x.jpg 1x, /2x.jpg 2x">', "/2x.jpg"),
    ("<img>", None),
])
def test_image_source(markup, expected):
    assert image_source(html.fragment_fromstring(markup)) == expected


def test_srcset_is_split_as_the_standard_says():
    # a URL runs to whitespace, commas included (only trailing ones end it); a candidate
    # without a descriptor is 1x
    assert srcset_candidates("/a,b.jpg 2x, /c.jpg,/d.jpg 480w") == [("/a,b.jpg", "2x"), ("/c.jpg,/d.jpg", "480w")]
    assert srcset_candidates(" /c.jpg, /d.jpg 480w,") == [("/c.jpg", ""), ("/d.jpg", "480w")]
    assert largest_srcset_candidate("/a.jpg, /b.jpg 1.5x") == "/b.jpg"
    assert largest_srcset_candidate("data:x 2x") is None
    assert largest_srcset_candidate("") is None


MAIN_CONTENT_PAGE = ('<html><body><div id="menu"><a href="/">홈</a></div><article><h1>시청 소식</h1><p>{a}</p>'
                     '<figure>{img}<figcaption>현장 모습</figcaption></figure><p>{b}</p></article></body></html>')


@pytest.mark.parametrize("img", [
    '<img src="/photo/a.jpg" alt="">',
    '<img src="data:image/gif;base64,R0" data-src="/photo/a.jpg" alt="">',
    '<img src="/img/blank.gif" data-original="/photo/a.jpg" alt="">',   # trafilatura alone: blank.gif
])
def test_main_content_layer_names_the_loaded_photo(img):
    from newsbot.extract.main_content import extract_main_content

    page = MAIN_CONTENT_PAGE.format(a="시민 참여 예산을 늘린다고 밝혔다. " * 25, img=img, b="주민 의견을 모았다. " * 25)
    found = extract_main_content(html.fromstring(page), "http://news.example.kr/news/1")
    assert found.images == ["http://news.example.kr/photo/a.jpg"]


def test_main_content_layer_keeps_each_photo_behind_a_shared_placeholder():
    from newsbot.extract.main_content import extract_main_content

    photos = "".join(f'<figure><img src="/img/blank.gif" data-original="/photo/{n}.jpg" alt=""></figure>'
                     f"<p>{'주민 의견을 모았다. ' * 20}</p>" for n in (1, 2, 3))
    page = MAIN_CONTENT_PAGE.format(a="시민 참여 예산을 늘린다고 밝혔다. " * 25, img=photos, b="끝. " * 5)
    found = extract_main_content(html.fromstring(page), "http://news.example.kr/news/1")
    assert found.images == [f"http://news.example.kr/photo/{n}.jpg" for n in (1, 2, 3)]


def test_trafilatura_reads_data_src_then_src():
    # newsbot.extract.main_content traces trafilatura's image addresses back to the page's
    # <img> with this function of trafilatura.utils: if it changes, this fails first
    from trafilatura.utils import image_src

    assert image_src(html.fragment_fromstring('<img src="/a.jpg" data-src="/b.jpg">')) == "/b.jpg"
    assert image_src(html.fragment_fromstring('<img src="/blank.gif" data-original="/c.jpg">')) == "/blank.gif"
