"""robots.txt as RFC 9309 reads it, in the slot of Scrapy's ``RobotsTxtMiddleware``.

Scrapy obeys a robots.txt it could parse and treats every failure as "allow all": a
robots.txt answering 500, or one that hangs (retried, a timeout each time), lets the whole
site be crawled.  RFC 9309 (2.3.1) says otherwise:

* 2xx: the rules are parsed and obeyed (Scrapy's own path);
* 4xx ("unavailable"): no rules, everything is allowed, whatever page came with it;
* 5xx, or no answer at all (timeout, refused, reset, DNS) ("unreachable"): assume
  complete disallow.  newsbot disallows that host for the rest of the run, and so does
  it for a 429 (a server asking for less, not a missing file), any other status, and a
  redirect it does not follow (to another origin: :mod:`newsbot.offsite`).

One fetch, bounded by ``DOWNLOAD_TIMEOUT``: robots.txt is not retried (a hanging one cost
four timeouts before), and a host whose robots.txt failed is reported once: one log line
(no traceback), the problem ``robots_blocked`` in the crawl report, exit status
``exitcodes.ROBOTS_BLOCKED``.  Only Scrapy's hooks are overridden: ``process_request``
(to mark its own robots.txt request ``dont_retry``), ``process_exception`` (a failed
robots.txt download becomes an ``IgnoreRequest`` naming the reason, which Scrapy does not
log with a traceback), ``_parse_robots`` and ``_robots_error``.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from newsbot import exitcodes
from newsbot.warc.requisites import outlet_url

logger = logging.getLogger(__name__)

#: what a robots.txt that could not be read stands for
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
#: the problem the crawl report names (cause), and the stat counting hosts shut out
PROBLEM_CAUSE = "robots_blocked"
BLOCKED_STAT = "newsbot/robots/blocked_hosts"


class RobotsTxtUnreadable(IgnoreRequest):
    """robots.txt could not be downloaded (the reason is the message; ``kind`` the fault kind)."""

    def __init__(self, message: str, kind: str = ""):
        super().__init__(message)
        self.kind = kind


#: download failures that say the whole host is out of reach, not just its robots.txt: a name
#: that does not resolve, a host that refuses connections (a timeout or a reset can be one path)
HOST_UNREACHABLE_KINDS = frozenset({"dns", "connection_refused"})


def is_robots_request(request) -> bool:
    """The request Scrapy's robots.txt middleware makes for itself (or a redirect of it)."""
    return request.callback is NO_CALLBACK and bool(request.meta.get("dont_obey_robotstxt")) \
        and bool(request.meta.get("newsbot_robots_txt") or urlparse_cached(request).path == "/robots.txt")


def failure_kind(exception: Exception) -> str:
    from newsbot.faults.downloader import _exception_kind

    return _exception_kind(exception)


def describe_failure(exception: Exception, timeout: float) -> str:
    """Why a download failed, in a few words (the fault kinds of newsbot.faults)."""
    kind = failure_kind(exception)
    return {
        "timeout": f"did not answer within DOWNLOAD_TIMEOUT ({timeout:g} s)",
        "connection_refused": "refused the connection",
        "dns": "could not be resolved",
        "connection_reset": "reset the connection",
        "data_loss": "sent less than it announced",
        "too_large": "sent more than DOWNLOAD_MAXSIZE",
    }.get(kind, f"could not be fetched ({type(exception).__name__}: {exception})")


class Rfc9309RobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with RFC 9309's failure rules (module docstring)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
        #: netloc -> why its robots.txt could not be read (each host reported once)
        self.blocked: dict[str, str] = {}

    async def process_request(self, request):
        if is_robots_request(request):
            # One fetch, bounded by DOWNLOAD_TIMEOUT: the RFC's "reasonable" retries are the
            # next run's, not three more timeouts now.
            request.meta["dont_retry"] = True
            request.meta["newsbot_robots_txt"] = True
            return None
        return await super().process_request(request)

    def process_exception(self, request, exception):
        if is_robots_request(request) and not isinstance(exception, IgnoreRequest):
            raise RobotsTxtUnreadable(describe_failure(exception, self.timeout), failure_kind(exception)) from exception
        return None

    async def _parse_robots(self, response, netloc, request) -> None:
        status = response.status
        if 200 <= status < 300:
            return await super()._parse_robots(response, netloc, request)
        if 400 <= status < 500 and status != 429:
            # unavailable: no rules at all (the error page that came with it is not a robots.txt)
            return await super()._parse_robots(response.replace(body=b""), netloc, request)
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        self.block(netloc, f"answered {status} {phrase}".rstrip())
        await super()._parse_robots(response.replace(body=DISALLOW_ALL), netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if not isinstance(exc, IgnoreRequest):
            self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        reason = str(exc) if isinstance(exc, RobotsTxtUnreadable) else f"could not be fetched ({exc})"
        self.block(netloc, reason, host_unreachable=getattr(exc, "kind", "") in HOST_UNREACHABLE_KINDS)
        parser = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        waiting.callback(parser)

    def block(self, netloc: str, reason: str, host_unreachable: bool = False) -> None:
        """Disallow ``netloc`` for the run: one log line, a stat, the report's problem: the
        site unreachable (exit 6) when the host itself is (no name, refused connections),
        else blocked by robots.txt (exit 7)."""
        if netloc in self.blocked:
            return
        self.blocked[netloc] = reason
        if not any(outlet_url(self.crawler.spider, f"{scheme}://{netloc}/") for scheme in ("http", "https")):
            # A host only page requisites go to (a photo CDN: newsbot/warc/requisites.py):
            # disallowed all the same, but its photos are no reason to fail the run.
            logger.warning("robots.txt of requisite host %s %s: nothing is requested from it in this run "
                           "(RFC 9309)", netloc, reason)
            self._stats.inc_value("newsbot/requisites/robots_unavailable")
            return
        if host_unreachable:
            message = (f"site unreachable: {netloc} {reason} (its robots.txt was the first request; "
                       f"nothing more is requested from it in this run)")
            cause, status = "unreachable", exitcodes.UNREACHABLE
        else:
            message = (f"blocked by robots.txt: {netloc} {reason}; RFC 9309 reads an unreachable robots.txt "
                       f"as disallow all, so nothing more is requested from it in this run")
            cause, status = PROBLEM_CAUSE, exitcodes.ROBOTS_BLOCKED
        logger.error("%s", message)
        self._stats.inc_value(BLOCKED_STAT)
        exitcodes.report_problem(self._stats, cause, message, status)
