"""Test-only spiders for a fixture outlet that builds its article list with JavaScript.

Loaded with ``-s SPIDER_MODULES=tests.browser_spiders``; not part of ``scrapy list``.
"""

from newsbot.spiders.families.family_a import FamilyASpider


class JsNewsSpider(FamilyASpider):
    """List pages need a browser ("더보기" included); articles stay on the plain downloader."""

    name = "jsnews"
    outlet = "스크립트뉴스 (fixture)"
    base_url = "http://jsnews.invalid"
    browser_pages = frozenset({"list"})
    browser_more_css = "button.more"


class JsNewsAllRenderedSpider(JsNewsSpider):
    """Every page through the browser: the browser-leak test's workload."""

    name = "jsnews_rendered"
    browser_pages = frozenset({"list", "article"})
