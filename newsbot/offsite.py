"""Requests and redirects stay on the outlet: scheme, host *and port* (Scrapy's offsite
middleware compares host names only, so a redirect to another port of the same host, i.e.
another service, was followed and archived).

:class:`OriginOffsiteMiddleware` takes the place of Scrapy's downloader
``OffsiteMiddleware`` (priority 50, before robots.txt is asked for the host).  A spider
that knows its origins (``spider.origins``: :class:`newsbot.spiders.base.NewsSpider` sets
them from ``base_url``, ``start_urls`` and ``urls``, plus the ones its class declares in
``allowed_origins``, e.g. a photo CDN) has every request checked against them, at
scheduling and again before download (robots.txt and its redirects included):

* a URL with user-info (``user:pw@``) is never requested;
* ``dont_filter`` does not exempt a request (retries carry it, and so do their redirects);
* a request with ``allow_offsite`` in its meta (Scrapy's key, e.g. a page requisite on a
  CDN not declared) may go to its own first URL's origin, and its redirects may stay
  there; nowhere else;
* ``https://host:443`` counts as ``http://host:80`` (the same site over TLS).

A redirect (3xx or meta refresh) leaving the origins is not followed: a fault
``offsite_redirect`` (``newsbot/faults/offsite_redirect``, one line per URL, an article
remembered as failed) and the problem ``offsite_redirect`` in the crawl report (exit status
0: the crawl did what it should).  Another request is not made: counted in
``newsbot/offsite/filtered``, one log line per origin.  A spider without ``origins`` gets
Scrapy's host-name rule unchanged.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest

from newsbot import exitcodes
from newsbot.extensions.accounting import article_accounts
from newsbot.faults import is_article_request, is_requisite_request, record_fault
from newsbot.urls import has_credentials, on_origins, origin, redact_credentials

logger = logging.getLogger(__name__)

FILTERED_STAT = "newsbot/offsite/filtered"
REDIRECT_FAULT = "offsite_redirect"


def request_allowed(request, origins) -> bool:
    """``request`` may be made by a spider whose origins are ``origins``."""
    if on_origins(request.url, origins):
        return True
    if request.meta.get("allow_offsite") and not has_credentials(request.url):
        first = (request.meta.get("redirect_urls") or [request.url])[0]
        return origin(request.url) is not None and origin(request.url) == origin(first)
    return False


class OriginOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's offsite middleware, by origin (see the module docstring)."""

    def __init__(self, stats):
        super().__init__(stats)
        self.origins_seen: set[str] = set()

    def process_request(self, request, spider=None) -> None:
        spider = self.crawler.spider
        origins = getattr(spider, "origins", None)
        if origins is None:
            return super().process_request(request)
        if request_allowed(request, origins):
            return None
        target = origin(request.url) or request.url.split(":", 1)[0]
        shown = redact_credentials(request.url)
        why = "it carries user credentials" if has_credentials(request.url) else f"{target} is not an origin of this outlet"
        if request.meta.get("redirect_urls"):
            source = request.meta["redirect_urls"][-1]
            record_fault(self.crawler, request, REDIRECT_FAULT, f"redirect from {source} to {shown} not followed: {why}")
            if not is_requisite_request(request):   # a photo's redirect is counted with the requisites
                exitcodes.report_problem(self.stats, REDIRECT_FAULT,
                                         f"redirects leaving the outlet were not followed (first: {source} to {shown}: {why})",
                                         exitcodes.OK)
        else:
            self.stats.inc_value(FILTERED_STAT)
            # refused when scheduled (no errback runs then): the article's outcome is said here
            accounts = article_accounts(self.crawler)
            if accounts is not None and is_article_request(request, spider):
                accounts.fail(request.url, "offsite")
            if target not in self.origins_seen:
                self.origins_seen.add(target)
                logger.info("Not requesting %s: %s (%s allowed)", shown, why, ", ".join(sorted(origins)))
        raise IgnoreRequest(f"not followed: {shown} ({why})")
