"""``scrapy reparse`` works for every outlet spider: a re-parse per CMS (mcode, breaknews,
ncode, gnuboard, ndsoft) and one for every spider ``scrapy list`` names, each crawling its
CMS's fixture site on 127.0.0.1 and re-parsing the WARCs.  Re-parsed records equal the
crawl's, keep ``crawled_at`` = the WARC record's date, say they were re-parsed
(``reparsed_at``) and are written to ``reparse/jsonl/``, apart from the crawl's."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import pytest
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings
from warcio.archiveiterator import ArchiveIterator

from newsbot.cms import CMS_NAMES
from newsbot.testing.localsite import LocalSite, load_routes
from newsbot.warc import warc_date_iso

from .conftest import FIXTURES, REPO, CrawlResult, run_scrapy

#: the fixture site of one outlet per CMS; any spider of that CMS crawls it (-a base_url)
CMS_FIXTURES = {"mcode": "gginews", "breaknews": "breaknews_gn", "ncode": "newsstep", "gnuboard": "firstnews",
                "ndsoft": "idomin"}


def spider_classes() -> dict[str, type]:
    loader = SpiderLoader.from_settings(get_project_settings())
    return {name: loader.load(name) for name in loader.list()}


@lru_cache(maxsize=1)
def listed_spiders() -> tuple[str, ...]:
    """What ``scrapy list`` prints, as a user sees it."""
    listing = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, capture_output=True, text=True,
                             timeout=60, check=True)
    return tuple(listing.stdout.split())


def crawl_and_reparse(spider: str, cms: str, root) -> tuple[CrawlResult, CrawlResult]:
    out = root / spider
    with LocalSite(load_routes(FIXTURES / CMS_FIXTURES[cms])) as site:
        crawled = run_scrapy(["crawl", spider, "-a", f"base_url={site.base_url}"], out)
    # no site any more: the re-parse reads the WARCs only, into the same OUTPUT_DIR
    reparsed = run_scrapy(["reparse", spider, str(out / spider / "warc"), "--processes", "1"], out)
    return crawled, reparsed


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[CrawlResult, CrawlResult]]:
    classes = spider_classes()
    root = tmp_path_factory.mktemp("reparse-families")
    with ThreadPoolExecutor(max_workers=2) as pool:   # two at a time: most of each is Scrapy starting up
        futures = {name: pool.submit(crawl_and_reparse, name, cls.cms, root) for name, cls in sorted(classes.items())}
        return {name: future.result() for name, future in futures.items()}


def warc_dates(crawled: CrawlResult, site: str) -> dict[str, str]:
    dates = {}
    for warc in crawled.warcs(site):
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                dates[record.rec_headers.get_header("WARC-Record-ID")] = record.rec_headers.get_header("WARC-Date")
    return dates


def assert_reparse_matches_the_crawl(spider: str, crawled: CrawlResult, reparsed: CrawlResult) -> list[dict]:
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    assert reparsed.returncode == 0, reparsed.stderr[-3000:]
    assert "Traceback" not in reparsed.stderr
    live = {r["id"]: r for r in crawled.records(spider)}
    again = {r["id"]: r for r in reparsed.reparsed_records(spider)}
    assert live and sorted(again) == sorted(live)
    for record_id, record in again.items():
        assert {k: v for k, v in record.items() if k != "reparsed_at"} == \
            {k: v for k, v in live[record_id].items() if k != "reparsed_at"}, record_id
    assert len(crawled.records(spider)) == len(live)   # the crawl's folder holds the crawl's records only
    report = json.loads(sorted((reparsed.output_dir / spider / "reports").glob("*.json"))[-1].read_text())
    assert report["mode"] == "reparse" and report["articles"]["adds_up"] and report["articles"]["pending"] == 0
    return list(again.values())


@pytest.mark.parametrize("cms", sorted(CMS_FIXTURES))
def test_reparse_per_cms(runs, cms):
    spider = CMS_FIXTURES[cms]
    assert spider_classes()[spider].cms == cms
    crawled, reparsed = runs[spider]
    records = assert_reparse_matches_the_crawl(spider, crawled, reparsed)
    dates = warc_dates(crawled, spider)
    for record in records:
        # crawled_at is the WARC-Date of the very record it was made from, to the second
        assert record["crawled_at"] == warc_date_iso(dates[record["warc_record_id"]]), record["id"]
        assert record["reparsed_at"] >= record["crawled_at"]
    assert len({r["reparsed_at"] for r in records}) == 1
    assert all(r["reparsed_at"] is None for r in crawled.records(spider))


def test_every_cms_has_a_fixture_outlet():
    assert sorted(CMS_FIXTURES) == sorted(CMS_NAMES)
    assert {cls.cms for cls in spider_classes().values()} <= set(CMS_FIXTURES)


def test_reparse_every_spider_of_scrapy_list(runs):
    spiders = listed_spiders()
    assert len(spiders) >= len(CMS_FIXTURES) and set(spiders) == set(runs)
    for spider in spiders:
        assert_reparse_matches_the_crawl(spider, *runs[spider])
