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

The package, one job a module (nothing here imports Playwright: a crawl without browser
pages never loads it):

* :mod:`newsbot.browser` - settings: :func:`configure`, :func:`find_chromium`, constants;
* :mod:`newsbot.browser.handler` - the download handler (scrapy-playwright's, with a fallback);
* :mod:`newsbot.browser.recorder` - what the browser received, exchange by exchange;
* :mod:`newsbot.browser.pages` - page methods ("더보기" clicks);
* :mod:`newsbot.browser.middleware` - the downloader middleware that turns requests into
  browser requests and archives what came back (through :mod:`newsbot.warc.capture`, the
  same code as the plain downloader's records).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

BROWSER_META_KEY = "newsbot_browser"
RECORDER_META_KEY = "newsbot_browser_recorder"
HANDLER_PATH = "newsbot.browser.handler.BrowserDownloadHandler"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Without the background-networking flags Chromium phones home at start; on a closed
# network those connections are refused and slow every launch down.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


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
