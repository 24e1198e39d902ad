"""Parsed articles as JSON Lines: ``OUTPUT_DIR/<site>/jsonl/<site>-<UTC>-<serial>.jsonl``.

A file is closed and the next one started once it reaches ``JSONL_MAX_SIZE`` bytes
(0: never), so a consumer can follow finished files by name order.

Each record is written with one ``write(2)`` on an ``O_APPEND`` descriptor, so a process
killed at any moment leaves whole lines behind (at worst, the record in flight is absent
and the article is not marked recorded, so the next run fetches it again).
"""

from __future__ import annotations

import errno
import json
import os

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from newsbot.component import CrawlerComponent
from newsbot.extensions.accounting import article_accounts
from newsbot.faults.storage import storage_failed
from newsbot.output import create_unique, file_tag, site_dir, site_of

#: key order of every record; fields an item lacks are written as null
RECORD_FIELDS = (
    "schema_version", "id", "version", "content_digest", "site", "article_id", "url", "canonical_url", "section",
    "title", "subtitle", "author",
    "published_at", "published_at_raw", "modified_at", "modified_at_raw",
    "body", "body_en", "captions", "images", "regions", "topics",
    "crawled_at", "warc_filename", "warc_record_id", "extraction_warnings", "provenance", "reparsed_at",
)


def record_json(item) -> str:
    adapter = ItemAdapter(item)
    record = {field: adapter.get(field) for field in RECORD_FIELDS}
    record.update({k: v for k, v in adapter.items() if k not in record})
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


class JsonLinesPipeline(CrawlerComponent):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.fd: int | None = None
        self.path = None
        self.max_size = crawler.settings.getint("JSONL_MAX_SIZE")
        self.size = 0
        #: (item, its JSON line) of the record written last: the latest view stores these same bytes
        self.last_written: tuple[object, str] | None = None

    def _open(self):
        site = site_of(self.crawler.spider)
        # a re-parse writes to its own folder (JSONL_DIR reparse/jsonl): never mixed with crawl output
        folder = site_dir(self.crawler.settings, site, self.crawler.settings.get("JSONL_DIR") or "jsonl")
        self.fd, self.path = create_unique(folder, site, ".jsonl", tag=file_tag(self.crawler.settings))
        self.size = 0
        self.crawler.stats.inc_value("newsbot/jsonl_files")

    def process_item(self, item):
        if self.fd is None:
            self._open()
        text = record_json(item)
        data = (text + "\n").encode("utf-8")
        try:
            written = os.write(self.fd, data)
            if written != len(data):
                os.ftruncate(self.fd, self.size)  # disk full mid-line: back to whole lines
                raise OSError(errno.ENOSPC, f"short write ({written} of {len(data)} bytes)", str(self.path))
        except OSError as exc:
            # Not written, so never marked recorded (the state pipeline comes after): stop the run.
            storage_failed(self.crawler, self.path, exc)
            accounts = article_accounts(self.crawler)
            if accounts is not None:
                accounts.settle_canonical(item["canonical_url"], "failed:storage")
            raise DropItem(f"not written: {exc}", log_level="DEBUG") from exc
        self.crawler.stats.inc_value("newsbot/items_written")
        self.last_written = (item, text)  # serialized once (newsbot/pipelines/latest.py)
        self.size += written
        if self.max_size and self.size >= self.max_size:
            self.close_spider()  # rotate: the next record starts a new file
        return item

    def close_spider(self):
        if self.fd is not None:
            fd, self.fd = self.fd, None
            try:
                os.fsync(fd)
            except OSError as exc:  # every line was written whole; only the sync to disk failed
                storage_failed(self.crawler, self.path, exc)
            finally:
                os.close(fd)
