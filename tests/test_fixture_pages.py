"""Every fixture page of every case (``tests/fixtures/*/expected.json``, ``pages``) through
its spider's page object and normalization, in-process: exact fields, no crawl."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from newsbot.normalize import normalize_article

from .fixture_cases import fixture_cases

SPIDERS = SpiderLoader.from_settings(get_project_settings())
PAGES = [(case, page) for case in fixture_cases() for page in case.pages]


@pytest.mark.parametrize(("case", "page"), PAGES, ids=[f"{c.name}/{p['file']}" for c, p in PAGES])
def test_fixture_page(case, page):
    spidercls = SPIDERS.load(case.spider)
    headers = page.get("headers") or {"Content-Type": "text/html"}
    response = HtmlResponse(page["url"], body=(case.folder / page["file"]).read_bytes(), headers=headers)
    if "encoding" in page:
        assert response.encoding == page["encoding"]
    article = spidercls.article_page(response.url, response.selector)
    assert article.not_an_article() == page.get("not_an_article")
    record = normalize_article(article.to_dict())
    assert {field: record.get(field) for field in page["expected"]} == page["expected"]


def test_every_case_names_a_known_spider_and_existing_files():
    for case in fixture_cases():
        assert case.spider in SPIDERS.list(), case.folder
        for page in case.pages:
            assert (case.folder / page["file"]).is_file(), (case.folder, page["file"])
