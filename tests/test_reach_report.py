"""What the crawl report says about extraction layers and discovery (issue 15, part 2), in-process:
records counted by layer per field, layout drift as problems that do not fail the run, exit
5 judged on missing required fields only, warnings logged by kind, and a page dropped as
not an article only when every layer fails."""

from __future__ import annotations

import logging

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from newsbot.extensions.report import CrawlReport
from newsbot.extract.layers import LAYERED_FIELDS
from newsbot.faults.pipeline import NotAnArticlePipeline
from newsbot.pipelines.warnings import ExtractionWarningsPipeline


def provenance(**given):
    return {field: given.get(field) for field in LAYERED_FIELDS}


SELECTOR_RECORD = provenance(title="selector", author="selector", published_at="selector", body="selector")
METADATA_AUTHOR = provenance(title="selector", author="metadata:dable:author", published_at="selector", body="selector")


def crawl_of(spidercls, tmp_path, **arguments):
    crawler = get_crawler(spidercls, {"OUTPUT_DIR": str(tmp_path), "LOGSTATS_INTERVAL": 0,
                                      "EXTENSIONS": {"newsbot.state.CrawlState": 0},
                                      "NEWSBOT_STATE_STORE": "newsbot.state.sqlite.SqliteStateStore"})
    crawler.spider = spidercls.from_crawler(crawler, **arguments)
    return crawler, ExtractionWarningsPipeline(crawler), CrawlReport(crawler)


def judged(crawler, report_extension) -> dict:
    report = report_extension.build(crawler.spider, "finished")
    report_extension.judge(report)
    report_extension.collect_problems(report)
    return report


def record(url: str, layers: dict, warnings=()) -> dict:
    return {"url": url, "provenance": layers, "extraction_warnings": list(warnings)}


def test_records_are_counted_by_layer_and_a_skin_change_is_reported_as_drift(tmp_path):
    from newsbot.spiders.registry import IdominSpider

    crawler, pipeline, report_extension = crawl_of(IdominSpider, tmp_path)
    for n in range(11):
        pipeline.process_item(record(f"http://x/{n}", METADATA_AUTHOR))
    pipeline.process_item(record("http://x/11", SELECTOR_RECORD))
    crawler.stats.set_value("newsbot/items_new", 12)
    report = judged(crawler, report_extension)
    assert report["provenance"]["author"] == {"metadata:dable:author": 11, "selector": 1}
    assert report["provenance"]["title"] == {"selector": 12}
    assert report["provenance"]["subtitle"] == {"none": 12}
    assert report["problems"] == [{
        "cause": "article_layout_drift", "exit_status": 0,
        "message": "article layout drift: author from metadata:dable:author on 92% (11 of 12) of the records: "
                   "the ndsoft selectors no longer find them (a skin changed?)"}]
    assert report["exit_status"] == 0
    lines = report_extension.summary_lines(report)
    assert "  fields from later layers: author (metadata:dable:author 11 of 12)" in lines


def test_few_records_or_fields_without_selectors_are_not_judged(tmp_path):
    from newsbot.spiders.registry import FirstnewsSpider

    crawler, pipeline, report_extension = crawl_of(FirstnewsSpider, tmp_path)
    # gnuboard has no subtitle selectors: a JSON-LD subtitle on every record is no drift
    for n in range(12):
        pipeline.process_item(record(f"http://x/{n}", {**SELECTOR_RECORD, "subtitle": "metadata:json-ld:alternativeHeadline"}))
    crawler.stats.set_value("newsbot/items_new", 12)
    assert judged(crawler, report_extension)["problems"] == []
    crawler, pipeline, report_extension = crawl_of(FirstnewsSpider, tmp_path / "few")
    for n in range(3):  # three records say little
        pipeline.process_item(record(f"http://x/{n}", {**SELECTOR_RECORD, "title": "metadata:og:title"}))
    crawler.stats.set_value("newsbot/items_new", 3)
    assert judged(crawler, report_extension)["problems"] == []


def test_the_generic_spider_is_never_judged_for_drift(tmp_path):
    from newsbot.cms.generic import GenericSpider

    crawler, pipeline, report_extension = crawl_of(GenericSpider, tmp_path, base_url="http://n.example", site="n")
    for n in range(12):
        pipeline.process_item(record(f"http://x/{n}", provenance(title="metadata:og:title", body="main_content:trafilatura")))
    crawler.stats.set_value("newsbot/items_new", 12)
    assert judged(crawler, report_extension)["problems"] == []


def test_list_fallback_is_drift_that_does_not_fail_the_run(tmp_path):
    from newsbot.spiders.registry import NewsstepSpider

    crawler, _, report_extension = crawl_of(NewsstepSpider, tmp_path)
    stats = crawler.stats
    stats.set_value("newsbot/list_fallback/pages", 2)
    stats.set_value("newsbot/list_fallback/links", 30)
    stats.set_value("newsbot/list_fallback/example", "http://x/news/cate/")
    stats.set_value("newsbot/article_links_found", 30)
    report = judged(crawler, report_extension)
    assert report["list_fallback"] == {"pages": 2, "links": 30, "example": "http://x/news/cate/"}
    assert [(p["cause"], p["exit_status"]) for p in report["problems"]] == [("list_layout_drift", 0)]
    assert report["exit_status"] == 0


def test_exit_5_counts_missing_required_fields_not_doubts(tmp_path, caplog):
    from newsbot.spiders.registry import IdominSpider

    crawler, pipeline, report_extension = crawl_of(IdominSpider, tmp_path)
    with caplog.at_level(logging.WARNING, logger="newsbot.pipelines.warnings"):
        for n in range(10):
            pipeline.process_item(record(f"http://x/{n}", SELECTOR_RECORD, ["published_at:disagrees_with_metadata"]))
        pipeline.process_item(record("http://x/10", SELECTOR_RECORD, ["title", "body"]))
        pipeline.close_spider()
    crawler.stats.set_value("newsbot/items_new", 11)
    report = judged(crawler, report_extension)
    assert report["extraction_warnings"] == {"items": 1, "share": round(1 / 11, 4), "by_field": {
        "body": 1, "published_at:disagrees_with_metadata": 10, "title": 1}}
    assert report["exit_status"] == 0
    assert "Extraction warning: published_at disagrees with metadata on http://x/0" in caplog.text
    assert "Extraction warning: title missing, body missing on http://x/10" in caplog.text
    assert "Layout check: published_at disagrees with metadata on 10 article(s), e.g. http://x/0" in caplog.text
    assert "missing on http://x/0" not in caplog.text


def test_a_page_is_dropped_only_when_every_layer_failed(tmp_path):
    from newsbot.cms.generic import GenericArticle
    from newsbot.items import ArticleItem
    from newsbot.spiders.registry import IdominSpider

    crawler, *_ = crawl_of(IdominSpider, tmp_path, base_url="http://127.0.0.1")
    crawler._apply_settings()
    pipeline = NotAnArticlePipeline(crawler)
    url = "http://127.0.0.1/news/articleView.html?idxno=5"
    # a page no layer reads anything from: no title, date or body anywhere
    nothing = GenericArticle.from_html("<html><body><div><a href='/'>홈</a></div></body></html>", url)
    with pytest.raises(DropItem):
        pipeline.process_item(ArticleItem(site="idomin", **nothing.to_dict()))
    assert crawler.stats.get_value("newsbot/faults/no_article") == 1
    # only a labelled date outside any selector: an article with gaps, kept
    dated = GenericArticle.from_html("<html><body><p>기사입력 2024-05-01 10:00</p></body></html>", url)
    item = ArticleItem(site="idomin", **dated.to_dict())
    assert pipeline.process_item(item) is item and item["provenance"]["published_at"] == "label"
