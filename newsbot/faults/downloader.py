"""Downloader middlewares that turn server faults into counted, logged, remembered outcomes.

Placement (``DOWNLOADER_MIDDLEWARES`` in settings; responses flow from high to low):

* 950 ``WarcCaptureMiddleware`` archives every response first, faulty ones included;
* 610 :class:`RedirectLoopMiddleware` stops a redirect loop before Scrapy's redirect
  middleware (600) re-requests it (the duplicate filter would drop it silently);
* 550 :class:`RetryAfterMiddleware` replaces Scrapy's retry middleware and waits what
  ``Retry-After`` asks (bounded by ``RETRY_AFTER_MAX``) before retrying;
* 540 :class:`FaultMiddleware` sees what retrying gave up on, and every response before a
  callback: final HTTP errors, timeouts, resets, short bodies, size caps, non-HTML
  answers, empty bodies, mislabelled charsets.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import TextResponse
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message
from twisted.internet.task import deferLater

from newsbot.component import CrawlerComponent
from newsbot.extensions.accounting import article_accounts
from newsbot.faults import (GONE_STATUSES, first_time, is_article_request, is_internal_request,
                            is_requisite_request, original_url, record_fault)
from newsbot.state import fault_ledger
from newsbot.urls import canonical_rule

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retry, plus ``Retry-After`` on 429/503 (and any retried status) honoured.

    The wait is capped at ``RETRY_AFTER_MAX`` seconds: a server asking for an hour gets
    the cap, then the retry; if that fails too the article is left for the next run.
    Only the request that got the answer waits; the rest of the crawl goes on.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX", 60.0)

    async def process_response(self, request, response):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait:
            wait = min(wait, self.max_wait)
            self.crawler.stats.inc_value("newsbot/retry_after/waits")
            self.crawler.stats.inc_value("newsbot/retry_after/seconds", wait)
            logger.debug("Retry-After: waiting %.1f s before retrying %s", wait, request.url)
            from twisted.internet import reactor  # the one Scrapy installed (never at import time)

            await maybe_deferred_to_future(deferLater(reactor, wait))
        return retry


class RedirectLoopMiddleware(CrawlerComponent):
    """A redirect back to a URL already in the chain (or a chain past ``REDIRECT_MAX_TIMES``)
    is a fault, not a silent duplicate-filter drop.  Every hop is still archived."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.max_hops = crawler.settings.getint("REDIRECT_MAX_TIMES")

    def process_response(self, request, response):
        if response.status not in REDIRECT_STATUSES or b"Location" not in response.headers:
            return response
        if request.meta.get("dont_redirect") or is_internal_request(request):
            return response
        target = urljoin(response.url, response.headers[b"Location"].decode("latin-1"))
        chain = [*request.meta.get("redirect_urls", []), response.url]
        if target in chain:
            record_fault(self.crawler, request, "redirect_loop",
                         f"{len(chain)} hop(s) lead back to {target}")
            raise IgnoreRequest(f"redirect loop at {response.url}")
        if len(chain) > self.max_hops:
            record_fault(self.crawler, request, "too_many_redirects", f"more than {self.max_hops} redirects")
            raise IgnoreRequest(f"too many redirects at {response.url}")
        return response


def _exception_kind(exception: Exception) -> str:
    if isinstance(exception, DownloadTimeoutError):
        return "timeout"
    if isinstance(exception, ResponseDataLossError):
        # A reset (RST) shows as a non-clean ConnectionLost; a clean close before the
        # announced length as bare data loss.
        cause = repr(getattr(exception, "__cause__", None) or "")
        return "connection_reset" if "non-clean" in cause else "data_loss"
    if isinstance(exception, DownloadCancelledError):
        return "too_large" if "max size" in str(exception) else "cancelled"
    if isinstance(exception, DownloadConnectionRefusedError):
        return "connection_refused"
    if isinstance(exception, CannotResolveHostError):
        return "dns"
    return "download_error"


class FaultMiddleware(CrawlerComponent):
    """Last word on every download before the spider sees it (see the module docstring)."""

    # -- requests ------------------------------------------------------------
    def process_request(self, request):
        spider = self.crawler.spider
        if not is_article_request(request, spider):
            return None
        url = original_url(request)
        if fault_ledger(self.crawler).is_gone(canonical_rule(spider)(url)):
            self.crawler.stats.inc_value("newsbot/faults/skipped_gone")
            accounts = article_accounts(self.crawler)
            if accounts is not None:
                accounts.fail(url, "gone_earlier")
            raise IgnoreRequest(f"gone in an earlier run: {url}")
        return None

    # -- failures ------------------------------------------------------------
    def process_exception(self, request, exception):
        if is_internal_request(request) or isinstance(exception, IgnoreRequest):
            return None
        kind = _exception_kind(exception)
        detail = str(exception) or type(exception).__name__
        if kind in ("connection_reset", "data_loss"):
            detail = "the connection ended before the announced Content-Length"
        retries = request.meta.get("retry_times", 0)
        if retries:
            detail += f" (after {retries} retr{'y' if retries == 1 else 'ies'})"
        record_fault(self.crawler, request, kind, detail)
        # Counted and logged: an IgnoreRequest ends it without a second, traceback log.
        raise IgnoreRequest(f"{kind}: {request.url}") from exception

    # -- responses -----------------------------------------------------------
    def _allowed_status(self, request, status: int) -> bool:
        if request.meta.get("handle_httpstatus_all"):
            return True
        allowed = request.meta.get("handle_httpstatus_list")
        if allowed is None:
            allowed = getattr(self.crawler.spider, "handle_httpstatus_list", ())
        return status in allowed

    def process_response(self, request, response):
        if is_internal_request(request):
            return response
        if "replay-missing" in response.flags:
            # Counted and logged by the replay handler; absence from an archive is not "gone".
            if is_requisite_request(request):
                record_fault(self.crawler, request, "not_in_archive", "not in the replayed archive")
            accounts = article_accounts(self.crawler)
            if accounts is not None and is_article_request(request, self.crawler.spider):
                accounts.fail(original_url(request), "not_in_archive")
            raise IgnoreRequest(f"not in the archive: {request.url}")
        status = response.status
        if status >= 400 and not self._allowed_status(request, status):
            gone = status in GONE_STATUSES
            detail = response_status_message(status)
            retries = request.meta.get("retry_times", 0)
            if retries:
                detail += f" (after {retries} retr{'y' if retries == 1 else 'ies'})"
            record_fault(self.crawler, request, f"http_{status}", detail, gone=gone)
            raise IgnoreRequest(f"HTTP {status}: {request.url}")
        if status != 200 or is_requisite_request(request):
            return response   # a photo or font is not HTML, and its charset is not text's
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        if not isinstance(response, TextResponse) or not _is_markup(content_type):
            record_fault(self.crawler, request, "not_html",
                         f"answered {content_type or 'no Content-Type'}, {len(response.body)} bytes")
            raise IgnoreRequest(f"not HTML: {request.url}")
        if not response.body.strip():
            record_fault(self.crawler, request, "empty_body", "200 with an empty body")
            raise IgnoreRequest(f"empty body: {request.url}")
        return self._fix_charset(request, response)

    def _fix_charset(self, request, response: TextResponse) -> TextResponse:
        """A page declaring one charset and sending another: decode with the one that fits.

        Valid UTF-8 with non-ASCII bytes is practically never legacy Korean (CP949) text,
        so it wins over a wrong declaration; failing that, a declared UTF-8 that does not
        decode is tried as CP949, the usual legacy Korean charset.
        """
        declared = response.encoding
        body = response.body
        if body.isascii():
            return response
        declared_utf8 = declared.replace("-", "").replace("_", "").lower() == "utf8"
        if _decodes(body, "utf-8"):
            if declared_utf8:
                return response
            actual = "utf-8"
        elif declared_utf8 and _decodes(body, "cp949"):
            actual = "cp949"
        else:
            return response
        self.crawler.stats.inc_value("newsbot/faults/charset_mismatch")
        if first_time(self.crawler, "charset_mismatch", response.url):
            logger.warning("Fault charset_mismatch on %s: declared %s, decoded as %s (recovered)",
                           response.url, declared, actual)
        return response.replace(encoding=actual)


def _is_markup(content_type: str) -> bool:
    """HTML, XML (feeds, sitemaps) or text; an absent Content-Type is given the benefit of the doubt."""
    mime = content_type.split(";")[0].strip().lower()
    return not mime or mime.startswith("text/") or "html" in mime or "xml" in mime


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True
