"""``scrapy reparse`` works for every outlet spider: a re-parse per CMS (mcode, breaknews,
ncode, gnuboard, ndsoft), each crawling its CMS's fixture outlet on 127.0.0.1 and re-parsing
the WARCs with the real ``scrapy reparse``; and every spider ``scrapy list`` names
re-parsing its CMS's archive (in one process: tests/reparse_every_spider.py).  Re-parsed
records equal the crawl's, keep ``crawled_at`` = the WARC record's date, say they were
re-parsed (``reparsed_at``) and are written to ``reparse/jsonl/``, apart from the crawl's."""

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
#: an outlet on no known CMS, crawled by the generic spider: the fixture folder, the site id
#: its records carry, the spider's arguments; every generic spider re-parses its archive
GENERIC_FIXTURE = ("generic_namgang", "namgang", ["-a", "site=namgang", "-a", "outlet=남강신문"])


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


def crawl_generic(root) -> CrawlResult:
    folder, _, arguments = GENERIC_FIXTURE
    with LocalSite(load_routes(FIXTURES / folder)) as site:
        return run_scrapy(["crawl", "generic", "-a", f"base_url={site.base_url}", *arguments], root / "generic")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[CrawlResult, CrawlResult]]:
    """The fixture outlet of every CMS, crawled, then re-parsed with ``scrapy reparse``
    (and, as ``"generic"``, the generic spider's outlet, crawled)."""
    root = tmp_path_factory.mktemp("reparse-families")
    with ThreadPoolExecutor(max_workers=2) as pool:   # two at a time: most of each is Scrapy starting up
        futures = {spider: pool.submit(crawl_and_reparse, spider, cms, root) for cms, spider in CMS_FIXTURES.items()}
        generic = pool.submit(crawl_generic, root)
        return {**{spider: future.result() for spider, future in futures.items()}, "generic": (generic.result(), None)}


def warc_dates(crawled: CrawlResult, site: str) -> dict[str, str]:
    dates = {}
    for warc in crawled.warcs(site):
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                dates[record.rec_headers.get_header("WARC-Record-ID")] = record.rec_headers.get_header("WARC-Date")
    return dates


def latest_report(folder) -> dict:
    return json.loads(sorted((folder / "reports").glob("*.json"))[-1].read_text(encoding="utf-8"))


@pytest.mark.parametrize("cms", sorted(CMS_FIXTURES))
def test_reparse_per_cms(runs, cms):
    spider = CMS_FIXTURES[cms]
    assert spider_classes()[spider].cms == cms
    crawled, reparsed = runs[spider]
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    assert reparsed.returncode == 0, reparsed.stderr[-3000:]
    assert "Traceback" not in reparsed.stderr
    live = {r["id"]: r for r in crawled.records(spider)}   # the crawl's folder: the crawl's records only
    again = {r["id"]: r for r in reparsed.reparsed_records(spider)}
    assert live and sorted(again) == sorted(live)
    dates = warc_dates(crawled, spider)
    for record_id, record in again.items():
        assert {k: v for k, v in record.items() if k != "reparsed_at"} == \
            {k: v for k, v in live[record_id].items() if k != "reparsed_at"}, record_id
        # crawled_at is the WARC-Date of the very record it was made from, to the second
        assert record["crawled_at"] == warc_date_iso(dates[record["warc_record_id"]]), record_id
        assert record["reparsed_at"] >= record["crawled_at"]
    assert len({r["reparsed_at"] for r in again.values()}) == 1
    assert all(r["reparsed_at"] is None for r in live.values())
    report = latest_report(reparsed.output_dir / spider)
    assert report["mode"] == "reparse" and report["exit_status"] == 0
    assert report["articles"]["adds_up"] and report["articles"]["pending"] == 0


def test_every_cms_has_a_fixture_outlet():
    # every CMS module with a fixture outlet of its own; the generic spider's re-parse has its
    # own test (tests/test_generic.py: the URL shape learned again from the archive)
    assert sorted(CMS_FIXTURES) == sorted(set(CMS_NAMES) - {"generic"})
    assert {cls.cms for cls in spider_classes().values()} <= set(CMS_FIXTURES) | {"generic"}


#: what a re-parse by another outlet of the same CMS must extract exactly as the fixture's
#: own spider did (id, site and regions follow the outlet: its name and home region)
EXTRACTED = ("article_id", "url", "canonical_url", "title", "subtitle", "author", "published_at", "modified_at",
             "body", "captions", "images", "content_digest", "crawled_at", "warc_filename", "warc_record_id",
             "extraction_warnings", "provenance")


def test_reparse_every_spider_of_scrapy_list(runs, tmp_path):
    spiders = listed_spiders()
    classes = spider_classes()
    assert set(spiders) == set(classes) and set(CMS_FIXTURES.values()) <= set(spiders)
    archives = {cms: str(runs[spider][0].output_dir / spider / "warc") for cms, spider in CMS_FIXTURES.items()}
    generic_site = GENERIC_FIXTURE[1]
    assert runs["generic"][0].returncode == 0, runs["generic"][0].stderr[-3000:]
    archives["generic"] = str(runs["generic"][0].output_dir / generic_site / "warc")
    out, result_file = tmp_path / "out", tmp_path / "results.json"
    helper = subprocess.run([sys.executable, "-m", "tests.reparse_every_spider", str(out), json.dumps(archives),
                             str(result_file)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert helper.returncode == 0, helper.stderr[-3000:]
    assert "Traceback" not in helper.stderr, helper.stderr[-3000:]
    results = json.loads(result_file.read_text(encoding="utf-8"))
    assert sorted(results) == sorted(spiders)
    for spider in spiders:
        if classes[spider].cms == "generic":   # learns the shape again from the generic outlet's archive
            expected = {r["article_id"]: r for r in runs["generic"][0].records(generic_site)}
        else:
            own = CMS_FIXTURES[classes[spider].cms]
            expected = {r["article_id"]: r for r in runs[own][0].records(own)}
        records = CrawlResult(0, "", "", out).reparsed_records(spider)
        assert results[spider]["exit_status"] == 0, (spider, results[spider])
        assert sorted(r["article_id"] for r in records) == sorted(expected), spider
        for record in records:
            assert record["id"] == f"{spider}:{record['article_id']}" and record["reparsed_at"]
            assert {k: record.get(k) for k in EXTRACTED} == \
                {k: expected[record["article_id"]].get(k) for k in EXTRACTED}, (spider, record["article_id"])
        report = latest_report(out / spider)
        assert report["mode"] == "reparse" and report["articles"]["adds_up"] and report["articles"]["pending"] == 0
