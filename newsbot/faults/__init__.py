"""Faults of servers and storage: counted, logged once with their URL, remembered.

Regional news servers time out, reset connections, send half a body, answer an
article with a PDF or a 10 MB page, or loop redirects.  newsbot keeps crawling: each
fault is counted in ``newsbot/faults/<kind>``, logged once as one ``Fault <kind> on
<url>`` line, and, for an article, remembered in the state store so the next run
fetches it again (or, for 404/410, never again).  See ``docs/faults.md``.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.http.request import NO_CALLBACK

from newsbot import exitcodes
from newsbot.component import CrawlerComponent
from newsbot.exitcodes import report_problem
from newsbot.extensions.accounting import article_accounts
from newsbot.state import fault_ledger
from newsbot.urls import canonical_rule
from newsbot.warc import REQUISITE_META_KEY

logger = logging.getLogger(__name__)

STAT_PREFIX = "newsbot/faults"
#: faults of list pages, by kind (also counted under STAT_PREFIX); ``…/example`` is the first one
LIST_FAULT_PREFIX = "newsbot/list_faults"
#: statuses that mean "this article is gone": archived, remembered, never requested again
GONE_STATUSES = frozenset({404, 410})


def is_article_request(request: Request, spider) -> bool:
    parse_article = getattr(spider, "parse_article", None)
    return parse_article is not None and request.callback == parse_article


def is_requisite_request(request: Request) -> bool:
    """A photo, stylesheet or font of an article page (newsbot/warc/requisites.py): never an article."""
    return REQUISITE_META_KEY in request.meta


def is_list_request(request: Request, spider) -> bool:
    parse_list = getattr(spider, "parse_list", None)
    return parse_list is not None and request.callback == parse_list


def is_internal_request(request: Request) -> bool:
    """robots.txt and other downloads the engine makes for itself, not for a spider callback."""
    return request.callback is NO_CALLBACK or bool(request.meta.get("dont_obey_robotstxt"))


def original_url(request: Request) -> str:
    """The URL the spider asked for, before any redirect."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


class FaultLog(CrawlerComponent):
    """Extension: what this crawl has logged, so each fault is one line per URL and kind."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.logged: set[tuple[str, str]] = set()

    def first_time(self, kind: str, url: str) -> bool:
        """True the first time ``kind`` is seen on ``url`` in this crawl."""
        if (kind, url) in self.logged:
            return False
        self.logged.add((kind, url))
        return True


def first_time(crawler, kind: str, url: str) -> bool:
    """:meth:`FaultLog.first_time` of the crawl's log (always True without the extension)."""
    log = crawler.get_extension(FaultLog)
    return log is None or log.first_time(kind, url)


def record_fault(crawler, request: Request, kind: str, detail: str, *, gone: bool = False) -> None:
    """Count, log (once per URL and kind) and, for an article, remember a fault.

    A page requisite's fault is the requisites' own count (``newsbot/requisites/failed/...``),
    not a fault of the crawl: never in the ledger, never retried as an article."""
    if is_requisite_request(request):
        from newsbot.warc.requisites import count_failure

        count_failure(crawler, request, kind, detail)
        return
    url = original_url(request)
    stats = crawler.stats
    stats.inc_value(f"{STAT_PREFIX}/{kind}")
    stats.inc_value(f"{STAT_PREFIX}/count")
    spider = crawler.spider
    article = is_article_request(request, spider)
    if is_list_request(request, spider):
        # what the report tells an unreachable site by (newsbot/extensions/report.py)
        stats.inc_value(f"{LIST_FAULT_PREFIX}/{kind}")
        if stats.get_value(f"{LIST_FAULT_PREFIX}/example") is None:
            stats.set_value(f"{LIST_FAULT_PREFIX}/example", f"{kind} on {url}: {detail}")
    if first_time(crawler, kind, url):
        if article and gone:
            consequence = "recorded as gone, not requested again"
        elif article:
            consequence = "not recorded, the next run fetches it again"
        else:
            consequence = "skipped"
        logger.warning("Fault %s on %s: %s (%s)", kind, url, detail, consequence)
    if article:
        canonical = canonical_rule(spider)(url)
        attempts = fault_ledger(crawler).mark_failed(canonical, url, kind, detail, gone=gone)
        if not gone and attempts == crawler.settings.getint("FAULTS_RETRY_RUNS", 5):
            # The last try: later runs no longer retry it first (only a list page they walk would
            # show it again): lost, unless someone looks.  Said once, with a failing status.
            stats.inc_value(f"{STAT_PREFIX}/articles_given_up")
            logger.warning("Giving up on %s: it failed in %d runs in a row (%s)", url, attempts, kind)
            report_problem(stats, "articles_given_up",
                           f"articles given up after failing in {attempts} runs (FAULTS_RETRY_RUNS), e.g. {url}: "
                           f"{kind}; later runs no longer retry them (a backfill over their dates would)",
                           exitcodes.GIVEN_UP)
        accounts = article_accounts(crawler)
        if accounts is not None:
            accounts.fail(url, kind)
        stats.inc_value(f"{STAT_PREFIX}/articles_gone" if gone else f"{STAT_PREFIX}/articles_failed")
