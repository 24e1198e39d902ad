"""scrapy-playwright's download handler with the system's Chromium and a fallback handler."""

from __future__ import annotations

import inspect
from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


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
