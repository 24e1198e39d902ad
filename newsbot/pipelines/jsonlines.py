"""Parsed articles as JSON Lines: ``OUTPUT_DIR/<site>/jsonl/<site>-<UTC>-<serial>.jsonl``.

A file is written as ``<name>.jsonl.open`` and renamed to ``<name>.jsonl`` when it is
closed: once it reaches ``JSONL_MAX_SIZE`` bytes (0: never) or the run ends.  A consumer
reading ``*.jsonl`` only sees finished files, which never change again
(:mod:`newsbot.outputfile`); each is listed in the run's manifest (crawl report).

Each record is written with one ``write(2)`` on an ``O_APPEND`` descriptor, so a process
killed at any moment leaves whole lines behind (at worst, the record in flight is absent
and the article is not marked recorded, so the next run fetches it again).  The ``.open``
file such a process leaves is finished by the next run (:func:`adopt_unfinished`).
"""

from __future__ import annotations

import json

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from newsbot.component import CrawlerComponent
from newsbot.extensions.accounting import article_accounts
from newsbot.faults.storage import storage_failed
from newsbot.extensions.manifest import run_manifest
from newsbot.output import file_tag, site_dir, site_of
from newsbot.outputfile import OutputFile, adopt_unfinished, repair_lines

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
        self.file: OutputFile | None = None
        self.max_size = crawler.settings.getint("JSONL_MAX_SIZE")
        #: (item, its JSON line) of the record written last: the latest view stores these same bytes
        self.last_written: tuple[object, str] | None = None

    @property
    def directory(self):
        # a re-parse writes to its own folder (JSONL_DIR reparse/jsonl): never mixed with crawl output
        settings = self.crawler.settings
        return site_dir(settings, site_of(self.crawler.spider), settings.get("JSONL_DIR") or "jsonl")

    def open_spider(self):
        # What a killed run left being written: finished (cut to whole lines) before we write.
        for adopted in adopt_unfinished(self.directory, ".jsonl", "jsonl", repair_lines):
            run_manifest(self.crawler).adopted(adopted)

    def _open(self):
        self.file = OutputFile(self.directory, site_of(self.crawler.spider), ".jsonl", "jsonl",
                               tag=file_tag(self.crawler.settings))
        self.crawler.stats.inc_value("newsbot/jsonl_files")

    @property
    def path(self):
        """The file being written now, under its final name (None between files)."""
        return self.file.path if self.file is not None else None

    def process_item(self, item):
        if self.file is None:
            self._open()
        text = record_json(item)
        try:
            self.file.write((text + "\n").encode("utf-8"))   # one write(2); a short one is cut back
        except OSError as exc:
            # Not written, so never marked recorded (the state pipeline comes after): stop the run.
            storage_failed(self.crawler, self.file.open_path, exc)
            accounts = article_accounts(self.crawler)
            if accounts is not None:
                accounts.settle_canonical(item["canonical_url"], "failed:storage")
            raise DropItem(f"not written: {exc}", log_level="DEBUG") from exc
        self.crawler.stats.inc_value("newsbot/items_written")
        self.last_written = (item, text)  # serialized once (newsbot/pipelines/latest.py)
        if self.max_size and self.file.size >= self.max_size:
            self._finish()  # rotate: the next record starts a new file
        return item

    def _finish(self):
        file, self.file = self.file, None
        try:
            run_manifest(self.crawler).finished(file.finish())
        except OSError as exc:  # every line was written whole; only the sync (or the rename) failed
            # left as <name>.open: the next run finishes it
            storage_failed(self.crawler, file.open_path, exc)

    def close_spider(self):
        if self.file is not None:
            self._finish()
