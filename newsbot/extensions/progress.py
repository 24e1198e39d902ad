"""One progress line every ``LOGSTATS_INTERVAL`` seconds (Scrapy's setting, default 60),
in place of Scrapy's own LogStats line, which it extends::

    Progress: 512 pages (60/min), 480 articles (57/min); 37 queued, 2 in flight;
    articles 470 new, 3 updated, 5 known, 2 failed, 0 out of range; 4.1 MB archived;
    list page 26 (http://…/news/list.php?page=26); dates 2024-06-28..2024-02-11;
    backfill 43% of 2024-01-01..2024-06-28, ETA 14 min

(one line in the log).  Rates are over the last interval.  ``known``: articles already
recorded (not fetched again, or fetched and unchanged).  The list page is the last one
the spider parsed; the dates are the newest and oldest day seen on list pages and in
recorded articles (stats ``newsbot/dates_seen/newest``, ``…/oldest``, set by the spider and
here).  A backfill (``-a since=``) walks back from ``until`` (default today, in Korea; or the
newest date seen, if older), so the share of its range covered is how far back the oldest
date seen reaches; the ETA is
the larger of the time the walk needs at its pace so far and the time the queued
requests need at the crawl's page rate: an estimate, steadier as the run goes on.

Everything comes from the crawl's stats, except the queue: the scheduler's length and the
downloader's requests in flight (:func:`queued_requests`).
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta, timezone

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.extensions.logstats import LogStats

logger = logging.getLogger(__name__)

KST = timezone(timedelta(hours=9))
NEWEST_DATE_STAT = "newsbot/dates_seen/newest"
OLDEST_DATE_STAT = "newsbot/dates_seen/oldest"
LIST_PAGE_STAT = "newsbot/walk/list_page"
ARTICLE_PAGES_STAT = "newsbot/article_pages"


def saw_date(stats, day: date | str | None) -> None:
    """Widen the range of dates seen (list entries, articles) by ``day``."""
    if not day:
        return
    text = day.isoformat() if isinstance(day, date) else str(day)[:10]
    stats.max_value(NEWEST_DATE_STAT, text)
    stats.min_value(OLDEST_DATE_STAT, text)


def queued_requests(crawler) -> tuple[int | None, int]:
    """(requests waiting in the scheduler, requests in the downloader): ``engine.scheduler``
    (public since Scrapy 2.19, newsbot's floor) and the downloader's ``active`` set."""
    engine = crawler.engine
    in_flight = len(engine.downloader.active)
    scheduler = engine.scheduler
    try:
        return (len(scheduler) if scheduler is not None else None), in_flight
    except (TypeError, NotImplementedError):   # a scheduler that cannot count its queue
        return None, in_flight


def backfill_share(since: date, until: date | None, newest_seen: str | None, oldest_seen: str | None) -> float:
    """How much of a backfill's range a walk back from its top has covered, by days (both
    ends included).  The top is ``until`` (default today in Korea), or the newest date seen
    when that is older: an outlet with nothing after March has nothing to walk there."""
    if not oldest_seen:
        return 0.0
    top = until or datetime.now(KST).date()
    if newest_seen:
        top = min(top, date.fromisoformat(newest_seen))
    oldest = date.fromisoformat(oldest_seen)
    if oldest < since:
        return 1.0   # the walk reached entries older than the range: it is done
    span = (top - since).days + 1
    if span <= 0 or oldest > top:
        return 0.0
    return min(1.0, ((top - oldest).days + 1) / span)


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60} min"


class ProgressLog(LogStats):
    """Scrapy's LogStats (final rates in the stats, the interval setting) with newsbot's line."""

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("LOGSTATS_INTERVAL")
        if not interval:
            raise NotConfigured
        extension = cls(crawler.stats, interval)
        extension.crawler = crawler
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def spider_opened(self, spider) -> None:
        self.articles_before = 0
        self.started = time.monotonic()
        super().spider_opened(spider)

    def item_scraped(self, item, response, spider) -> None:
        published = item.get("published_at") if hasattr(item, "get") else None
        if published:
            saw_date(self.stats, published)

    def log(self, spider) -> None:
        self.calculate_stats()
        logger.info("%s", self.line(spider), extra={"spider": spider})

    def line(self, spider) -> str:
        get = self.stats.get_value
        articles = get(ARTICLE_PAGES_STAT, 0)
        article_rate = (articles - self.articles_before) * self.multiplier
        self.articles_before = articles
        queued, in_flight = queued_requests(self.crawler)
        known = get("newsbot/skipped_already_recorded", 0) + get("newsbot/items_duplicate", 0)
        parts = [
            f"{self.pages} pages ({self.prate:.0f}/min), {articles} articles ({article_rate:.0f}/min)",
            f"{'?' if queued is None else queued} queued, {in_flight} in flight",
            f"articles {get('newsbot/items_new', 0)} new, {get('newsbot/items_updated', 0)} updated, {known} known, "
            f"{get('newsbot/articles_failed', 0)} failed, {get('newsbot/skipped_out_of_range', 0)} out of range",
            f"{get('newsbot/warc_bytes', 0) / 1e6:.1f} MB archived",
        ]
        list_page = get(LIST_PAGE_STAT)
        if list_page:
            parts.append(f"list page {get('newsbot/walk/list_page_number', '?')} ({list_page})")
        newest, oldest = get(NEWEST_DATE_STAT), get(OLDEST_DATE_STAT)
        if newest:
            parts.append(f"dates {newest}..{oldest}")
        since, until = getattr(spider, "since", None), getattr(spider, "until", None)
        if since:
            share = backfill_share(since, until, newest, oldest)
            scope = f"{since}..{until or 'today'}"
            parts.append(f"backfill {share:.0%} of {scope}, ETA {self.eta(share, queued, in_flight)}")
        return "Progress: " + "; ".join(parts)

    def eta(self, share: float, queued: int | None, in_flight: int) -> str:
        elapsed = time.monotonic() - self.started
        if share <= 0 or elapsed <= 0:
            return "unknown"
        walk = elapsed * (1 - share) / share
        page_rate = self.pages / elapsed
        queue = ((queued or 0) + in_flight) / page_rate if page_rate else 0.0
        return duration(max(walk, queue))
