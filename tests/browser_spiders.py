"""Test-only spiders for a fixture outlet that builds its article list with JavaScript.

Loaded with ``-s SPIDER_MODULES=tests.browser_spiders``; not part of ``scrapy list``.
"""

from newsbot.cms.mcode import McodeSpider


class JsNewsSpider(McodeSpider):
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


class JsNewsPerRequestSpider(McodeSpider):
    """No class-level opt-in: each list request asks for the browser in its meta."""

    name = "jsnews_per_request"
    base_url = "http://jsnews.invalid"

    def list_request(self, url):
        request = super().list_request(url)
        return request.replace(meta={**request.meta, "newsbot_browser": {"more_css": "button.more"}})
