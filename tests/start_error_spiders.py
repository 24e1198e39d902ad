"""A test-only spider whose start fails (``-s SPIDER_MODULES=tests.start_error_spiders``)."""

from newsbot.cms.mcode import McodeSpider


class BrokenStartSpider(McodeSpider):
    """Its start raises: Scrapy logs "Error while reading start items and requests" and
    ends the run as ``start_error``, which must not exit 0."""

    name = "broken_start"
    base_url = "http://127.0.0.1:9"

    def list_start_urls(self):
        raise RuntimeError("the list configuration is broken")
