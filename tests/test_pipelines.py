"""Every item pipeline of newsbot/pipelines/ (and the not-an-article one), in-process: the
instances a crawl's engine builds (tests/inprocess.py), items in, exact fields, stats,
files and state out."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from scrapy.exceptions import DropItem

from newsbot.faults.pipeline import NotAnArticlePipeline
from newsbot.items import ArticleItem
from newsbot.pipelines.canonical import CanonicalUrlPipeline
from newsbot.pipelines.daterange import DateRangePipeline
from newsbot.pipelines.dedupe import DedupePipeline
from newsbot.pipelines.enrich import EnrichPipeline
from newsbot.pipelines.identity import IdentityPipeline
from newsbot.pipelines.jsonlines import RECORD_FIELDS, JsonLinesPipeline
from newsbot.pipelines.latest import LatestViewPipeline
from newsbot.pipelines.normalize import NormalizePipeline
from newsbot.pipelines.state import RecordedStatePipeline
from newsbot.pipelines.warnings import ExtractionWarningsPipeline
from newsbot.spiders.registry import FirstnewsSpider, GginewsSpider
from newsbot.state import fault_ledger, state_store

from .inprocess import built_crawler

URL = "http://www.gginews.kr/news/view.php?idx=71403&mcode=m11"
CANONICAL = "http://www.gginews.kr/news/view.php?idx=71403"


@pytest.fixture
def crawler(tmp_path):
    with built_crawler(GginewsSpider, tmp_path / "output") as crawler:
        yield crawler


def normalized_item(**fields) -> ArticleItem:
    """An item as it leaves normalization (300), before identity (350)."""
    return ArticleItem(**{
        "site": "gginews", "url": URL, "canonical_url": CANONICAL, "article_id": "71403", "section": "m11",
        "title": "이천시, 청렴 외부 자문단 위촉", "subtitle": None, "author": "박도윤",
        "published_at": "2024-08-04T09:05:00+09:00", "published_at_raw": "기사등록 2024-08-04 09:05:00",
        "modified_at": None, "modified_at_raw": None,
        "body": "이천시는 청렴 외부 자문단을 위촉했다고 4일 밝혔다.\n자문단은 부패 취약분야를 점검한다.",
        "body_en": None, "captions": [], "images": [], "extraction_warnings": [],
        "crawled_at": "2026-01-05T03:00:00+00:00", "warc_filename": "gginews-20260105T030000Z-00000.warc.gz",
        "warc_record_id": "<urn:uuid:00000000-0000-0000-0000-000000000001>", **fields,
    })


def identified(crawler, **fields) -> ArticleItem:
    return crawler.get_item_pipeline(IdentityPipeline).process_item(normalized_item(**fields))


# -- 100 canonical URL --------------------------------------------------------------------
@pytest.mark.parametrize(("spidercls", "url", "canonical"), [
    (GginewsSpider, "http://www.gginews.kr/news/view.php?mcode=m11&idx=71401&utm_source=naver",
     "http://www.gginews.kr/news/view.php?idx=71401"),
    (FirstnewsSpider, "http://www.firstnews.co.kr/firstnews/115",
     "http://www.firstnews.co.kr/bbs/board.php?bo_table=firstnews&wr_id=115"),
    (FirstnewsSpider, "http://www.firstnews.co.kr/bbs/board.php?wr_id=116&page=2&bo_table=firstnews",
     "http://www.firstnews.co.kr/bbs/board.php?bo_table=firstnews&wr_id=116"),
])
def test_canonical_url_by_the_spiders_cms_rule(tmp_path, spidercls, url, canonical):
    with built_crawler(spidercls, tmp_path) as crawler:
        item = crawler.get_item_pipeline(CanonicalUrlPipeline).process_item(ArticleItem(url=url))
    assert dict(item) == {"url": url, "canonical_url": canonical}


# -- 300 normalize ------------------------------------------------------------------------
def test_normalize_cleans_text_parses_dates_flags_gaps_and_stamps_the_crawl_time(crawler):
    raw = ArticleItem(
        site="gginews", url=URL, canonical_url=CANONICAL, article_id="71403", section=" m11 ",
        title="  이천시,\u00a0청렴 외부 자문단 위촉 ", subtitle="", author="박도윤 기자 park@gginews.kr",
        published_at_raw=" 기사등록 2024-08-04 09:05:00 ", modified_at_raw="기사수정 언젠가",
        body="\n이천시는 자문단을 위촉했다.\n\n\n  자문단은 점검한다.  \n", body_en=None,
        captions=["  사진 설명 ", ""], images=["http://www.gginews.kr/a.jpg", "http://www.gginews.kr/a.jpg"],
    )
    before = datetime.now(timezone.utc).replace(microsecond=0)
    item = crawler.get_item_pipeline(NormalizePipeline).process_item(raw)
    after = datetime.now(timezone.utc)
    crawled_at = item.pop("crawled_at")
    assert before <= datetime.fromisoformat(crawled_at) <= after and crawled_at.endswith("+00:00")
    assert dict(item) == {
        "site": "gginews", "url": URL, "canonical_url": CANONICAL, "article_id": "71403", "section": "m11",
        "title": "이천시, 청렴 외부 자문단 위촉", "subtitle": None, "author": "박도윤",
        "published_at_raw": "기사등록 2024-08-04 09:05:00", "published_at": "2024-08-04T09:05:00+09:00",
        "modified_at_raw": "기사수정 언젠가", "modified_at": None,  # unparseable: absent, not a warning
        "body": "이천시는 자문단을 위촉했다.\n자문단은 점검한다.", "body_en": None,
        "captions": ["사진 설명"], "images": ["http://www.gginews.kr/a.jpg"], "extraction_warnings": [],
    }


def test_normalize_names_every_required_field_that_came_out_empty(crawler):
    item = crawler.get_item_pipeline(NormalizePipeline).process_item(
        ArticleItem(site="gginews", url=URL, title=" ", published_at_raw="날짜 없음", body=""))
    assert (item["title"], item["published_at"], item["body"]) == (None, None, "")
    assert item["extraction_warnings"] == ["title", "published_at", "body"]


# -- 310 date range -------------------------------------------------------------------------
@pytest.mark.parametrize(("published_at", "kept"), [
    ("2024-08-01T00:00:00+09:00", True),    # since and until are inclusive, in Korean dates
    ("2024-08-31T23:59:59+09:00", True),
    ("2024-07-31T23:59:59+09:00", False),
    ("2024-09-01T00:00:00+09:00", False),
    (None, True),                           # no date: kept, its extraction warning says why
])
def test_backfill_keeps_only_articles_published_in_its_range(tmp_path, published_at, kept):
    with built_crawler(GginewsSpider, tmp_path, since="2024-08-01", until="2024-08-31") as crawler:
        pipeline = crawler.get_item_pipeline(DateRangePipeline)
        item = ArticleItem(url=URL, canonical_url=CANONICAL, published_at=published_at)
        if kept:
            assert pipeline.process_item(item) is item
        else:
            with pytest.raises(DropItem) as dropped:
                pipeline.process_item(item)
            assert str(dropped.value) == f"published {published_at[:10]} outside 2024-08-01..2024-08-31: {URL}"
        assert crawler.stats.get_value("newsbot/skipped_out_of_range") == (None if kept else 1)


def test_without_a_range_every_date_is_kept(crawler):
    item = ArticleItem(url=URL, canonical_url=CANONICAL, published_at="1999-01-01T00:00:00+09:00")
    assert crawler.get_item_pipeline(DateRangePipeline).process_item(item) is item
    assert crawler.stats.get_value("newsbot/skipped_out_of_range") is None


# -- 320 not an article -----------------------------------------------------------------------
def test_a_page_without_title_date_or_body_is_a_fault_remembered_for_the_next_run(crawler, caplog):
    pipeline = crawler.get_item_pipeline(NotAnArticlePipeline)
    kept = ArticleItem(url=URL, title=None, published_at_raw=None, body="본문만 있다")
    assert pipeline.process_item(kept) is kept
    with caplog.at_level(logging.WARNING), pytest.raises(DropItem) as dropped:
        pipeline.process_item(ArticleItem(url=URL, title=None, published_at_raw=None, body=""))
    assert str(dropped.value) == f"no article content on {URL}"
    assert crawler.stats.get_value("newsbot/faults/no_article") == 1
    assert crawler.stats.get_value("newsbot/faults/articles_failed") == 1
    assert fault_ledger(crawler).faults() == {CANONICAL: ("no_article", False, 1)}
    assert [r.getMessage() for r in caplog.records] == [
        f"Fault no_article on {URL}: no title, date or body on the page (not recorded, the next run fetches it again)"]


# -- 350 identity -----------------------------------------------------------------------------
def test_identity_names_the_article_and_digests_its_content_fields_only(crawler):
    item = identified(crawler)
    assert item["id"] == "gginews:71403"
    assert item["content_digest"] == "sha256:99f07c8c6b5ad434d1147b45008380d0766304289b700c137cae5455be14b988"
    # another spelling, crawl time and WARC pointer: the same content, the same digest
    again = identified(crawler, url=CANONICAL, crawled_at="2027-01-01T00:00:00+00:00", warc_record_id="<urn:uuid:x>")
    assert again["content_digest"] == item["content_digest"]
    # an edit is another version
    assert identified(crawler, modified_at="2024-08-05T10:00:00+09:00")["content_digest"] != item["content_digest"]


def test_an_article_without_a_cms_id_is_named_by_its_canonical_url(crawler):
    assert identified(crawler, article_id=None)["id"] == "gginews:url:609333baa6148c78"


# -- 360 dedupe + 900 recorded state ------------------------------------------------------------
def test_new_then_duplicate_then_updated_against_the_state_store(crawler):
    dedupe = crawler.get_item_pipeline(DedupePipeline)
    recorded = crawler.get_item_pipeline(RecordedStatePipeline)
    stats = crawler.stats

    first = dedupe.process_item(identified(crawler))
    assert first["version"] == 1 and stats.get_value("newsbot/items_new") == 1
    recorded.process_item(first)
    store = state_store(crawler)
    row = store.recorded(CANONICAL)
    assert {k: row[k] for k in ("article_id", "published_at", "modified_at", "content_digest", "version")} == {
        "article_id": "71403", "published_at": "2024-08-04T09:05:00+09:00", "modified_at": None,
        "content_digest": first["content_digest"], "version": 1}
    assert store.high_water() == {"article_id": "71403", "published_at": "2024-08-04T09:05:00+09:00"}

    # the same content again (another run, another spelling): dropped, counted
    with pytest.raises(DropItem) as dropped:
        dedupe.process_item(identified(crawler, url=CANONICAL))
    assert str(dropped.value) == f"duplicate of recorded article {CANONICAL}"
    assert stats.get_value("newsbot/items_duplicate") == 1

    # edited by the outlet: the next version, recorded as such
    edited = dedupe.process_item(identified(crawler, modified_at="2024-08-05T10:00:00+09:00"))
    assert edited["version"] == 2 and stats.get_value("newsbot/items_updated") == 1
    recorded.process_item(edited)
    assert store.recorded(CANONICAL)["version"] == 2
    assert (store.count(), store.version_count()) == (1, 2)
    assert stats.get_value("newsbot/items_new") == 1


def test_a_state_file_from_before_digests_compares_edit_times(crawler):
    store = state_store(crawler)
    store.mark_recorded(CANONICAL, article_id="71403", modified_at="2024-08-05T10:00:00+09:00", content_digest=None)
    dedupe = crawler.get_item_pipeline(DedupePipeline)
    with pytest.raises(DropItem):
        dedupe.process_item(identified(crawler, modified_at="2024-08-05T10:00:00+09:00"))
    assert dedupe.process_item(identified(crawler, modified_at="2024-08-06T10:00:00+09:00"))["version"] == 2


# -- 400 extraction warnings ----------------------------------------------------------------------
def test_warnings_are_counted_logged_per_article_and_summarized_per_field(crawler, caplog):
    pipeline = crawler.get_item_pipeline(ExtractionWarningsPipeline)
    urls = [f"http://www.gginews.kr/news/view.php?idx={n}" for n in range(1, 23)]
    with caplog.at_level(logging.WARNING, logger="newsbot.pipelines.warnings"):
        assert pipeline.process_item(ArticleItem(url=URL, extraction_warnings=[],
                                                 provenance={"title": "selector", "author": None}))["url"] == URL
        # a doubt about a field that is there is a warning, but no missing required field
        pipeline.process_item(ArticleItem(url=URL, extraction_warnings=["published_at:disagrees_with_metadata"]))
        pipeline.process_item(ArticleItem(url=urls[0], extraction_warnings=["title", "published_at"]))
        for url in urls[1:]:
            pipeline.process_item(ArticleItem(url=url, extraction_warnings=["body"]))
        pipeline.close_spider()
    stats = crawler.stats
    assert stats.get_value("newsbot/items_with_extraction_warnings") == 23
    assert stats.get_value("newsbot/items_missing_required") == 22  # what exit 5 judges
    assert [stats.get_value(f"newsbot/extraction_warnings/{f}") for f in (
        "title", "published_at", "body", "published_at:disagrees_with_metadata")] == [1, 1, 21, 1]
    # each record's extraction layer per field
    assert (stats.get_value("newsbot/provenance/title/selector"), stats.get_value("newsbot/provenance/author/none")) == (1, 1)
    messages = [r.getMessage() for r in caplog.records]
    assert messages[:3] == [f"Extraction warning: published_at disagrees with metadata on {URL}",
                            f"Extraction warning: title missing, published_at missing on {urls[0]}",
                            f"Extraction warning: body missing on {urls[1]}"]
    # one line per warning, by name; at most 20 URLs named, the count exact
    assert messages[23:] == [
        f"Layout check: body missing on 21 article(s), e.g. {' '.join(urls[1:21])}",
        f"Layout check: published_at missing on 1 article(s), e.g. {urls[0]}",
        f"Layout check: published_at disagrees with metadata on 1 article(s), e.g. {URL}",
        f"Layout check: title missing on 1 article(s), e.g. {urls[0]}",
    ]


# -- 450 enrich -------------------------------------------------------------------------------
def test_enrich_adds_regions_topics_schema_version_and_every_schema_field(crawler):
    item = crawler.get_item_pipeline(EnrichPipeline).process_item(
        ArticleItem(site="gginews", url=URL, title="이천시, 청렴 외부 자문단 위촉",
                    body="이천시는 부패 취약분야를 점검하는 청렴 자문단을 위촉했다.",
                    published_at="2024-08-04T09:05:00+09:00"))
    assert item["regions"] == [{
        "name": "경기도 이천시", "code": "41500", "level": "sigungu", "sido": "경기도", "sido_code": "41",
        "matched": ["이천시"], "mentions": 2, "in_title": True, "resolved_by": "unique", "ambiguous": False,
        "candidates": []}]
    assert item["topics"] == [{"topic": "integrity", "label": "청렴·반부패",
                               "terms": {"청렴": 2, "부패취약": 1}, "hits": 3, "in_title": True}]
    assert item["schema_version"] == "1.2"
    assert item["reparsed_at"] is None  # set by a re-parse only
    assert {f: item[f] for f in ("author", "modified_at", "body_en", "warc_record_id")} == dict.fromkeys(
        ("author", "modified_at", "body_en", "warc_record_id"))
    stats = crawler.stats.get_stats()
    assert {k: v for k, v in stats.items() if k.startswith(("newsbot/regions/", "newsbot/topics/"))} == {
        "newsbot/regions/resolved": 1, "newsbot/regions/ambiguous": 0, "newsbot/topics/integrity": 1}


def test_an_article_naming_no_place_is_counted(crawler):
    item = crawler.get_item_pipeline(EnrichPipeline).process_item(
        ArticleItem(site="gginews", url=URL, title="날씨", body="맑음"))
    assert (item["regions"], item["topics"]) == ([], [])
    assert crawler.stats.get_value("newsbot/regions/articles_without_region") == 1


# -- 800 JSON Lines + 850 latest view -----------------------------------------------------------
def written_records(crawler, count: int, **fields) -> list[ArticleItem]:
    items = []
    for n in range(count):
        item = identified(crawler, article_id=str(71403 + n), url=f"{URL}{n}", **fields)
        item["version"] = 1
        items.append(crawler.get_item_pipeline(JsonLinesPipeline).process_item(item))
    return items


def test_json_lines_one_record_per_line_in_schema_key_order(crawler, tmp_path):
    pipeline = crawler.get_item_pipeline(JsonLinesPipeline)
    items = written_records(crawler, 2)
    pipeline.close_spider()
    (path,) = (tmp_path / "output" / "gginews" / "jsonl").glob("*.jsonl")
    assert path.name.startswith("gginews-") and path.name.endswith("-00000.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [{f: item.get(f) for f in RECORD_FIELDS} for item in items]
    assert list(json.loads(lines[0])) == list(RECORD_FIELDS)
    assert lines[0].startswith('{"schema_version":null,"id":"gginews:71403","version":1,')  # compact, UTF-8
    assert "이천시" in lines[0]
    assert pipeline.last_written == (items[1], lines[1])
    assert (crawler.stats.get_value("newsbot/items_written"), crawler.stats.get_value("newsbot/jsonl_files")) == (2, 1)


def test_json_lines_roll_over_once_a_file_reaches_the_size_limit(tmp_path):
    with built_crawler(GginewsSpider, tmp_path / "probe") as probe:  # every record here is this long
        written_records(probe, 1)
        line = len(probe.get_item_pipeline(JsonLinesPipeline).last_written[1].encode("utf-8")) + 1
    # a file stays open while under the limit, and is closed by the record that reaches it
    with built_crawler(GginewsSpider, tmp_path, {"JSONL_MAX_SIZE": 2 * line + 1}) as crawler:
        written_records(crawler, 5)
        crawler.get_item_pipeline(JsonLinesPipeline).close_spider()
        paths = sorted((tmp_path / "gginews" / "jsonl").glob("*.jsonl"))
        assert [p.stat().st_size for p in paths] == [3 * line, 2 * line]
        assert [json.loads(text)["article_id"] for p in paths for text in p.read_text(encoding="utf-8").splitlines()
                ] == ["71403", "71404", "71405", "71406", "71407"]
        assert crawler.stats.get_value("newsbot/jsonl_files") == 2


def test_latest_view_stores_the_written_line_and_exports_the_newest_version(crawler, tmp_path):
    jsonlines = crawler.get_item_pipeline(JsonLinesPipeline)
    latest = crawler.get_item_pipeline(LatestViewPipeline)
    latest.open_spider()
    for item in written_records(crawler, 2):
        latest.process_item(item)
    edited = identified(crawler, modified_at="2024-08-05T10:00:00+09:00")
    edited["version"] = 2
    latest.process_item(jsonlines.process_item(edited))
    newest_line = jsonlines.last_written[1]
    jsonlines.close_spider()
    latest.close_spider()
    site = tmp_path / "output" / "gginews"
    exported = (site / "latest.jsonl").read_text(encoding="utf-8").splitlines()
    # one line per article, by id; 71403's is version 2, byte for byte its JSON Lines record
    assert [json.loads(line)["id"] for line in exported] == ["gginews:71403", "gginews:71404"]
    assert exported[0] == newest_line
    db = sqlite3.connect(site / "latest.sqlite3")
    assert db.execute("SELECT id, version FROM latest ORDER BY id").fetchall() == [("gginews:71403", 2),
                                                                                   ("gginews:71404", 1)]
    db.close()
    assert crawler.stats.get_value("newsbot/latest/upserts") == 3
    assert crawler.stats.get_value("newsbot/latest/articles") == 2


def test_latest_view_off(tmp_path):
    with built_crawler(GginewsSpider, tmp_path, {"LATEST_ENABLED": False}) as crawler:
        assert crawler.get_item_pipeline(LatestViewPipeline) is None
        assert crawler.get_item_pipeline(JsonLinesPipeline) is not None


# -- 900 recorded state: the walk's high-water mark -----------------------------------------------
def test_recorded_state_raises_the_high_water_mark_by_id_as_a_number(crawler):
    recorded = crawler.get_item_pipeline(RecordedStatePipeline)
    for article_id, published in (("998", "2024-08-01T09:00:00+09:00"), ("1001", "2024-07-30T09:00:00+09:00")):
        item = identified(crawler, article_id=article_id, canonical_url=f"{CANONICAL}{article_id}",
                          published_at=published)
        assert recorded.process_item(item) is item
    assert state_store(crawler).high_water() == {"article_id": "1001", "published_at": "2024-08-01T09:00:00+09:00"}
    assert state_store(crawler).recorded(f"{CANONICAL}998")["version"] == 1  # no version on the item: 1
    assert datetime.fromisoformat(state_store(crawler).recorded(f"{CANONICAL}998")["last_seen"]) > (
        datetime.now(timezone.utc) - timedelta(minutes=1))
