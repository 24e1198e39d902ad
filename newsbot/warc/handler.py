"""Scrapy's HTTP/1.1 download handler, keeping the status line's reason phrase.

Scrapy's ``Response`` has no place for the reason phrase (``200 OK``, ``404 Not Found``,
or whatever a server really sent, e.g. ``200 Okay``), so the archive would have to
invent one.  This plain subclass of :class:`HTTP11DownloadHandler` puts the phrase
Twisted parsed into ``request.meta["newsbot_http_reason"]`` (seen as ``response.meta``),
where :class:`~newsbot.warc.capture.WarcCaptureMiddleware` reads it.

Private API, on purpose and in this one place: Scrapy's ``Response`` has no field for the
phrase and the handler no public hook into its agent, so this subclasses the private
``_ScrapyAgent`` and repeats ``HTTP11DownloadHandler.download_request`` with it.
``tests/test_private_apis.py`` fails, naming this file, on a Scrapy that changes either.

It changes nothing else, so handlers that route some requests elsewhere (e.g.
scrapy-playwright's) can sit beside it: responses they produce simply carry no
phrase and the capture falls back to the standard one for the status code.
"""

from __future__ import annotations

import logging

from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    ResponseDataLossError,
    _ScrapyAgent,
    get_dataloss_msg,
    wrap_twisted_exceptions,
)
from scrapy.utils.defer import maybe_deferred_to_future

from newsbot.warc import REASON_META_KEY

logger = logging.getLogger("scrapy.core.downloader.handlers.http11")


class _ReasonKeepingAgent(_ScrapyAgent):
    def _cb_bodyready(self, txresponse, request):
        # latin-1: a status line is bytes; this round-trips any byte unchanged.
        request.meta[REASON_META_KEY] = (txresponse.phrase or b"").decode("latin-1")
        return super()._cb_bodyready(txresponse, request)


class WireHTTP11DownloadHandler(HTTP11DownloadHandler):
    """``DOWNLOAD_HANDLERS`` entry for http and https (see ``newsbot/settings.py``)."""

    async def download_request(self, request):
        # HTTP11DownloadHandler.download_request (Scrapy 2.19), with our agent class.
        agent = _ReasonKeepingAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=getattr(self._crawler.spider, "download_maxsize", self._default_maxsize),
            warnsize=getattr(self._crawler.spider, "download_warnsize", self._default_warnsize),
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
