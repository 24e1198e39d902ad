"""Answer every request from WARC archives (setting ``REPLAY_WARC``); nothing goes out.

Installed as the http/https download handler by :class:`newsbot.addon.NewsbotAddon`.
The stored payload is handed to Scrapy still Content-Encoded, so the rest of the
middleware chain (decompression, redirects, charset detection) runs as it does live.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from newsbot import exitcodes
from newsbot.component import CrawlerComponent
from newsbot.urls import canonical_rule
from newsbot.warc import REASON_META_KEY, REQUISITE_META_KEY, WARC_META_KEY
from newsbot.warc.index import ArchiveIndex
from newsbot.warc.scan import log_damage

logger = logging.getLogger(__name__)


def count_damage(stats, damage: list) -> None:
    """Damaged and oversized records skipped (``newsbot/archive_damage``, of which
    ``newsbot/archive_oversized``), named in the crawl report."""
    if not damage:
        return
    stats.inc_value("newsbot/archive_damage", len(damage))
    oversized = sum(d.oversized for d in damage)
    if oversized:
        stats.inc_value("newsbot/archive_oversized", oversized)
    # exit status 0: the records around the damage were used; the report says what was not
    exitcodes.report_problem(stats, "archive_damage", "archive records were skipped, damaged or over DOWNLOAD_MAXSIZE "
                             "(newsbot/archive_damage): the log names each one's file and offset", exitcodes.OK)


class ReplayArchive(CrawlerComponent):
    """Extension: the archive a replay answers from, one :class:`ArchiveIndex` per crawl
    (the http and https handlers share it; a re-parse hands over the index it saved,
    ``REPLAY_INDEX``, so no process reads the archive twice).  Added by the add-on when
    ``REPLAY_WARC`` is set."""

    def __init__(self, crawler):
        super().__init__(crawler)
        settings = crawler.settings
        # The live downloader's limit holds for archived records too (0: none, as in Scrapy)
        max_size = settings.getint("DOWNLOAD_MAXSIZE") or None
        saved = settings.get("REPLAY_INDEX")
        if saved:
            self.index = ArchiveIndex.load(saved, max_size=max_size)
        else:
            # A list (scrapy reparse) or one path; "a,b" on the command line.
            locations = settings.getlist("REPLAY_WARC")
            self.index = ArchiveIndex(locations, on_damage=self.damaged, max_size=max_size)
            logger.info("Replaying from %s: %d archived responses", ", ".join(map(str, locations)), len(self.index))
        # (a re-parse reported what it found reading the archive; a record found damaged only
        # when read, its CDXJ index having stood in for the reading, is counted here)
        self.index.on_damage = self.damaged
        crawler.signals.connect(self.close, signal=signals.engine_stopped)

    def damaged(self, damage) -> None:
        log_damage(damage)
        count_damage(self.crawler.stats, [damage])

    def close(self) -> None:
        self.index.close()  # idempotent


class ReplayDownloadHandler(BaseDownloadHandler):
    def __init__(self, crawler):
        super().__init__(crawler)
        self._archive: ReplayArchive | None = None

    @property
    def index(self) -> ArchiveIndex:
        if self._archive is None:
            self._archive = self.crawler.get_extension(ReplayArchive)
            if self._archive is None:
                raise RuntimeError("REPLAY_WARC needs the newsbot.warc.replay.ReplayArchive extension")
        return self._archive.index

    async def download_request(self, request):
        stats = self.crawler.stats
        spider = self.crawler.spider
        stored = self.index.get(request.url, canonicalize=canonical_rule(spider))
        if stored is None:
            if REQUISITE_META_KEY in request.meta:
                # A photo or stylesheet the archive lacks (an archive made before requisites
                # were captured lacks them all): counted and logged as a requisite
                # (newsbot/warc/requisites.py), not mixed with the pages it lacks.
                stats.inc_value("newsbot/replay/missing_requisites")
            else:
                stats.inc_value("newsbot/replay/missing")
                logger.warning("Not in the archive, answered 404: %s", request.url)
            return responsetypes.from_args(url=request.url)(
                url=request.url, status=404, body=b"", flags=["replay", "replay-missing"], request=request
            )
        stats.inc_value("newsbot/replay/hits")
        grouped: dict[str, list[str]] = {}
        for name, value in stored.headers:
            grouped.setdefault(name, []).append(value)
        headers = Headers(grouped)
        respcls = responsetypes.from_args(headers=headers, url=stored.url, body=stored.body)
        request.meta[WARC_META_KEY] = {
            "filename": stored.filename, "record_id": stored.record_id, "offset": stored.offset,
            "date": stored.warc_date,
        }
        request.meta[REASON_META_KEY] = stored.reason
        if stored.revisit_of:
            stats.inc_value("newsbot/replay/revisits_resolved")
        return respcls(
            url=request.url, status=stored.status, headers=headers, body=stored.body,
            flags=["replay"], protocol=stored.protocol, request=request,
        )
