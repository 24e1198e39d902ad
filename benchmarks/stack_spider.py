"""The peer: what a user would assemble instead of newsbot from the field's parts.

Scrapy walks the same lists and fetches the same articles as the bare spider
(benchmarks/bare_spider.py); each article page is then

* extracted by trafilatura with its defaults and metadata (``bare_extraction(...,
  with_metadata=True)``: title, author, date, body), the generic extractor most
  scrapers reach for, and
* archived with warcio's own writer (``WARCWriter(gzip=True)``: a request and a response
  record per page, warcio's default digests and compression),

and the extracted record goes out through Scrapy's feed exports as JSON Lines.  No
dedupe, normalization, state, accounting or report: the cheapest honest version of
"Scrapy + trafilatura + warcio", so the comparison flatters the peer, not newsbot.
"""

from __future__ import annotations

import io
from pathlib import Path

import trafilatura
from scrapy import signals
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from bare_spider import BareSpider


class StackSpider(BareSpider):
    name = "stack"

    def __init__(self, base_url: str, output_dir: str, **kwargs):
        super().__init__(base_url, **kwargs)
        self.output_dir = Path(output_dir)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.open_warc, signal=signals.spider_opened)
        crawler.signals.connect(spider.close_warc, signal=signals.spider_closed)
        return spider

    def open_warc(self, spider) -> None:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.warc_file = open(self.output_dir / "stack.warc.gz", "wb")
        self.warc = WARCWriter(self.warc_file, gzip=True)

    def close_warc(self, spider) -> None:
        self.warc_file.close()

    def parse_article(self, response):
        self.crawler.stats.inc_value("stack/articles")
        self._archive(response)
        document = trafilatura.bare_extraction(response.text, url=response.url, with_metadata=True)
        if document is not None:
            yield {"url": response.url, "title": document.title, "author": document.author,
                   "published_at": document.date, "body": document.text}
        # the same links the bare spider follows (none new: the dupefilter drops them)
        yield from super().parse_article(response)

    def _archive(self, response) -> None:
        request = response.request
        request_headers = StatusAndHeaders(
            f"{request.method} {response.url} HTTP/1.1",
            [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in request.headers.items() for v in vs],
            is_http_request=True)
        self.warc.write_record(self.warc.create_warc_record(
            response.url, "request", payload=io.BytesIO(request.body or b""), http_headers=request_headers))
        response_headers = StatusAndHeaders(
            f"{response.status} OK",
            [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs],
            protocol="HTTP/1.1")
        self.warc.write_record(self.warc.create_warc_record(
            response.url, "response", payload=io.BytesIO(response.body), http_headers=response_headers))
