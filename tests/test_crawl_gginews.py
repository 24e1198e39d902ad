"""gginews beyond its fixture crawl (tests/fixtures/gginews/expected.json: records, report,
requests, WARC pointers and digests): a second run on the same output, and the spider's
``-a urls`` / ``-a start_urls`` arguments."""

import asyncio
import shutil

from scrapy.http import HtmlResponse

from newsbot.spiders.registry import GginewsSpider

from .conftest import FIXTURES, run_scrapy
from .inprocess import built_crawler


def test_second_run_records_nothing_new(fixture_crawls, tmp_path):
    first = fixture_crawls["gginews"]  # the session's crawl of the fixture; its site still serves
    out = tmp_path / "output"
    shutil.copytree(first.result.output_dir, out)
    second = run_scrapy(["crawl", "gginews", "-a", f"base_url={first.base}"], out)
    assert second.returncode == 0, second.stderr[-3000:]
    assert len(second.records("gginews")) == 5  # both runs' files together
    stats = second.stats()
    # incremental: recorded articles are not requested again (newsbot/spiders/walk.py)
    assert "newsbot/article_requests/new" not in stats
    # page 1 holds nothing new, page 2 is the overlap (71401 again, 71404, 71405), then it stops
    assert stats["newsbot/skipped_already_recorded"] == 6
    assert stats["newsbot/list_pages"] == 2


async def _collect(requests):
    return [request async for request in requests]


def test_urls_argument_starts_with_exactly_those_articles_and_no_list(tmp_path):
    base = "http://127.0.0.1:8000"
    urls = [f"{base}/news/view.php?idx=71402", f"{base}/news/view.php?idx=71404"]
    with built_crawler(GginewsSpider, tmp_path, base_url=base, urls=",".join(urls)) as crawler:
        spider = crawler.spider
        started = asyncio.run(_collect(spider.start()))
    # article requests only: an article's callback yields its record, never a request
    assert [(r.url, r.callback) for r in started] == [(url, spider.parse_article) for url in urls]


def test_start_urls_argument_begins_listing_there(tmp_path):
    base = "http://127.0.0.1:8000"
    page2 = f"{base}/news/list.php?page=2"
    with built_crawler(GginewsSpider, tmp_path, base_url=base, start_urls=page2) as crawler:
        spider = crawler.spider
        (start,) = asyncio.run(_collect(spider.start()))
        assert (start.url, start.callback) == (page2, spider.parse_list)
        listed = list(spider.parse_list(HtmlResponse(page2, body=(FIXTURES / "gginews" / "list_2.html").read_bytes(),
                                                     request=start)))
        page3 = listed[-1]
        end = list(spider.parse_list(HtmlResponse(page3.url, body=(FIXTURES / "gginews" / "list_3.html").read_bytes(),
                                                  request=page3)))
    assert [(r.url, r.callback) for r in listed] == [
        (f"{base}/news/view.php?idx=71404&mcode=m11", spider.parse_article),
        (f"{base}/news/view.php?mcode=m11&idx=71401&utm_source=naver", spider.parse_article),
        (f"{base}/news/view.php?idx=71405", spider.parse_article),
        (f"{base}/news/list.php?page=3", spider.parse_list),
    ]
    assert end == []  # the empty page 3 ends the walk
