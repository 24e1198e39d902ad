"""Archive every response exactly as it came off the wire.

A downloader middleware placed next to the downloader (priority 950, above
``HttpCompressionMiddleware`` at 590), so it sees the body *before* Scrapy decompresses
it and every response, redirects and errors included, before anything can drop it.

Responses answered from an archive (``REPLAY_WARC``) are archived too, byte for byte as
replayed: a replay run's output is as complete as a live run's.  Set ``WARC_ENABLED=0``
to keep the JSON pointing at the source archive instead (what re-parsing wants).

:func:`archive_exchange` is the one way an HTTP exchange becomes records: this middleware
and the browser's (newsbot/browser/middleware.py, for what a browser received) both use it.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

from newsbot.component import CrawlerComponent
from newsbot.faults.storage import storage_guarded
from newsbot.warc import BROWSER_ARCHIVED_FLAG, REASON_META_KEY, REQUISITE_META_KEY, WARC_META_KEY
from newsbot.warc.archive import warc_archive
from newsbot.warc.requisites import count_capture

logger = logging.getLogger(__name__)

# Headers describing a transfer that the stored record no longer has (Twisted de-chunks).
_HOP_BY_HOP = {"transfer-encoding"}
# Headers describing encodings a browser already undid (Playwright hands out the decoded
# body): kept under this prefix, as replay tools (pywb) name such headers.
_DECODED = {"content-encoding", "transfer-encoding"}
ORIGINAL_HEADER_PREFIX = "X-Archive-Orig-"


def header_pairs(headers) -> list[tuple[str, str]]:
    """Scrapy Headers -> (name, value) pairs, every value of a repeated header kept."""
    pairs = []
    for name, values in headers.items():
        key = name.decode("latin-1")
        pairs.extend((key, v.decode("latin-1")) for v in values)
    return pairs


def stored_response_headers(headers, body_length: int, decoded: bool = False) -> list[tuple[str, str]]:
    """Headers made consistent with the stored payload: de-chunked (``Transfer-Encoding``
    dropped) or, ``decoded`` (a browser's body), with the encodings kept under
    ``X-Archive-Orig-``; ``Content-Length`` the stored length.  ``headers``: Scrapy
    ``Headers`` or (name, value) pairs."""
    pairs = header_pairs(headers) if hasattr(headers, "getlist") else list(headers)
    if decoded:
        pairs = [(ORIGINAL_HEADER_PREFIX + k if k.lower() in _DECODED else k, v) for k, v in pairs]
    pairs = [(k, v) for k, v in pairs if k.lower() not in _HOP_BY_HOP]
    lengths = [v for k, v in pairs if k.lower() == "content-length"]
    if lengths != [str(body_length)]:
        pairs = [(k, v) for k, v in pairs if k.lower() != "content-length"]
        pairs.append(("Content-Length", str(body_length)))
    return pairs


def request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def archive_exchange(writer, *, url: str, method: str, request_headers: list[tuple[str, str]], request_body: bytes,
                     status: int, reason: str, protocol: str, response_headers, body: bytes,
                     ip_address: str | None = None, decoded: bool = False) -> dict:
    """One HTTP exchange as a response (or revisit) record and its request record; returns
    the WARC pointer (filename, record_id, offset, length, revisit)."""
    request_headers = list(request_headers)
    if not any(k.lower() == "host" for k, _ in request_headers):
        request_headers.insert(0, ("Host", urlsplit(url).netloc))
    return writer.capture(
        url=url, method=method, request_target=request_target(url), request_headers=request_headers,
        request_body=request_body, status=status, reason=reason, protocol=protocol,
        response_headers=stored_response_headers(response_headers, len(body), decoded=decoded),
        body=body, ip_address=ip_address,
    )


class WarcCaptureMiddleware(CrawlerComponent):
    def __init__(self, crawler):
        if not crawler.settings.getbool("WARC_ENABLED", True):
            raise NotConfigured
        super().__init__(crawler)
        self.archive = warc_archive(crawler)

    def process_response(self, request, response, spider=None):
        if BROWSER_ARCHIVED_FLAG in response.flags:
            # A rendered page: newsbot/browser/middleware.py archived what the browser received and,
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
        writer = self.archive.writer
        location = storage_guarded(self.crawler, archive_exchange)(  # disk full: stop the run
            writer,
            url=response.url,
            method=request.method,
            request_headers=header_pairs(request.headers),
            request_body=request.body or b"",
            status=response.status,
            reason=reason,
            protocol=response.protocol or "HTTP/1.1",
            response_headers=response.headers,
            body=response.body,
            ip_address=str(response.ip_address) if response.ip_address else None,
        )
        request.meta[WARC_META_KEY] = location
        stats = self.crawler.stats
        if REQUISITE_META_KEY in request.meta:   # a page requisite: its bytes and revisits, apart
            count_capture(stats, request, len(response.body), location)
        stats.set_value("newsbot/warc_records", writer.records_written)
        stats.set_value("newsbot/warc_bytes", writer.bytes_written)
        stats.set_value("newsbot/warc_revisits", writer.revisits_written)
        return response
