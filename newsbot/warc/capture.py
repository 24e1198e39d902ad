"""Archive every response exactly as it came off the wire.

A downloader middleware placed next to the downloader (priority 950, above
``HttpCompressionMiddleware`` at 590), so it sees the body *before* Scrapy decompresses
it and every response, redirects and errors included, before anything can drop it.

Responses answered from an archive (``REPLAY_WARC``) are archived too, byte for byte as
replayed: a replay run's output is as complete as a live run's.  Set ``WARC_ENABLED=0``
to keep the JSON pointing at the source archive instead (what re-parsing wants).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured

import newsbot
from newsbot.faults.storage import storage_guarded
from newsbot.output import site_dir
from newsbot.warc import REASON_META_KEY
from newsbot.warc.digests import DigestIndex
from newsbot.warc.writer import RollingWarcWriter

logger = logging.getLogger(__name__)

# Headers describing a transfer that the stored record no longer has (Twisted de-chunks).
_HOP_BY_HOP = {"transfer-encoding"}


def header_pairs(headers) -> list[tuple[str, str]]:
    """Scrapy Headers -> (name, value) pairs, every value of a repeated header kept."""
    pairs = []
    for name, values in headers.items():
        key = name.decode("latin-1")
        pairs.extend((key, v.decode("latin-1")) for v in values)
    return pairs


def stored_response_headers(headers, body_length: int) -> list[tuple[str, str]]:
    """Headers made consistent with the stored, de-chunked payload."""
    pairs = [(k, v) for k, v in header_pairs(headers) if k.lower() not in _HOP_BY_HOP]
    lengths = [v for k, v in pairs if k.lower() == "content-length"]
    if lengths != [str(body_length)]:
        pairs = [(k, v) for k, v in pairs if k.lower() != "content-length"]
        pairs.append(("Content-Length", str(body_length)))
    return pairs


def request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def warc_writer(crawler) -> RollingWarcWriter:
    """The crawl's writer, opened on first use (capture and metadata records share it)."""
    writer = getattr(crawler, "_newsbot_warc_writer", None)
    if writer is None:
        settings, spider = crawler.settings, crawler.spider
        directory = site_dir(settings, spider.name, "warc")
        digests = None
        if settings.getbool("WARC_REVISITS", True):
            digests = DigestIndex(directory / "digests.sqlite3")
            digests.catch_up(directory)  # what a killed run wrote but did not index
        writer = RollingWarcWriter(
            directory,
            spider.name,
            max_size=settings.getint("WARC_MAX_SIZE"),
            compress_level=settings.getint("WARC_COMPRESS_LEVEL"),
            digests=digests,
            cdxj=settings.getbool("WARC_CDXJ", True),
            warcinfo={
                "software": f"newsbot/{newsbot.__version__}",
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                "isPartOf": spider.name,
                "http-header-user-agent": settings.get("USER_AGENT"),
                "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            },
        )
        crawler._newsbot_warc_writer = writer
    return writer


class WarcCaptureMiddleware:
    def __init__(self, crawler):
        if not crawler.settings.getbool("WARC_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        if "newsbot_browser_archived" in response.flags:
            # A rendered page: newsbot/browser.py archived what the browser received and,
            # apart, the DOM it built; this body is that DOM, not what a server sent.
            return response
        # Popped, not read: meta is copied to a redirect's next request, where a stale
        # phrase must not be reused.  No phrase (another handler): the standard one.
        reason = request.meta.pop(REASON_META_KEY, None)
        if reason is None:
            try:
                reason = HTTPStatus(response.status).phrase
            except ValueError:
                reason = ""
        parts = urlsplit(response.url)
        request_headers = header_pairs(request.headers)
        if not any(k.lower() == "host" for k, _ in request_headers):
            request_headers.insert(0, ("Host", parts.netloc))
        writer = warc_writer(self.crawler)
        location = storage_guarded(self.crawler, writer.capture)(  # disk full: stop the run
            url=response.url,
            method=request.method,
            request_target=request_target(response.url),
            request_headers=request_headers,
            request_body=request.body or b"",
            status=response.status,
            reason=reason,
            protocol=response.protocol or "HTTP/1.1",
            response_headers=stored_response_headers(response.headers, len(response.body)),
            body=response.body,
            ip_address=str(response.ip_address) if response.ip_address else None,
        )
        request.meta["newsbot_warc"] = location
        stats = self.crawler.stats
        stats.set_value("newsbot/warc_records", writer.records_written)
        stats.set_value("newsbot/warc_bytes", writer.bytes_written)
        stats.set_value("newsbot/warc_revisits", writer.revisits_written)
        return response

    def spider_closed(self, spider):
        writer = getattr(self.crawler, "_newsbot_warc_writer", None)
        if writer is not None:
            writer.close()
            if writer.digests is not None:
                writer.digests.close()
