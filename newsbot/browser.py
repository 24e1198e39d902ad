"""Pages that need a browser: scrapy-playwright with the system's Chromium, opt-in.

Most outlets serve plain HTML; a few build their article lists (or bodies) with
JavaScript.  Only requests that ask for it go through a real browser, because a browser
costs tens of times more per page than the plain downloader:

* per spider: ``browser_pages = frozenset({"list"})`` (or ``"article"``) on a spider or a
  family base (:class:`newsbot.spiders.base.NewsSpider`), which also turns the browser on
  for that spider's crawl;
* per request: ``meta={"newsbot_browser": True}`` (or a dict of options, e.g.
  ``{"more_css": "button.more"}``) in a crawl where ``BROWSER_ENABLED`` is on.

Settings: ``BROWSER_ENABLED`` (default off; a spider that opts in turns it on; ``-s
BROWSER_ENABLED=0`` turns it off again), ``BROWSER_EXECUTABLE`` (Chromium's path; default:
the first of ``chromium``, ``chromium-browser``, ``google-chrome`` on ``PATH``),
``BROWSER_TIMEOUT`` (seconds per page, navigation and waits included),
``BROWSER_WAIT_UNTIL`` (Playwright's load state to wait for, default ``networkidle``),
``BROWSER_MAX_MORE_CLICKS`` (how often a "더보기" button is pressed at most).

Archive: every HTTP response the browser received for the page (the document, the JSON
it fetched, scripts...) becomes a ``response`` record with its ``request`` record, and
the rendered DOM a ``conversion`` record whose ``WARC-Refers-To`` names the document's
response record.  See ``docs/browser.md``.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod

from newsbot.component import CrawlerComponent
from newsbot.warc import WARC_META_KEY

logger = logging.getLogger(__name__)

BROWSER_META_KEY = "newsbot_browser"
RECORDER_META_KEY = "newsbot_browser_recorder"
#: response flag: this response's records are written; the capture middleware skips it
ARCHIVED_FLAG = "newsbot_browser_archived"
HANDLER_PATH = "newsbot.browser.BrowserDownloadHandler"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Without the background-networking flags Chromium phones home at start; on a closed
# network those connections are refused and slow every launch down.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Response headers that describe bytes the browser already decoded (Playwright hands out
# the decoded body): kept under this prefix, as replay tools (pywb) name such headers.
DECODED_HEADERS = ("content-encoding", "transfer-encoding")
ORIGINAL_HEADER_PREFIX = "X-Archive-Orig-"


class BrowserNotFound(UsageError):
    """No Chromium to launch: the one line a user sees, with what to do about it."""

    def __init__(self, message: str):
        super().__init__(message, print_help=False)


def find_chromium(configured: str | None) -> str:
    if configured:
        path = Path(configured)
        if path.is_file():
            return str(path)
        found = shutil.which(configured)
        if found:
            return found
        raise BrowserNotFound(
            f"BROWSER_EXECUTABLE={configured!r}: no such program; install Chromium "
            f"(apt-get install chromium) or point BROWSER_EXECUTABLE at it"
        )
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserNotFound(
        f"this crawl renders pages in a browser but no Chromium was found on PATH "
        f"({', '.join(CHROMIUM_NAMES)}); install it (apt-get install chromium), set "
        f"-s BROWSER_EXECUTABLE=/path/to/chromium, or turn rendering off with -s BROWSER_ENABLED=0"
    )


def configure(settings) -> None:
    """Install the browser download handler (called by the add-on when BROWSER_ENABLED).

    Plain requests of the same crawl still go to the http/https handler configured
    before, which the browser handler keeps as its fallback.
    """
    executable = find_chromium(settings.get("BROWSER_EXECUTABLE"))
    # At least the priority the handlers were set with (settings.py or a spider), so
    # this wins over them; a -s DOWNLOAD_HANDLERS on the command line is replaced too.
    priority = max(settings.getpriority("DOWNLOAD_HANDLERS") or 0, SETTINGS_PRIORITIES["spider"])
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    settings.set("BROWSER_FALLBACK_HANDLERS", {s: handlers.get(s) for s in ("http", "https")}, priority=priority)
    settings.set("DOWNLOAD_HANDLERS", {**settings.getdict("DOWNLOAD_HANDLERS"),
                                       "http": HANDLER_PATH, "https": HANDLER_PATH}, priority=priority)
    timeout_ms = settings.getfloat("BROWSER_TIMEOUT") * 1000
    settings.set("PLAYWRIGHT_BROWSER_TYPE", "chromium", priority=priority)
    settings.set("PLAYWRIGHT_LAUNCH_OPTIONS",
                 {"executable_path": executable, "headless": True, "args": CHROMIUM_ARGS}, priority=priority)
    settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", timeout_ms, priority=priority)


class BrowserDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler; requests without ``playwright`` meta go to the
    handler that was configured before (``BROWSER_FALLBACK_HANDLERS``), not to plain
    ``HTTP11DownloadHandler``, so other handlers' work (e.g. keeping the reason phrase)
    is not lost in a crawl that also renders."""

    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self._crawler = crawler
        self._fallback_paths = crawler.settings.getdict("BROWSER_FALLBACK_HANDLERS")
        self._fallbacks: dict[str, object] = {}

    def _fallback(self, scheme: str):
        if scheme not in self._fallbacks:
            path = self._fallback_paths.get(scheme)
            cls = load_object(path) if path else None
            self._fallbacks[scheme] = (
                None if cls is None or cls is HTTP11DownloadHandler or issubclass(cls, ScrapyPlaywrightDownloadHandler)
                else build_from_crawler(cls, self._crawler)
            )
        return self._fallbacks[scheme]

    async def download_request(self, request, spider=None):
        fallback = None if request.meta.get("playwright") else self._fallback(urlsplit(request.url).scheme)
        if fallback is None:
            return await super().download_request(request)
        result = fallback.download_request(request)
        return await (result if inspect.isawaitable(result) and not hasattr(result, "addCallback")
                      else maybe_deferred_to_future(result))

    async def close(self) -> None:
        await super().close()
        for fallback in self._fallbacks.values():
            if fallback is not None and hasattr(fallback, "close"):
                result = fallback.close()
                if inspect.isawaitable(result):
                    await result


# -- what the browser received -------------------------------------------------------
@dataclass
class Exchange:
    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body: bytes
    ip_address: str | None
    is_document: bool  # a main-frame navigation (the page itself, or a redirect on the way)


@dataclass
class ExchangeRecorder:
    """Collects every HTTP response a page receives (Playwright's ``response`` event),
    bodies included, while the page is still open."""

    exchanges: list[Exchange] = field(default_factory=list)
    pending: set = field(default_factory=set)
    page_url: str | None = None

    async def attach(self, page, request) -> None:  # playwright_page_init_callback
        page.on("response", lambda response: self._spawn(self._record(page, response)))

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _record(self, page, response) -> None:
        request = response.request
        if urlsplit(response.url).scheme not in ("http", "https"):
            return
        try:
            body = await response.body()
        except PlaywrightError:
            body = b""  # a redirect has none; a page closed meanwhile has none to give
        try:
            address = (await response.server_addr() or {}).get("ipAddress")
        except PlaywrightError:
            address = None
        self.exchanges.append(Exchange(
            url=response.url,
            method=request.method,
            request_headers=[(h["name"], h["value"]) for h in await request.headers_array()],
            request_body=request.post_data_buffer or b"",
            status=response.status,
            reason=response.status_text,
            response_headers=[(h["name"], h["value"]) for h in await response.headers_array()],
            body=body,
            ip_address=address,
            is_document=request.is_navigation_request() and request.frame == page.main_frame,
        ))

    async def settle(self, page, timeout: float) -> None:
        """Wait (bounded) until every response seen so far has its body."""
        self.page_url = page.url
        if self.pending:
            await asyncio.wait(set(self.pending), timeout=timeout)

    def document(self) -> Exchange | None:
        documents = [e for e in self.exchanges if e.is_document]
        final = [e for e in documents if e.url == self.page_url]
        return (final or documents or [None])[-1]


def stored_headers(headers: list[tuple[str, str]], body_length: int) -> list[tuple[str, str]]:
    """Headers made true to the decoded body Playwright gives: encodings renamed, length fixed."""
    stored = []
    for name, value in headers:
        lower = name.lower()
        if lower in DECODED_HEADERS:
            stored.append((ORIGINAL_HEADER_PREFIX + name, value))
        elif lower != "content-length":
            stored.append((name, value))
    stored.append(("Content-Length", str(body_length)))
    return stored


def request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


# -- page methods ------------------------------------------------------------------------
async def click_until_gone(page, selector: str, max_clicks: int, timeout_ms: float) -> int:
    """Press a "더보기" (load more) button until it is gone or hidden; returns the clicks.

    After each click, wait until the document changed (the new entries arrived), so the
    next click does not race the last one's request.
    """
    clicks = 0
    button = page.locator(selector).first
    while clicks < max_clicks and await button.count() and await button.is_visible():
        size = await page.evaluate("document.body.innerHTML.length")
        await button.click(timeout=timeout_ms)
        clicks += 1
        await page.wait_for_function("n => document.body.innerHTML.length !== n", arg=size, timeout=timeout_ms)
        await page.wait_for_load_state("networkidle", timeout=timeout_ms)
    return clicks


# -- the middleware --------------------------------------------------------------------
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
        return response.replace(flags=[*response.flags, ARCHIVED_FLAG])

    def _archive(self, recorder: ExchangeRecorder, response) -> dict:
        from newsbot.warc.archive import warc_archive  # the crawl's one writer, shared

        writer = warc_archive(self.crawler).writer
        document_location = None
        document = recorder.document()
        for exchange in recorder.exchanges:
            request_headers = list(exchange.request_headers)
            if not any(k.lower() == "host" for k, _ in request_headers):
                request_headers.insert(0, ("Host", urlsplit(exchange.url).netloc))
            location = writer.capture(
                url=exchange.url, method=exchange.method, request_target=request_target(exchange.url),
                request_headers=request_headers, request_body=exchange.request_body,
                status=exchange.status, reason=exchange.reason, protocol="HTTP/1.1",
                response_headers=stored_headers(exchange.response_headers, len(exchange.body)),
                body=exchange.body, ip_address=exchange.ip_address,
            )
            if exchange is document:
                document_location = location
        dom = response.body
        refers = {"WARC-Refers-To": document_location["record_id"]} if document_location else {}
        conversion = writer.builder.create_warc_record(
            response.url, "conversion", payload=io.BytesIO(dom), length=len(dom),
            warc_content_type=f"text/html; charset={response.encoding}",
            # WARC 1.1 forbids WARC-Concurrent-To on conversion records: Refers-To links it.
            warc_headers_dict=refers,
        )
        ((record_id, offset, length),) = writer.write_records([conversion])
        self.stats.set_value("newsbot/warc_records", writer.records_written)
        self.stats.set_value("newsbot/warc_bytes", writer.bytes_written)
        rendered = {"filename": writer.path.name, "record_id": record_id, "offset": offset, "length": length}
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
