"""Keeps the site's ``latest`` view (:mod:`newsbot.latest`) up to date, record by record,
and exports ``latest.jsonl`` when the run ends.  ``LATEST_ENABLED=0`` turns it off."""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from newsbot.component import CrawlerComponent
from newsbot.faults.storage import closing_write_failed
from newsbot.latest import LatestView
from newsbot.output import site_dir, site_of
from newsbot.pipelines.jsonlines import JsonLinesPipeline, record_json

logger = logging.getLogger(__name__)


class LatestViewPipeline(CrawlerComponent):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.view: LatestView | None = None
        self.jsonlines: JsonLinesPipeline | None = None

    def open_spider(self):
        self.jsonlines = self.crawler.get_item_pipeline(JsonLinesPipeline)

    def written_record(self, item) -> str:
        """The JSON Lines pipeline's line for ``item`` if it just wrote it (the record is final
        once written: later pipelines only store it), else ``item`` serialized now."""
        written = self.jsonlines.last_written if self.jsonlines is not None else None
        if written is not None and written[0] is item:
            return written[1]
        return record_json(item)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("LATEST_ENABLED", True):
            raise NotConfigured("LATEST_ENABLED is off")
        return cls(crawler)

    def process_item(self, item):
        if self.view is None:
            self.view = LatestView(site_dir(self.crawler.settings, site_of(self.crawler.spider)) / "latest.sqlite3")
        text = self.written_record(item)  # the same bytes as the JSON Lines record
        self.view.upsert(ItemAdapter(item), text)
        self.crawler.stats.inc_value("newsbot/latest/upserts")
        return item

    def close_spider(self):
        if self.view is None:
            return
        if not self.crawler.settings.getbool("LATEST_EXPORT_JSONL", True):
            self.view.close()  # a re-parse shard: its parent exports once every shard is in
            self.view = None
            return
        target = self.view.path.with_name("latest.jsonl")
        try:
            lines = self.view.export_jsonl(target)   # written aside: the old one stays whole on failure
        except OSError as exc:
            closing_write_failed(self.crawler, f"{target} (the previous one is left as it was; the next run "
                                               f"exports it again)", exc)
        else:
            self.crawler.stats.set_value("newsbot/latest/articles", lines)
            logger.info("Latest view: %d article(s) in %s", lines, target)
        finally:
            self.view.close()
            self.view = None
