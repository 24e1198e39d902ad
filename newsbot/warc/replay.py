"""Answer every request from WARC archives (setting ``REPLAY_WARC``); nothing goes out.

Installed as the http/https download handler by :class:`newsbot.addon.NewsbotAddon`.
The stored payload is handed to Scrapy still Content-Encoded, so the rest of the
middleware chain (decompression, redirects, charset detection) runs as it does live.
"""

from __future__ import annotations

import logging

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from newsbot.urls import canonical_rule
from newsbot.warc import REASON_META_KEY
from newsbot.warc.reader import ArchiveIndex, log_damage

logger = logging.getLogger(__name__)


class ReplayDownloadHandler(BaseDownloadHandler):
    def __init__(self, crawler):
        super().__init__(crawler)
        def damaged(damage):
            log_damage(damage)
            crawler.stats.inc_value("newsbot/archive_damage")

        # http and https get one handler each; they share one index per crawl.
        self.index = getattr(crawler, "_newsbot_replay_index", None)
        if self.index is None:
            # A list (scrapy reparse) or one path; "a,b" on the command line.
            locations = crawler.settings.getlist("REPLAY_WARC")
            self.index = crawler._newsbot_replay_index = ArchiveIndex(locations, on_damage=damaged)
            logger.info("Replaying from %s: %d archived responses", ", ".join(map(str, locations)), len(self.index))
        # (scrapy reparse reported what it found reading the archive; a record found damaged
        # only when read, its CDXJ index having stood in for the reading, is counted here)
        self.index.on_damage = damaged

    async def close(self) -> None:
        # http and https share the index: closing it twice is harmless
        self.index.close()

    async def download_request(self, request):
        stats = self.crawler.stats
        spider = self.crawler.spider
        stored = self.index.get(request.url, canonicalize=canonical_rule(spider))
        if stored is None:
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
        request.meta["newsbot_warc"] = {
            "filename": stored.filename, "record_id": stored.record_id, "offset": stored.offset,
        }
        request.meta[REASON_META_KEY] = stored.reason
        if stored.revisit_of:
            stats.inc_value("newsbot/replay/revisits_resolved")
        return respcls(
            url=request.url, status=stored.status, headers=headers, body=stored.body,
            flags=["replay"], protocol=stored.protocol, request=request,
        )
