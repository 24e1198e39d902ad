"""Every article a run sees ends in exactly one bucket, and the buckets add up.

A scheduled run's report must say what became of each article a list page showed, not
only what was written: an article that silently vanished between list and record is
an article lost.  :class:`ArticleAccounts` keeps, per canonical URL (the key every
component already uses), the one outcome of every article the run saw on a list page or
requested (``-a urls``, earlier failures retried, a gnuboard id walk):

==================  ===========================================================
``new``             recorded, version 1 (after its record was written and marked)
``updated``         recorded as its next version (the outlet edited it)
``duplicate``       fetched again, content unchanged: nothing written
``already_recorded`` recorded by an earlier run (or another cluster worker): not fetched
``out_of_range``    outside a backfill's since..until (by list date or its own date)
``not_an_article``  the CMS answered with no article (gnuboard's alert page)
``failed``          by reason (``http_500``, ``timeout``, ``robots_txt``, ``storage`` ...)
``pending``         no outcome yet: the run was stopped before it got to it
==================  ===========================================================

The first outcome stays, except that a recorded one (new, updated, duplicate) wins over
any other (a second spelling that failed does not undo a record).  A finished run with
articles still ``pending`` has lost track of them: the crawl report says so as a
problem (newsbot/extensions/report.py).  Components report outcomes through
:func:`article_accounts` (None when the extension is off); the report reads
:meth:`ArticleAccounts.summary`.
"""

from __future__ import annotations

from collections import Counter

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from newsbot.component import CrawlerComponent
from newsbot.urls import canonical_rule

#: outcomes that mean the article's content is recorded
RECORDED = frozenset({"new", "updated", "duplicate"})
#: every bucket but ``failed:<reason>``, in report order
BUCKETS = ("new", "updated", "duplicate", "already_recorded", "out_of_range", "not_an_article")
FAILED = "failed:"


def failure_reason(failure) -> str:
    """Why a request's errback was called, as a ``failed:<reason>`` reason word."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        if message == "Forbidden by robots.txt":    # Scrapy's RobotsTxtMiddleware
            return "robots_txt"
        if message.startswith("Filtered offsite"):  # Scrapy's OffsiteMiddleware
            return "offsite"
        if message.startswith("not archived"):      # newsbot.faults.storage.storage_guarded
            return "storage"
        return "ignored"
    return type(exc).__name__


class ArticleAccounts(CrawlerComponent):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.outcomes: dict[str, str | None] = {}
        self.aliases: dict[str, str] = {}   # canonical URL listed -> the one it redirected to
        self._rule = None
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def canonical(self, url: str) -> str:
        if self._rule is None:
            self._rule = canonical_rule(self.crawler.spider)
        key = self._rule(url)
        return self.aliases.get(key, key)

    # -- what components call --------------------------------------------------------
    def seen(self, url: str) -> None:
        """An article listed or requested: pending until it has an outcome."""
        self.outcomes.setdefault(self.canonical(url), None)

    def settle(self, url: str, outcome: str) -> None:
        """``url``'s outcome (a bucket, or ``failed:<reason>``); see the module docstring."""
        self.settle_canonical(self.canonical(url), outcome)

    def settle_canonical(self, canonical_url: str, outcome: str) -> None:
        key = self.aliases.get(canonical_url, canonical_url)
        current = self.outcomes.get(key)
        if current is None or (outcome in RECORDED and current not in RECORDED):
            self.outcomes[key] = outcome

    def fail(self, url: str, reason: str) -> None:
        self.settle(url, FAILED + reason)

    def merge(self, listed_url: str, same_as_url: str) -> None:
        """``listed_url`` redirected to ``same_as_url``: one article (one entry, under the URL
        its record will carry), whether or not that URL was seen too; ``seen`` counts
        articles, not spellings."""
        listed, same_as = self.canonical(listed_url), self.canonical(same_as_url)
        if listed == same_as:
            return
        outcome = self.outcomes.pop(listed, None)
        self.outcomes.setdefault(same_as, None)
        self.aliases[listed] = same_as
        if outcome is not None:
            self.settle_canonical(same_as, outcome)

    # -- signals: what no component settles itself ----------------------------------
    def request_dropped(self, request, spider) -> None:
        # A redirect to an article this run already requested: the duplicate filter drops it,
        # and the article it leads to has (or will have) the outcome of both.
        redirected = request.meta.get("redirect_urls")
        if redirected and request.callback == getattr(spider, "parse_article", None):
            self.merge(redirected[0], request.url)

    def spider_error(self, failure, response, spider) -> None:
        request = getattr(response, "request", None)
        if request is not None and request.callback == getattr(spider, "parse_article", None):
            self.fail((request.meta.get("redirect_urls") or [request.url])[0], "spider_error")

    def item_error(self, item, response, spider, failure) -> None:
        from newsbot.faults.storage import is_storage_error

        if item.get("canonical_url"):
            self.settle_canonical(item["canonical_url"],
                                  FAILED + ("storage" if is_storage_error(failure.value) else "pipeline_error"))

    def item_dropped(self, item, response, exception, spider) -> None:
        if item.get("canonical_url"):
            self.settle_canonical(item["canonical_url"], FAILED + "dropped")   # only if nothing said why

    # -- the report ------------------------------------------------------------------
    def summary(self) -> dict:
        counts = Counter(self.outcomes.values())
        failed = dict(sorted((outcome[len(FAILED):], n) for outcome, n in counts.items()
                             if outcome and outcome.startswith(FAILED)))
        summary = {"seen": len(self.outcomes), **{bucket: counts.get(bucket, 0) for bucket in BUCKETS},
                   "failed": failed, "pending": counts.get(None, 0)}
        total = sum(summary[bucket] for bucket in BUCKETS) + sum(failed.values()) + summary["pending"]
        summary["adds_up"] = total == summary["seen"]
        return summary

    def pending_sample(self, limit: int = 5) -> list[str]:
        return [url for url, outcome in self.outcomes.items() if outcome is None][:limit]


def article_accounts(crawler) -> ArticleAccounts | None:
    """The crawl's accounts (None when :class:`ArticleAccounts` is not enabled)."""
    return crawler.get_extension(ArticleAccounts)
