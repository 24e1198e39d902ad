"""``scrapy detect``: every fixture article page of every CMS is recognised as its CMS, pages
of no known family are "unknown", and the command fetches (politely), reads WARCs and prints
a registry entry that parses."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import pytest
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsbot.detect import Page, judge, site_id_for
from newsbot.testing.localsite import LocalSite, Route, load_routes

from .conftest import FIXTURES, run_scrapy

UNKNOWN = FIXTURES / "detect_unknown"
UNKNOWN_PAGES = [  # (file, the URL it is judged at)
    ("wordpress_post.html", "https://dongnae.example/2024/05/02/library-night/"),
    ("article_html_no.html", "https://www.gasang-news.example/news/article.html?no=58231"),
    # 경남신문's shape: articleView.php?idxno= is not ND Soft's articleView.html
    ("articleview_php.html", "https://www.gasang-domin.example/news/articleView.php?idxno=1401116"),
]


def _spider_loader(modules: str) -> SpiderLoader:
    settings = get_project_settings()
    settings.set("SPIDER_MODULES", [modules])
    return SpiderLoader.from_settings(settings)


PROJECT_SPIDERS = _spider_loader("newsbot.spiders")
TEST_SPIDERS = _spider_loader("tests.browser_spiders")


def fixture_article_pages() -> list[tuple[str, str, str, str]]:
    """(folder, file, path it is served at, CMS of the folder's spider) for every article page
    (view_*/read_*) of every fixture site."""
    cases = []
    for routes_file in sorted(FIXTURES.glob("*/routes.json")):
        folder = routes_file.parent.name
        loader = PROJECT_SPIDERS if folder in PROJECT_SPIDERS.list() else TEST_SPIDERS
        if folder not in loader.list():
            continue
        cms = loader.load(folder).cms
        served = {}
        for target, route in json.loads(routes_file.read_text(encoding="utf-8")).items():
            served.setdefault(route.get("file"), target)
        for page in sorted(routes_file.parent.glob("*.html")):
            if page.name.startswith(("view_", "read_")) and page.name in served:
                cases.append((folder, page.name, served[page.name], cms))
    return cases


ARTICLE_PAGES = fixture_article_pages()


def test_the_fixture_pages_cover_every_cms_with_a_module():
    from newsbot.cms import CMS_NAMES

    # every CMS with signatures to recognise ("generic" is what detection falls back to)
    assert {cms for *_, cms in ARTICLE_PAGES} == set(CMS_NAMES) - {"generic"}
    assert len(ARTICLE_PAGES) >= 20


@pytest.mark.parametrize(("folder", "name", "path", "cms"), ARTICLE_PAGES,
                         ids=[f"{folder}/{name}" for folder, name, *_ in ARTICLE_PAGES])
def test_every_fixture_article_page_is_its_cms(folder, name, path, cms):
    page = Page.from_bytes(f"http://127.0.0.1:8000{path}", (FIXTURES / folder / name).read_bytes())
    verdict = judge([page])
    assert verdict.cms == cms, verdict.evidence
    assert verdict.scores[cms] == max(verdict.scores.values())


@pytest.mark.parametrize(("name", "url"), UNKNOWN_PAGES, ids=[n for n, _ in UNKNOWN_PAGES])
def test_pages_of_no_known_family_are_unknown(name, url):
    verdict = judge([Page.from_bytes(url, (UNKNOWN / name).read_bytes())])
    assert verdict.cms is None
    assert verdict.evidence == []


def test_nd_soft_evidence_names_each_sign_once_over_several_pages():
    article = Page.from_bytes("https://www.idomin.com/news/articleView.html?idxno=900101",
                              (FIXTURES / "idomin" / "view_900101.html").read_bytes())
    older = Page.from_bytes("https://www.idomin.com/news/articleView.html?idxno=700202",
                            (FIXTURES / "idomin" / "view_700202.html").read_bytes())
    verdict = judge([article, older])
    assert verdict.cms == "ndsoft"
    assert [(e.kind, e.weight) for e in verdict.evidence] == [
        ("url", 3), ("markup", 3), ("links", 2), ("markup", 2), ("link", 2), ("link", 2), ("markup", 1),
    ]
    assert verdict.scores == {"ndsoft": 15}
    assert verdict.urls == [article.url, older.url]


def test_a_short_form_url_alone_is_no_evidence():
    # /2024 would pass Break News' short form /N; only a CMS's long form counts
    page = Page.from_bytes("https://blog.example/2024", b"<html><body><a href='/2023'>2023</a></body></html>")
    assert judge([page]).evidence == []


@pytest.mark.parametrize(("host", "site"), [
    ("www.idomin.com", "idomin"), ("busan.breaknews.com", "busan_breaknews"), ("m.jemin.com", "jemin"),
    ("www.kado.net", "kado"), ("pajuplus.co.kr", "pajuplus"), ("127.0.0.1", "127_0_0_1"),
])
def test_site_ids_from_hosts(host, site):
    assert site_id_for(host) == site


# -- the command ---------------------------------------------------------------------------
def entries(stdout: str) -> list[dict]:
    """Every [[outlet]] table the command printed, parsed as the registry would parse it."""
    blocks = stdout.split("[[outlet]]")[1:]
    return [tomllib.loads("[[outlet]]" + block.split("\n\n== ")[0])["outlet"][0] for block in blocks]


def test_detect_fetches_pages_of_three_outlets_and_prints_their_entries(tmp_path):
    unknown = {"/2024/05/02/library-night/": Route.file(UNKNOWN / "wordpress_post.html")}
    with LocalSite(load_routes(FIXTURES / "idomin")) as nd, LocalSite(load_routes(FIXTURES / "firstnews")) as gb, \
            LocalSite(unknown) as wp:
        result = run_scrapy(["detect", nd.url("/news/articleView.html?idxno=900101"),
                             nd.url("/news/articleList.html?view_type=sm&page=2"),
                             gb.url("/bbs/board.php?bo_table=firstnews&wr_id=118"),
                             wp.url("/2024/05/02/library-night/")], tmp_path / "out")
        assert result.returncode == 0, result.stderr[-3000:]
        assert "/robots.txt" in nd.requests  # asked first, like every newsbot fetch
    out = result.stdout
    assert "family: ndsoft (family E), score " in out
    assert "family: gnuboard (family D), score " in out
    assert "unknown: use the generic spider (scores: none)" in out
    assert "generator: WordPress 6.5.2" in out
    nd_entry, gb_entry, wp_entry = entries(out)
    assert {k: nd_entry[k] for k in ("site", "base_url", "cms", "home_region", "verified")} == {
        "site": "127_0_0_1", "base_url": nd.base_url, "cms": "ndsoft", "home_region": "", "verified": False}
    assert nd_entry["evidence"][0].startswith(
        f"{nd.url('/news/articleView.html?idxno=900101')}: ndsoft by scrapy detect on ")
    assert (gb_entry["cms"], gb_entry["board"], gb_entry["base_url"]) == ("gnuboard", "firstnews", gb.base_url)
    assert (wp_entry["cms"], wp_entry["name"], wp_entry["feeds"]) == ("generic", "우리동네소식", ["https://dongnae.example/feed/"])
    assert not (tmp_path / "out").exists()  # detect writes nothing


def test_detect_honours_robots_txt(tmp_path):
    routes = load_routes(FIXTURES / "idomin")
    routes["/robots.txt"] = Route(body=b"User-agent: *\nDisallow: /news/\n", content_type="text/plain")
    with LocalSite(routes) as site:
        result = run_scrapy(["detect", site.url("/news/articleView.html?idxno=900101")], tmp_path / "out")
        assert "/news/articleView.html?idxno=900101" not in site.requests
    assert result.returncode == 7, result.stderr[-3000:]
    assert f"not read: {site.url('/news/articleView.html?idxno=900101')}: forbidden by robots.txt" in result.stdout


def _warc_with(pages: list[tuple[str, bytes, bool]], path: Path) -> None:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, body, gzipped in pages:
            headers = [("Content-Type", "text/html; charset=utf-8")]
            if gzipped:
                import gzip

                body = gzip.compress(body)
                headers.append(("Content-Encoding", "gzip"))
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))


def test_detect_reads_pages_from_a_warc(tmp_path):
    warc = tmp_path / "pages.warc.gz"
    _warc_with([
        ("https://www.idomin.com/news/articleView.html?idxno=900101", (FIXTURES / "idomin" / "view_900101.html").read_bytes(), True),
        ("http://www.gginews.kr/news/view.php?idx=71401", (FIXTURES / "gginews" / "view_71401.html").read_bytes(), False),
        ("https://www.gasang-news.example/news/article.html?no=58231", (UNKNOWN / "article_html_no.html").read_bytes(), False),
    ], warc)
    result = run_scrapy(["detect", "--warc", str(warc)], tmp_path / "out")
    assert result.returncode == 0, result.stderr[-3000:]
    assert [(e["base_url"], e["cms"]) for e in entries(result.stdout)] == [
        ("https://www.idomin.com", "ndsoft"), ("http://www.gginews.kr", "mcode"),
        ("https://www.gasang-news.example", "generic"),
    ]
    # the outlets already registered say so
    assert "already in the registry as 'idomin' (경남도민일보)" in result.stdout
    assert "already in the registry as 'gginews' (경기인터넷뉴스)" in result.stdout

    only = run_scrapy(["detect", "--warc", str(warc), "http://www.gginews.kr/news/view.php?idx=71401"], tmp_path / "out")
    assert only.returncode == 0
    assert [e["cms"] for e in entries(only.stdout)] == ["mcode"]


@pytest.mark.parametrize(("args", "line"), [
    ([], "newsbot: error: give one or more page URLs, or --warc FILE"),
    (["www.idomin.com/news/articleView.html?idxno=1"],
     "newsbot: error: not an absolute http(s) URL: 'www.idomin.com/news/articleView.html?idxno=1'"),
    (["--warc", "/nonexistent/x.warc.gz"], "newsbot: error: --warc: no such WARC file or folder: /nonexistent/x.warc.gz"),
])
def test_detect_usage_errors(tmp_path, args, line):
    result = run_scrapy(["detect", *args], tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == line
    assert "Traceback" not in result.stderr


def test_gnuboard_board_from_a_short_url():
    page = Page.from_bytes("http://127.0.0.1:8000/firstnews/115", (FIXTURES / "firstnews" / "view_115.html").read_bytes())
    verdict = judge([page])
    assert (verdict.cms, verdict.board) == ("gnuboard", "firstnews")
