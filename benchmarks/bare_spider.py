"""The baseline: a plain Scrapy spider that walks the same lists and fetches the same articles.

It follows exactly the links newsbot's family-A spider follows (list entries, then the
next list page; articles at priority 10).  Like any link follower it looks for links on
every page it fetches (so it parses article pages too, and finds none to follow there),
and does nothing else: no extraction, no items, no WARC.  With ``-a fetch_only=1`` it
does not even parse article pages: the floor, Scrapy fetching and nothing more.
"""

from __future__ import annotations

import scrapy
from w3lib.url import add_or_replace_parameter

LIST_LINK_CSS = "div.basicList ul li dt.title a::attr(href)"


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, base_url: str, fetch_only: str = "", **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [base_url.rstrip("/") + "/news/list.php"]
        self.fetch_only = bool(fetch_only)

    def parse(self, response, page: int = 1):
        hrefs = response.css(LIST_LINK_CSS).getall()
        if not hrefs:
            return
        for href in hrefs:
            yield response.follow(href, callback=self.parse_article, priority=10)
        next_url = add_or_replace_parameter(response.url, "page", str(page + 1))
        yield scrapy.Request(next_url, callback=self.parse, cb_kwargs={"page": page + 1})

    def parse_article(self, response):
        self.crawler.stats.inc_value("bare/articles")
        if self.fetch_only:
            return
        for href in response.css(LIST_LINK_CSS).getall():
            yield response.follow(href, callback=self.parse_article, priority=10)
