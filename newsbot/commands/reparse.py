"""``scrapy reparse <site> PATH [PATH...]``: JSON Lines again from archived responses.

"We fixed a selector; now fix the last three years of records."  The spider runs exactly
as in a live crawl (same callbacks, same pipelines), but every request is answered from
the WARCs (the ``REPLAY_WARC`` handler and :class:`~newsbot.warc.index.ArchiveIndex`,
the one archive-reading path), and nothing is fetched or archived again:

* its start requests are the archived URLs the spider recognizes as articles
  (its CMS's ``urls.is_article``), the first spelling archived for each canonical URL;
* ``WARC_ENABLED=0``: records keep pointing at the source archive's response records;
* dedupe runs against an empty state in a temporary file (removed at the end), so
  articles already recorded are emitted again (the site's ``state.sqlite3`` is neither
  read nor changed);
* robots.txt is not consulted (it was, when the pages were captured).

Output: a new file in ``OUTPUT_DIR/<site>/reparse/jsonl/`` (never among the crawl's
``jsonl/``), each record with ``reparsed_at`` (this re-parse's time) and ``crawled_at`` the
WARC-Date of the response it was made from.  For a URL archived several times, the latest
capture is the one re-parsed.  No crawl lock is taken: a re-parse shares no state with a
crawl, so it never blocks a scheduled run (newsbot/runlock.py).

``--processes N`` (default: one per usable CPU, at most one per 200 articles) spreads the
work: this process forks N children (they inherit its imports and its parsed options),
reads the archive once into an index file, splits the article URLs into N shards (one
canonical URL, so one article, in exactly one shard), and each child re-parses its shard
with the same spider, settings (``-s``) and arguments (``-a``) into its own JSON Lines
file, as ``scrapy reparse --processes 1`` would; they share the latest view
(SQLite, WAL), re-exported once they are all done.  The exit status is the worst
child's; a child that fails is named in one line; Ctrl-C or SIGTERM is passed on to every
child, which stops as a crawl does (``newsbot/reparse/shards.py``).
``--processes 1`` re-parses in this process.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path

from scrapy import signals
from scrapy.commands import BaseRunSpiderCommand
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from newsbot import exitcodes
from newsbot.commands.crawl import (check_output_dir, fail_usage, own_usage_errors, prepare_log_file,
                                    refuse_stray_options)
from newsbot.exitcodes import EXIT_STATUS_STAT
from newsbot.reparse import article_urls, configure_replay, reparse_stamp
from newsbot.reparse.shards import (Interrupted, ShardAssignment, ShardProcesses, default_processes,
                                    import_components, usable_cpus, wait_for_shard)
from newsbot.warc.index import ArchiveIndex
from newsbot.warc.replay import count_damage as count_archive_damage
from newsbot.warc.scan import ArchiveError, log_damage, warc_paths

logger = logging.getLogger(__name__)


class Command(BaseRunSpiderCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options] <spider> <warc file or folder> [...]"

    def short_desc(self) -> str:
        return "Regenerate JSON Lines from WARC archives with today's extractors (no network)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        own_usage_errors(parser)   # every usage error: one newsbot: error: line, exit 2
        parser.add_argument("--processes", type=int, metavar="N",
                            help="re-parse in N processes, each a shard of the articles "
                                 "(default: one per usable CPU, at most one per 200 articles)")

    def process_options(self, args: list[str], opts) -> None:
        super().process_options(args, opts)
        prepare_log_file(self.settings)   # before Scrapy opens it
        if opts.processes is not None and opts.processes < 1:
            raise UsageError("--processes must be 1 or more")
        feeds = bool(self.settings.getdict("FEEDS"))
        if feeds and (opts.processes or 1) > 1:
            raise UsageError("-o/-O with --processes N > 1: every process would write the same file")
        self.most_processes = opts.processes or (1 if feeds else usable_cpus())
        self.shards: ShardProcesses | None = None    # in the parent of N > 1: its children
        self.shard: ShardAssignment | None = None    # in one of those children: what it re-parses
        self.usage_error: str | None = None
        try:
            spidercls = self.preflight(args)
        except UsageError as exc:
            self.usage_error = str(exc)   # said by run(), in one line, before anything starts
            return
        # One reparsed_at for every record of this re-parse, shards included (they inherit it).
        self.settings.set("NEWSBOT_REPARSED_AT", reparse_stamp(), priority="cmdline")
        # Forked here, before Scrapy makes the crawler process (reactor, logging): see newsbot/reparse/shards.py.
        if self.most_processes > 1:
            # What a shard's crawl imports, imported once here for the children to inherit.
            settings = self.settings.copy()
            configure_replay(settings, [Path(a) for a in args[1:]], spidercls)
            import_components(settings)
            started = ShardProcesses.start(self.most_processes, opts.spargs.get("site") or args[0])
            if isinstance(started, ShardAssignment):
                self.shard = started
            else:
                self.shards = started

    def preflight(self, args: list[str]):
        """What can be checked before any process starts or anything is written; the spider class."""
        refuse_stray_options(args)
        if len(args) < 2:
            raise UsageError("usage: scrapy reparse <spider> <warc file or folder> [...]")
        spiders = get_spider_loader(self.settings)
        if args[0] not in spiders.list():
            raise UsageError(f"unknown spider {args[0]!r} (known: {', '.join(sorted(spiders.list()))})")
        try:
            warc_paths([Path(a) for a in args[1:]])
        except ArchiveError as exc:
            raise UsageError(str(exc)) from None
        check_output_dir(self.settings.get("OUTPUT_DIR") or "output")
        return spiders.load(args[0])

    def run(self, args: list[str], opts) -> None:
        if self.usage_error is not None:
            return fail_usage(self, self.usage_error)
        site, locations = args[0], [Path(a) for a in args[1:]]
        spidercls = self.crawler_process.spider_loader.load(site)
        damaged = []

        def on_damage(damage):
            damaged.append(damage)
            log_damage(damage)

        scratch = tempfile.TemporaryDirectory(prefix="newsbot-reparse-")
        if self.shard is not None:
            # A child: the parent reads the archive (and reports its damage) and saves its index.
            configure_replay(self.settings, locations, spidercls, index_file=self.shard.index_file)
            # The view is site-wide: one export, by the parent, once every shard is in.
            self.settings.set("LATEST_EXPORT_JSONL", False, priority="cmdline")
            wait_for_shard(self.shard.urls_file, self.shard.parent)
            urls = self.shard.urls_file.read_text(encoding="utf-8").splitlines()
        else:
            try:
                try:
                    # the live downloader's limit holds for archived records too (0: none)
                    index = ArchiveIndex(locations, on_damage=on_damage,
                                         max_size=self.settings.getint("DOWNLOAD_MAXSIZE") or None)
                except ArchiveError as exc:
                    return fail_usage(self, str(exc))
                urls = article_urls(index, spidercls)
                most = self.most_processes
                processes = min(most, len(urls) if opts.processes else default_processes(len(urls)))
                if processes > 1 and self.shards is not None:
                    self.exitcode = self.shards.run(index, urls, processes, self.settings, damaged)
                    return
            except Interrupted as signal_name:
                logger.warning("Received %s while reading the archive: stopped, nothing written", signal_name)
                self.exitcode = exitcodes.ERROR
                return
            finally:
                if self.shards is not None:
                    self.shards.close()
            # Read once: the crawl's replay handler opens the saved index (REPLAY_INDEX).
            index_file = Path(scratch.name) / "archive-index.sqlite3"
            index.save(index_file)
            index.close()
            configure_replay(self.settings, locations, spidercls, index_file=index_file)

        crawler = self.crawler_process.create_crawler(site)   # public in every Scrapy newsbot supports

        def count_damage(spider):
            count_archive_damage(crawler.stats, damaged)
            crawler.stats.set_value("newsbot/reparse/archived_articles", len(urls))

        crawler.signals.connect(count_damage, signal=signals.spider_opened, weak=False)
        self.crawler_process.crawl(crawler, **{**opts.spargs, "urls": urls})
        try:
            self.crawler_process.start()
        finally:
            scratch.cleanup()
            if self.shard is not None and crawler.stats is not None:
                self.shard.stats_file.write_text(json.dumps(crawler.stats.get_stats(), default=str), encoding="utf-8")
        if self.crawler_process.bootstrap_failed:
            self.exitcode = exitcodes.ERROR
        if crawler.stats is not None:
            self.exitcode = exitcodes.primary_status(self.exitcode, crawler.stats.get_value(EXIT_STATUS_STAT, 0))
