"""The browser's downloader middleware: browser requests in, archived exchanges out."""

from __future__ import annotations

import logging

from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy.exceptions import IgnoreRequest
from scrapy_playwright.page import PageMethod

from newsbot.browser import BROWSER_META_KEY, RECORDER_META_KEY
from newsbot.browser.pages import click_until_gone
from newsbot.browser.recorder import ExchangeRecorder
from newsbot.component import CrawlerComponent
from newsbot.warc import BROWSER_ARCHIVED_FLAG, WARC_META_KEY
from newsbot.warc.capture import archive_exchange
from newsbot.warc.archive import warc_archive

logger = logging.getLogger(__name__)


class _TimeoutReportedOnce(logging.Filter):
    """scrapy-playwright logs a timed-out page with a traceback; BrowserMiddleware already
    logs it in one line (and counts it), so that record is dropped.  Others pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (str(record.msg).startswith("Closing page due to failed request")
                    and len(args) > 1 and args[1] is PlaywrightTimeoutError)


_TIMEOUT_FILTER = _TimeoutReportedOnce()


class BrowserMiddleware(CrawlerComponent):
    """Downloader middleware (next to the downloader, above the WARC capture) that

    * turns ``newsbot_browser`` meta into scrapy-playwright meta (waits, "더보기" clicks,
      the recorder) right before download, so nothing unpicklable sits in the scheduler;
    * archives what the browser received and what it rendered, then flags the response
      so :class:`~newsbot.warc.capture.WarcCaptureMiddleware` does not store the rendered
      DOM as if a server had sent it;
    * turns a page that hangs into one log line, a counted stat and a dropped request.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self.stats = crawler.stats
        settings = crawler.settings
        self.enabled = settings.getbool("BROWSER_ENABLED")
        self.timeout = settings.getfloat("BROWSER_TIMEOUT")
        self.wait_until = settings.get("BROWSER_WAIT_UNTIL")
        self.max_more_clicks = settings.getint("BROWSER_MAX_MORE_CLICKS")
        self.archive = settings.getbool("WARC_ENABLED", True)
        self._warned_disabled = False
        if self.enabled:
            logging.getLogger("scrapy-playwright").addFilter(_TIMEOUT_FILTER)  # once: same object

    def process_request(self, request, spider=None):
        options = request.meta.get(BROWSER_META_KEY)
        if not options:
            return None
        if not self.enabled:
            self.stats.inc_value("newsbot/browser/not_rendered")
            if not self._warned_disabled:
                self._warned_disabled = True
                logger.warning("Browser rendering is off (BROWSER_ENABLED=0): pages that need it are "
                               "fetched plain, e.g. %s", request.url)
            return None
        options = options if isinstance(options, dict) else {}
        recorder = ExchangeRecorder()
        timeout_ms = self.timeout * 1000
        methods = []
        if options.get("more_css"):
            methods.append(PageMethod(click_until_gone, options["more_css"],
                                      options.get("max_clicks", self.max_more_clicks), timeout_ms))
        methods.append(PageMethod(recorder.settle, self.timeout))
        request.meta.update({
            "playwright": True,
            "playwright_page_goto_kwargs": {"wait_until": self.wait_until, "timeout": timeout_ms},
            "playwright_page_init_callback": recorder.attach,
            "playwright_page_methods": methods,
            RECORDER_META_KEY: recorder,
        })
        return None

    @staticmethod
    def _forget_page_state(request) -> None:
        # Nothing unpicklable or stale left in meta: a retry or follow-up that copies it
        # (and may wait in a JOBDIR queue) gets a fresh recorder from process_request.
        for key in (RECORDER_META_KEY, "playwright_page_init_callback", "playwright_page_methods"):
            request.meta.pop(key, None)

    def process_response(self, request, response, spider=None):
        recorder = request.meta.get(RECORDER_META_KEY)
        self._forget_page_state(request)
        if "playwright" not in response.flags:
            return response
        # playwright meta set by hand, without newsbot_browser: no exchanges, but the DOM
        # is still stored as what it is (a conversion record), never as a server response.
        recorder = recorder or ExchangeRecorder()
        self.stats.inc_value("newsbot/browser/pages_rendered")
        self.stats.inc_value("newsbot/browser/responses_received", len(recorder.exchanges))
        if not self.archive:
            return response
        location = self._archive(recorder, response)
        request.meta[WARC_META_KEY] = location
        return response.replace(flags=[*response.flags, BROWSER_ARCHIVED_FLAG])

    def _archive(self, recorder: ExchangeRecorder, response) -> dict:
        writer = warc_archive(self.crawler).writer  # the crawl's one writer, shared
        document_location = None
        document = recorder.document()
        for exchange in recorder.exchanges:
            location = archive_exchange(
                writer, url=exchange.url, method=exchange.method, request_headers=exchange.request_headers,
                request_body=exchange.request_body, status=exchange.status, reason=exchange.reason,
                protocol="HTTP/1.1", response_headers=exchange.response_headers, body=exchange.body,
                ip_address=exchange.ip_address, decoded=True,
            )
            if exchange is document:
                document_location = location
        rendered = writer.write_conversion(response.url, response.body, f"text/html; charset={response.encoding}",
                                           refers_to=document_location["record_id"] if document_location else None)
        self.stats.set_value("newsbot/warc_records", writer.records_written)
        self.stats.set_value("newsbot/warc_bytes", writer.bytes_written)
        if document_location is None:
            # The document itself was not seen (e.g. served from cache): point at the DOM.
            self.stats.inc_value("newsbot/browser/document_not_captured")
            return rendered
        return {**document_location, "rendered": rendered}

    def process_exception(self, request, exception, spider=None):
        self._forget_page_state(request)
        if not request.meta.get("playwright") or not isinstance(exception, PlaywrightTimeoutError):
            return None
        self.stats.inc_value("newsbot/browser/timeouts")
        first_line = str(exception).splitlines()[0] if str(exception) else type(exception).__name__
        logger.warning("Browser gave up on %s after %gs: %s", request.url, self.timeout, first_line)
        raise IgnoreRequest(f"browser timeout: {request.url}")
