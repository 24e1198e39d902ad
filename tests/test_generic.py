"""The generic spider (issue 15, part 4): any outlet on a CMS nobody named, under its own
identity; and a family spider serving another outlet of its CMS.

Crawls are real ``scrapy crawl`` runs against the fixture outlet ``generic_namgang`` (no
known CMS: ``/news/article.html?no=N``, an RSS feed its home page announces, a sitemap index
in robots.txt) served on 127.0.0.1; its backfill is checked record by record by
tests/test_fixture_crawls.py from ``tests/fixtures/generic_namgang/expected.json``.
"""

from __future__ import annotations

import json
import logging

import pytest
from scrapy.utils.test import get_crawler

from newsbot.cms.generic import SHAPE_MARK, GenericSpider, GenericUrls
from newsbot.discovery.patterns import UrlShape
from newsbot.testing.localsite import LocalSite, load_routes

from .conftest import FIXTURES, run_scrapy

SITE_ARGS = ["-a", "site=namgang", "-a", "outlet=남강신문", "-a", "home_region=경상남도 진주시"]
IDS = {"5098", "5101", "5102", "5103", "5104"}  # the home page's and the feed's (the sitemap is all older)


def report_of(result, run: int, site="namgang") -> dict:
    """The report of the ``run``-th crawl (0, 1 ...) into ``result``'s OUTPUT_DIR."""
    reports = sorted((result.output_dir / site / "reports").glob("*.json"))  # UTC time, serial: in run order
    return json.loads(reports[run].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def namgang(tmp_path_factory):
    """Two incremental runs of the generic spider on the fixture outlet, one OUTPUT_DIR."""
    out = tmp_path_factory.mktemp("namgang")
    with LocalSite(load_routes(FIXTURES / "generic_namgang")) as site:
        args = ["crawl", "generic", "-a", f"base_url={site.base_url}", *SITE_ARGS]
        first = run_scrapy(args, out)
        first_requests = list(site.requests)
        second = run_scrapy(args, out)
        second_requests = site.requests[len(first_requests):]
    return site.base_url, first, first_requests, second, second_requests


def test_records_carry_the_outlets_own_site_and_ids(namgang):
    base, first, requests, *_ = namgang
    assert first.returncode == 0, first.stderr[-3000:]
    records = {r["article_id"]: r for r in first.records("namgang")}
    assert set(records) == IDS
    assert {r["id"] for r in records.values()} == {f"namgang:{i}" for i in IDS}
    assert {r["site"] for r in records.values()} == {"namgang"}
    assert not (first.output_dir / "generic").exists()  # nothing under the spider's own name
    # the list-context parameter is no part of the article's name
    assert records["5102"]["canonical_url"] == f"{base}/news/article.html?no=5102"
    # the outlet's home region settles the regions (진주시 named without its province)
    assert [r["name"] for r in records["5104"]["regions"]] == ["경상남도 진주시"]


def test_incremental_run_uses_feed_and_home_page_not_old_sitemap_entries(namgang):
    base, first, requests, *_ = namgang
    assert "/rss/news.xml" in requests and "/sitemap.xml" in requests
    # the sitemap index's children last changed long ago: an incremental run does not read them
    assert "/sitemap-2025-03.xml" not in requests and "/news/article.html?no=5100" not in requests
    report = report_of(first, 0)
    assert report["discovery"]["url_shape"] == "/news/article.html?no=<id>"
    assert report["discovery"]["feed_articles_found"] == 3 and report["discovery"]["home_articles_found"] == 3
    assert report["discovery"]["sitemaps_skipped_by_date"] == 2
    assert (report["new"], report["exit_status"], report["problems"]) == (5, 0, [])
    # every field of these records came from the later layers: counted, not judged as drift
    assert report["provenance"]["body"] == {"main_content:trafilatura": 5}
    assert report["provenance"]["title"] == {"metadata:og:title": 4, "metadata:html-title": 1}
    assert "; title (metadata:og:title 4, metadata:html-title 1 of 5)\n" in first.stderr


def test_the_next_run_fetches_nothing_recorded_and_keeps_the_shape(namgang):
    base, first, _, second, requests = namgang
    assert second.returncode == 0, second.stderr[-3000:]
    assert [r for r in requests if r.startswith("/news/article.html")] == []
    report = report_of(second, 1)
    assert (report["new"], report["skipped_already_recorded"]) == (0, 6)  # 3 from the feed, 3 from the home page
    assert "The article URL shape changed" not in second.stderr


def test_reparse_learns_the_shape_again_from_the_archive(namgang, tmp_path):
    base, first, *_ = namgang
    again = run_scrapy(["reparse", "generic", str(first.output_dir / "namgang" / "warc"), "--processes", "1",
                        *SITE_ARGS, "-a", f"base_url={base}"], tmp_path / "reparsed")
    assert again.returncode == 0, again.stderr[-3000:]
    live = {r["id"]: r for r in first.records("namgang")}
    reparsed = {r["id"]: r for r in again.reparsed_records("namgang")}
    assert sorted(reparsed) == sorted(live)
    for key in ("canonical_url", "content_digest", "title", "published_at", "body", "provenance", "warc_record_id"):
        assert {i: r[key] for i, r in reparsed.items()} == {i: r[key] for i, r in live.items()}, key


@pytest.mark.parametrize(("arguments", "message"), [
    (["-a", "site=x"], "needs -a base_url=URL"),
    (["-a", "base_url=http://127.0.0.1:9"], "the generic spider needs -a site=ID"),
])
def test_generic_spider_refuses_to_run_without_an_identity(tmp_path, arguments, message):
    result = run_scrapy(["crawl", "generic", *arguments], tmp_path / "out")
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# -- in-process ----------------------------------------------------------------------------------
def generic_spider(tmp_path, **arguments):
    crawler = get_crawler(GenericSpider, {"OUTPUT_DIR": str(tmp_path), "EXTENSIONS": {"newsbot.state.CrawlState": 0},
                                          "NEWSBOT_STATE_STORE": "newsbot.state.sqlite.SqliteStateStore"})
    crawler.spider = GenericSpider.from_crawler(crawler, **{"base_url": "http://n.example", "site": "n", **arguments})
    crawler._apply_settings()
    return crawler.spider


def test_articles_before_any_learning_use_the_shape_kept_from_an_earlier_run(tmp_path):
    from newsbot.state import state_store

    spider = generic_spider(tmp_path)
    assert spider.urls is GenericUrls and not spider.urls.is_article("http://n.example/a/1")
    state_store(spider.crawler).set_mark(SHAPE_MARK, UrlShape("/a/{id}").to_dict())
    spider.ensure_shape()  # what parse_article does first (an earlier run's failure retried)
    assert spider.urls.is_article("/a/77") and spider.article_page.urls.article_id("http://n.example/a/77") == "77"
    # the class is untouched: another generic outlet in the same process learns its own
    assert not GenericSpider.urls.is_article("http://n.example/a/77")


def test_urls_given_are_the_evidence_for_their_ids(tmp_path):
    import asyncio

    urls = "http://n.example/view.asp?aid=20250301001&menu=3,http://n.example/view.asp?aid=20250301002&menu=3"
    spider = generic_spider(tmp_path, urls=urls)

    async def start():
        return [request async for request in spider.start()]

    requests = asyncio.run(start())
    assert [r.url for r in requests] == urls.split(",")
    assert spider.shape == UrlShape("/view.asp", "aid")


# -- a family spider serving another outlet --------------------------------------------------------
def test_family_spider_on_another_host_without_a_site_says_whose_identity_it_keeps(caplog):
    from newsbot.spiders.registry import IdominSpider

    with caplog.at_level(logging.WARNING):
        IdominSpider(base_url="https://www.jnilbo.example")
    assert ("-a base_url=https://www.jnilbo.example is not idomin's host (www.idomin.com): records will be labelled "
            "idomin:… (outlet 경남도민일보, home region 경상남도). Another outlet on this CMS: add -a site=ID "
            "-a outlet=NAME [-a home_region=…]") in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        spider = IdominSpider(base_url="https://www.jnilbo.example", site="jnilbo", outlet="전남일보",
                              home_region="전라남도")
        IdominSpider(base_url="https://idomin.com")  # the same outlet, another spelling of its host
    assert caplog.text == ""
    assert (spider.site, spider.outlet, spider.home_region) == ("jnilbo", "전남일보", "전라남도")
    # a site alone never borrows the spider's outlet name or home region
    alone = IdominSpider(base_url="https://www.jnilbo.example", site="jnilbo")
    assert (alone.outlet, alone.home_region) == ("jnilbo", None)
