"""Page requisites in-process: which URLs a page and a stylesheet name, the requests the
middleware schedules (and does not), and how their outcomes are counted apart from
article faults.  Crawls of a fixture outlet: tests/test_requisites_crawl.py; replay in a
browser: tests/test_requisites_browser.py."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured, UsageError
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from newsbot.faults import record_fault
from newsbot.faults.downloader import FaultMiddleware
from newsbot.items import ArticleItem
from newsbot.warc import REQUISITE_META_KEY
from newsbot.warc.requisites import (CSS, FONT, IMAGE, MAX_PER_DOCUMENT, PRIORITY, Requisite, RequisitesMiddleware,
                                     css_references, page_requisites, requisites_mode, requisites_report, same_site,
                                     style_attribute_references)
from tests.conftest import FIXTURES

#: the ND Soft outlet the fixture imitates (a registry spider, loaded as Scrapy loads it)
IdominSpider = SpiderLoader.from_settings(get_project_settings()).load("idomin")
BASE = "http://www.example.com"
ARTICLE = f"{BASE}/news/articleView.html?idxno=900201"


# -- stylesheets ---------------------------------------------------------------------------
def test_css_references_kinds_order_and_resolution():
    css = b"""@charset "utf-8";
@import url("/css/base.css");
@import "print.css" print;
/* url(/commented-out.png) is no reference */
body { background: url(/img/bg.png) no-repeat; }
@media screen {
  @font-face { font-family: X; src: url('/fonts/x.woff2') format("woff2"), url(/fonts/x.woff); }
  .logo { background-image: URL( "logo.svg" ); }
}
@font-face { src: url(data:font/woff;base64,AAAA); }
.hero { background: image-set("a.png" 1x, url(b.png) 2x); cursor: url(#cursor); }
.twice { background: url(/img/bg.png); }
.elsewhere { background: url(ftp://files.test/x.png); }
"""
    assert css_references(css, f"{BASE}/css/site.css") == [
        Requisite(f"{BASE}/css/base.css", CSS),
        Requisite(f"{BASE}/css/print.css", CSS),
        Requisite(f"{BASE}/img/bg.png", IMAGE),
        Requisite(f"{BASE}/fonts/x.woff2", FONT),   # @font-face inside @media is still a font
        Requisite(f"{BASE}/fonts/x.woff", FONT),
        Requisite(f"{BASE}/css/logo.svg", IMAGE),
        Requisite(f"{BASE}/css/a.png", IMAGE),
        Requisite(f"{BASE}/css/b.png", IMAGE),
    ]


def test_css_bytes_are_decoded_as_the_stylesheet_says():
    # EUC-KR text in a path: @charset decides how the bytes read, as in a browser
    css = '@charset "euc-kr";\n.x { background: url("/이미지/배경.png"); }'.encode("euc-kr")
    assert css_references(css, f"{BASE}/a.css") == [Requisite(f"{BASE}/이미지/배경.png", IMAGE)]
    # the HTTP header's charset wins over a guess when there is no @charset
    css = '.x { background: url("/사진.png"); }'.encode("euc-kr")
    assert css_references(css, f"{BASE}/a.css", encoding="euc-kr") == [Requisite(f"{BASE}/사진.png", IMAGE)]


def test_css_without_urls_is_not_parsed_and_names_nothing():
    assert css_references(".a{color:red}\n" * 100, f"{BASE}/a.css") == []
    assert css_references(b"", f"{BASE}/a.css") == []
    assert style_attribute_references("color: red", BASE) == []
    assert style_attribute_references("background:url('/h.jpg') center", f"{BASE}/x/") == [
        Requisite(f"{BASE}/h.jpg", IMAGE)]


# -- article pages -------------------------------------------------------------------------
def test_page_requisites_of_the_fixture_article():
    root = lxml_html.fromstring((FIXTURES / "photos_outlet" / "view_900201.html").read_bytes())
    photos = [f"{BASE}/news/photo/202404/900201_1.jpg"]
    assert page_requisites(root, ARTICLE, photos) == [
        Requisite(f"{BASE}/news/photo/202404/900201_1.jpg", IMAGE),     # the article's photo
        Requisite(f"{BASE}/news/thumbnail/900201_v150.jpg", IMAGE),     # og:image
        Requisite(f"{BASE}/css/style.css", CSS),                        # not the alternate stylesheet
    ]
    assert page_requisites(root, ARTICLE, photos, css=False) == [
        Requisite(f"{BASE}/news/photo/202404/900201_1.jpg", IMAGE),
        Requisite(f"{BASE}/news/thumbnail/900201_v150.jpg", IMAGE),
    ]


def test_page_requisites_http_only_base_href_inline_styles_each_once():
    root = lxml_html.fromstring(f"""<html><head><base href="{BASE}/news/">
<link rel="Stylesheet" href="/css/site.css"><link rel="stylesheet" href="/css/site.css#again">
<link rel="preload" href="/css/later.css"><link rel="icon" href="/favicon.ico">
<meta name="og:image" content="photo/og.jpg"><style>.x{{background:url(bg.png)}}</style></head>
<body><div style="background-image: url('/img/hero.jpg')"></div>
<link rel="stylesheet" href="file:///etc/passwd"><link rel="stylesheet" href="data:text/css,a{{}}">
</body></html>""")
    images = ["https://cdn.news.test/photo/1.jpg", "file:///etc/passwd", "ftp://news.test/1.jpg",
              "https://cdn.news.test/photo/1.jpg", ""]
    assert page_requisites(root, f"{BASE}/news/", images) == [
        Requisite("https://cdn.news.test/photo/1.jpg", IMAGE),   # another host: named by the page itself
        Requisite(f"{BASE}/news/photo/og.jpg", IMAGE),
        Requisite(f"{BASE}/css/site.css", CSS),
        Requisite(f"{BASE}/news/bg.png", IMAGE),
        Requisite(f"{BASE}/img/hero.jpg", IMAGE),
    ]


def test_same_site_is_the_registrable_domain():
    assert same_site("https://cdn.idomin.com/a.png", "https://www.idomin.com/news/1")
    assert not same_site("https://fonts.gstatic.com/x.woff2", "https://fonts.googleapis.com/css", "https://news.test/")
    assert same_site("https://fonts.gstatic.com/x.woff2", "https://fonts.googleapis.com/css", "https://gstatic.com/")
    assert not same_site("https://a.co.kr/x", "https://b.co.kr/y")      # a public suffix is no site
    assert same_site("http://127.0.0.1:8080/x", "http://127.0.0.1:9090/y")
    assert not same_site("http://127.0.0.2/x", "http://127.0.0.1/y")


# -- the middleware ------------------------------------------------------------------------
def make_crawler(**settings):
    project = get_project_settings()
    values = {name: project[name] for name in ("REQUISITES", "REQUISITES_MAXSIZE", "REQUISITES_STYLE_MAXSIZE",
                                               "WARC_ENABLED", "RETRY_TIMES")}
    crawler = get_crawler(IdominSpider, {**values, **settings})
    crawler._apply_settings()
    crawler.spider = IdominSpider.from_crawler(crawler, base_url=BASE)
    return crawler


def article_response(name="view_900201.html", url=ARTICLE):
    request = Request(url)
    return HtmlResponse(url, body=(FIXTURES / "photos_outlet" / name).read_bytes(), request=request)


def test_settings_values_and_when_it_is_off():
    assert requisites_mode(Settings({"REQUISITES": "images+css"})) == {IMAGE, CSS}
    assert requisites_mode(Settings({"REQUISITES": " Images "})) == {IMAGE}
    assert requisites_mode(Settings({"REQUISITES": "none"})) == set()
    with pytest.raises(UsageError, match="REQUISITES: 'all' is not one of none, images, images\\+css"):
        requisites_mode(Settings({"REQUISITES": "all"}))
    assert get_project_settings()["REQUISITES"] == "images+css"   # the default
    for off in ({"REQUISITES": "none"}, {"WARC_ENABLED": False}):   # nothing archives them: not fetched
        with pytest.raises(NotConfigured):
            RequisitesMiddleware.from_crawler(make_crawler(**off))


def test_requests_after_the_article_item_with_their_caps_priority_and_offsite_pass():
    crawler = make_crawler()
    spider, middleware = crawler.spider, RequisitesMiddleware.from_crawler(crawler)
    response = article_response()
    out = list(middleware.process_spider_output(response, spider.parse_article(response)))
    assert isinstance(out[0], ArticleItem)
    requests = out[1:]
    assert [(r.url, r.meta[REQUISITE_META_KEY]["kind"]) for r in requests] == [
        (f"{BASE}/news/photo/202404/900201_1.jpg", IMAGE),
        (f"{BASE}/news/thumbnail/900201_v150.jpg", IMAGE),
        (f"{BASE}/css/style.css", CSS),
    ]
    photo, _, stylesheet = requests
    assert photo.meta == {REQUISITE_META_KEY: {"kind": IMAGE, "page": ARTICLE, "depth": 0},
                          "allow_offsite": True, "download_maxsize": 8 * 1024 * 1024, "download_warnsize": 0}
    assert stylesheet.meta["download_maxsize"] == 4 * 1024 * 1024
    assert photo.headers[b"Accept"] == b"image/*,*/*;q=0.8"
    assert stylesheet.headers[b"Accept"] == b"text/css,*/*;q=0.1"
    # below articles (10), above list pages (0); callbacks the spider's own, so requests serialize
    assert {r.priority for r in requests} == {PRIORITY} and 0 < PRIORITY < 10
    assert photo.to_dict(spider=spider)["callback"] == "parse_requisite"
    assert photo.to_dict(spider=spider)["errback"] == "requisite_failed"


def test_images_mode_and_pages_that_are_not_articles():
    crawler = make_crawler(REQUISITES="images")
    spider, middleware = crawler.spider, RequisitesMiddleware.from_crawler(crawler)
    response = article_response()
    out = list(middleware.process_spider_output(response, spider.parse_article(response)))
    assert [r.url for r in out[1:]] == [f"{BASE}/news/photo/202404/900201_1.jpg",
                                        f"{BASE}/news/thumbnail/900201_v150.jpg"]
    # a list page yields requests, no item: nothing added
    listing = HtmlResponse(f"{BASE}/news/articleList.html?view_type=sm",
                           body=(FIXTURES / "photos_outlet" / "list_1.html").read_bytes())
    passed = [Request(f"{BASE}/news/articleView.html?idxno=1")]
    assert list(middleware.process_spider_output(listing, iter(passed))) == passed


def test_a_page_rendered_in_the_browser_gets_no_second_fetch_of_its_requisites():
    # the browser middleware archived every response the browser received for the page
    crawler = make_crawler()
    middleware = RequisitesMiddleware.from_crawler(crawler)
    rendered = article_response().replace(flags=["newsbot_browser_archived"])
    assert middleware.page_requests(rendered, ArticleItem(images=[f"{BASE}/p.jpg"])) == []
    assert len(middleware.page_requests(article_response(), ArticleItem(images=[f"{BASE}/p.jpg"]))) == 3


def test_a_page_naming_too_many_is_cut_and_counted():
    crawler = make_crawler()
    middleware = RequisitesMiddleware.from_crawler(crawler)
    photos = [f"{BASE}/p/{i}.jpg" for i in range(MAX_PER_DOCUMENT + 7)]
    response = article_response()
    requests = middleware.page_requests(response, ArticleItem(images=photos))
    assert len(requests) == MAX_PER_DOCUMENT
    assert crawler.stats.get_value("newsbot/requisites/skipped/over_limit") == 7 + 2   # + og:image, style.css


def stylesheet_response(url, body, depth=0, page=ARTICLE, status=200):
    request = Request(url, meta={REQUISITE_META_KEY: {"kind": CSS, "page": page, "depth": depth}})
    return TextResponse(url, body=body, status=status, request=request,
                        headers={"Content-Type": "text/css; charset=utf-8"})


def test_a_stylesheet_s_own_requisites_same_site_only_and_imports_bounded():
    crawler = make_crawler()
    middleware = RequisitesMiddleware.from_crawler(crawler)
    body = (FIXTURES / "photos_outlet" / "style.css").read_bytes() + (
        b'\n.cdn { background: url("https://cdn.example.com/bg.png"); }')
    requests = middleware.parsed(stylesheet_response(f"{BASE}/css/style.css", body))
    assert [(r.url, r.meta[REQUISITE_META_KEY]) for r in requests] == [
        (f"{BASE}/css/layout.css", {"kind": CSS, "page": ARTICLE, "depth": 1}),
        (f"{BASE}/fonts/headline.woff2", {"kind": FONT, "page": ARTICLE, "depth": 1}),
        (f"{BASE}/image/logo.png", {"kind": IMAGE, "page": ARTICLE, "depth": 1}),
        ("https://cdn.example.com/bg.png", {"kind": IMAGE, "page": ARTICLE, "depth": 1}),   # same site as the page
    ]
    assert requests[1].meta["download_maxsize"] == 4 * 1024 * 1024    # fonts: the style cap
    assert requests[2].meta["download_maxsize"] == 8 * 1024 * 1024    # images: the image cap
    stats = crawler.stats
    assert stats.get_value("newsbot/requisites/fetched/css") == 1
    assert stats.get_value("newsbot/requisites/skipped/other_site") == 1   # static.example.net
    # a stylesheet on a CDN may name its own site's fonts, not a third site's
    cdn = middleware.parsed(stylesheet_response(
        "https://static.cdnhost.net/site.css",
        b'@font-face{src:url(/f.woff)} .a{background:url(https://img.cdnhost.net/a.png)} .b{background:url(https://other.net/b.png)}'))
    assert [r.url for r in cdn] == ["https://static.cdnhost.net/f.woff", "https://img.cdnhost.net/a.png"]
    # imports stop at MAX_CSS_DEPTH; url()s of the deepest stylesheet are still fetched
    deep = middleware.parsed(stylesheet_response(f"{BASE}/css/c.css", b'@import "d.css"; .a{background:url(a.png)}',
                                                 depth=2))
    assert [r.url for r in deep] == [f"{BASE}/css/a.png"]
    assert stats.get_value("newsbot/requisites/skipped/too_deep") == 1


def test_an_image_response_is_counted_and_parsed_no_further():
    crawler = make_crawler()
    middleware = RequisitesMiddleware.from_crawler(crawler)
    request = Request(f"{BASE}/p.jpg", meta={REQUISITE_META_KEY: {"kind": IMAGE, "page": ARTICLE, "depth": 0}})
    assert middleware.parsed(Response(request.url, body=b"\xff\xd8\xff", request=request)) == []
    assert crawler.stats.get_value("newsbot/requisites/fetched/image") == 1


# -- faults: requisites are not articles -----------------------------------------------------
def requisite_request(url=f"{BASE}/news/photo/1.jpg", kind=IMAGE, spider=None):
    return Request(url, callback=spider.parse_requisite if spider else None,
                   meta={REQUISITE_META_KEY: {"kind": kind, "page": ARTICLE, "depth": 0}})


def test_fault_middleware_lets_a_photo_through_and_counts_its_404_as_a_requisite_failure(tmp_path):
    crawler = make_crawler(OUTPUT_DIR=str(tmp_path))
    faults = FaultMiddleware.from_crawler(crawler)
    request = requisite_request(spider=crawler.spider)
    photo = Response(request.url, body=b"\x89PNG\r\n", headers={"Content-Type": "image/png"}, request=request)
    assert faults.process_response(request, photo) is photo     # not "not_html"
    missing = Response(request.url, status=404, body=b"Not Found", request=request)
    with pytest.raises(IgnoreRequest):
        faults.process_response(request, missing)
    stats = crawler.stats.get_stats()
    assert {k: v for k, v in stats.items() if k.startswith("newsbot/")} == {
        "newsbot/requisites/failed/image": 1, "newsbot/requisites/failures/http_404": 1}
    assert not (tmp_path / "idomin" / "state.sqlite3").exists()   # no fault ledger entry, no state touched


def test_a_failure_is_counted_once_and_robots_is_a_skip():
    crawler = make_crawler()
    middleware = RequisitesMiddleware.from_crawler(crawler)
    request = requisite_request(kind=CSS)
    record_fault(crawler, request, "timeout", "took too long (after 3 retries)")
    # the fault middleware then raises IgnoreRequest: the errback must not count it again
    middleware.failed(_failure(request, IgnoreRequest(f"timeout: {request.url}")))
    robots = requisite_request(f"{BASE}/private/x.png")
    middleware.failed(_failure(robots, IgnoreRequest("Forbidden by robots.txt")))
    stats = {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("newsbot/")}
    assert stats == {"newsbot/requisites/failed/css": 1, "newsbot/requisites/failures/timeout": 1,
                     "newsbot/requisites/skipped/robots": 1}
    report = requisites_report(crawler.stats, crawler.settings)
    assert report == {"mode": "images+css", "fetched": {}, "revisits": 0, "failed": {"css": 1},
                      "failure_causes": {"timeout": 1}, "skipped": {"robots": 1}, "robots_unavailable": 0, "archived": 0,
                      "bytes_received": 0, "bytes_archived": 0}


def _failure(request, exception):
    from twisted.python.failure import Failure

    failure = Failure(exception)
    failure.request = request
    return failure


def test_the_run_s_duplicate_filter_drops_a_second_request_for_a_shared_requisite():
    from newsbot.state.dupefilter import RunDupeFilter

    crawler = make_crawler()
    dupefilter = RunDupeFilter.from_crawler(crawler)
    first = requisite_request(f"{BASE}/css/style.css", CSS, crawler.spider)
    again = requisite_request(f"{BASE}/css/style.css", CSS, crawler.spider)
    again.meta[REQUISITE_META_KEY]["page"] = f"{BASE}/news/articleView.html?idxno=2"   # named by another article
    assert dupefilter.request_seen(first) is False
    assert dupefilter.request_seen(again) is True


# -- archiving photos: stored, not deflated again ------------------------------------------------
def test_a_photo_is_stored_in_its_gzip_member_a_page_still_compressed(tmp_path):
    import random
    import zlib

    from warcio.archiveiterator import ArchiveIterator

    from newsbot.warc.writer import RollingWarcWriter

    photo = random.Random(7).randbytes(64 * 1024)    # as incompressible as a JPEG
    page = "<p>시청 로비에 사진 40점을 전시한다.</p>\n".encode() * 400
    writer = RollingWarcWriter(tmp_path, "photos", max_size=1 << 30, warcinfo={"software": "test"}, compress_level=3)
    placed = {}
    for url, body, mime in ((f"{BASE}/p.jpg", photo, "image/jpeg"), (f"{BASE}/a.html", page, "text/html; charset=utf-8")):
        location = writer.capture(url=url, method="GET", request_target="/", request_headers=[("Host", "x")],
                                  request_body=b"", status=200, reason="OK", protocol="HTTP/1.1",
                                  response_headers=[("Content-Type", mime), ("Content-Length", str(len(body)))],
                                  body=body)
        placed[url] = location
    writer.close()
    data = writer.path.read_bytes()
    photo_member = data[placed[f"{BASE}/p.jpg"]["offset"]:][:placed[f"{BASE}/p.jpg"]["length"]]
    # stored deflate blocks (64 KB each): the payload is in the member as is, the member barely larger
    assert photo[:30000] in photo_member and len(photo) < len(photo_member) < len(photo) + 1024
    assert zlib.decompress(photo_member, zlib.MAX_WBITS | 16).endswith(photo + b"\r\n\r\n")   # the record's end
    assert placed[f"{BASE}/a.html"]["length"] < len(page) / 10          # HTML is still deflated
    with writer.path.open("rb") as fh:                                   # and warcio reads both, digests checked
        bodies = {r.rec_headers.get_header("WARC-Target-URI"): r.content_stream().read()
                  for r in ArchiveIterator(fh, check_digests="raise") if r.rec_type == "response"}
    assert bodies == {f"{BASE}/p.jpg": photo, f"{BASE}/a.html": page}
