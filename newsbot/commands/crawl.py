"""``scrapy crawl`` that exits non-zero when the crawl says something is wrong.

Scheduled runs (cron, systemd, Scrapyd) only see the exit status.  Any component can
ask for a failing status by setting the stat ``newsbot/exit_status`` (the highest wins);
the reasons are logged by whoever sets it.

Usage errors (an unknown spider or argument, a malformed URL, a ``REPLAY_WARC`` that is
missing or no WARC, an ``OUTPUT_DIR`` that cannot be written) end the command before
anything is written: one ``newsbot: error: ...`` line on stderr, exit status 2, no
traceback.  Spiders report bad arguments by raising :class:`scrapy.exceptions.UsageError`.

A run refused while the crawler is set up (:class:`newsbot.exitcodes.RunRefused`: another
run holds the lock, the state store is damaged, locked or unwritable) ends the same way,
with its own status (9, 10, 3).
"""

from __future__ import annotations

import io
import logging
import os
import sys
import zlib
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newsbot import exitcodes
from newsbot.exitcodes import EXIT_STATUS_STAT, RunRefused

logger = logging.getLogger(__name__)



def check_replay_source(location: str) -> None:
    """A ``REPLAY_WARC`` that does not exist or holds no WARC is a usage error, found now."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    from newsbot.warc.scan import ArchiveError, first_record_start, warc_paths

    try:
        paths = warc_paths(location)
    except ArchiveError as exc:
        raise UsageError(f"REPLAY_WARC: {exc}") from None
    for path in paths:
        try:
            # the first record's start only (64 KiB, inflated within that): a hostile first
            # record (a gzip bomb, a header line of a gigabyte) costs nothing here
            first = next(iter(ArchiveIterator(io.BytesIO(first_record_start(path)))), None)
        except (ArchiveLoadFailed, OSError, ValueError, EOFError, zlib.error) as exc:
            raise UsageError(f"REPLAY_WARC: {path} is not a readable WARC file ({exc})".replace("\n", " ")) from None
        # warcio reads anything line-based as the older ARC format: only WARC is an archive here.
        if first is None or not first.format.startswith("warc"):
            raise UsageError(f"REPLAY_WARC: {path} is not a WARC file (no WARC record at its start)")


def check_output_dir(location: str) -> None:
    """``OUTPUT_DIR`` must be (or be creatable as) a directory this process can write."""
    path = Path(location).absolute()
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"OUTPUT_DIR {location}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"OUTPUT_DIR {location}: {existing} is not writable")


def prepare_log_file(settings) -> None:
    """Create ``LOG_FILE``'s folder (``-s LOG_FILE=logs/gginews.log`` on a fresh machine):
    Scrapy opens the file when it sets up logging, which comes before any crawl, and
    would stop with a traceback on a missing folder."""
    log_file = settings.get("LOG_FILE")
    if not log_file:
        return
    folder = Path(log_file).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"LOG_FILE {log_file}: cannot create {folder} ({exc.strerror or exc})") from None


class Command(ScrapyCrawlCommand):
    def add_options(self, parser) -> None:
        super().add_options(parser)
        own_usage_errors(parser)

    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        prepare_log_file(self.settings)   # before Scrapy opens it

    def run(self, args, opts) -> None:
        try:
            refuse_stray_options(args)
        except UsageError as exc:
            return self.usage_failed(str(exc))
        if len(args) != 1:
            return super().run(args, opts)
        try:
            self.preflight(args[0])
            # A spider's or add-on's update_settings may refuse the settings (a missing
            # Chromium for browser pages: newsbot/browser.py): still before anything is written.
            # (CrawlerProcess.create_crawler: public in every Scrapy newsbot supports.)
            crawler = self.crawler_process.create_crawler(args[0])
        except UsageError as exc:
            return self.usage_failed(str(exc))
        self._usage_error: str | None = None
        self._refused: RunRefused | None = None
        crawling = self.crawler_process.crawl(crawler, **opts.spargs)
        if hasattr(crawling, "addErrback"):  # a Deferred (Twisted reactor without asyncio)
            crawling.addErrback(self._catch_usage_error)
        else:  # an asyncio Task
            crawling.add_done_callback(self._catch_usage_error_task)
        self.crawler_process.start()
        if self._usage_error is not None:
            return self.usage_failed(self._usage_error)
        if self._refused is not None:
            return fail_usage(self, str(self._refused), self._refused.exit_status)
        if self.crawler_process.bootstrap_failed:
            self.exitcode = exitcodes.ERROR
        try:
            stats = crawler.stats
        except RuntimeError:  # Scrapy 2.19: the crawl never started (bootstrap failed)
            stats = None
        if stats is not None:
            self.exitcode = exitcodes.primary_status(self.exitcode, stats.get_value(EXIT_STATUS_STAT, 0))

    def preflight(self, spider_name: str) -> None:
        """What can be checked before the crawl starts (and writes anything).  ``scrapy
        crawlall`` runs it before each outlet's crawl (newsbot/commands/crawlall.py)."""
        self.check_spider_name(spider_name)
        if self.settings.get("REPLAY_WARC"):
            check_replay_source(self.settings.get("REPLAY_WARC"))
        check_output_dir(self.settings.get("OUTPUT_DIR") or "output")
        from newsbot.warc.requisites import requisites_mode

        requisites_mode(self.settings)   # REQUISITES names a known mode
        from newsbot.extensions.manifest import check_run_id

        check_run_id(self.settings)   # NEWSBOT_RUN_ID, if given, is one
        if self.settings.get("REDIS_URL"):  # a cluster worker: its Redis must answer (docs/cluster.md)
            from newsbot.distributed import check_cluster_settings

            check_cluster_settings(self.settings)

    def check_spider_name(self, spider_name: str) -> None:
        known = self.crawler_process.spider_loader.list()
        if spider_name not in known:
            raise UsageError(f"unknown spider {spider_name!r} (known: {', '.join(sorted(known))})")

    def _catch_usage_error(self, failure):
        # A spider's __init__ rejecting its arguments: reported once, below, as a usage error.
        if failure.check(UsageError):
            self._usage_error = str(failure.value)
            return None
        if failure.check(RunRefused):
            self._refused = failure.value
            return None
        return failure

    def _catch_usage_error_task(self, task) -> None:
        exc = None if task.cancelled() else task.exception()  # retrieved: asyncio logs nothing more
        if isinstance(exc, UsageError):
            self._usage_error = str(exc)
        elif isinstance(exc, RunRefused):
            self._refused = exc
        elif exc is not None:
            # Retrieving the exception silenced asyncio's own report: say it here, whole,
            # since an unexpected startup failure is a bug someone must be able to read.
            logger.critical("The crawl could not start: %r", exc, exc_info=exc)
            self.exitcode = exitcodes.ERROR

    def usage_failed(self, message: str) -> None:
        fail_usage(self, message)


def fail_usage(command, message: str, status: int = exitcodes.USAGE) -> None:
    """One ``newsbot: error: ...`` line, exit status 2 (or ``status``): how every newsbot
    command refuses its input or a run it cannot start."""
    sys.stderr.write(f"newsbot: error: {message}\n")
    sys.stderr.flush()
    command.exitcode = status


def own_usage_errors(parser) -> None:
    """What Scrapy and argparse refuse (an unknown or malformed option, ``-s`` without ``=``,
    a ``UsageError`` raised by a command) said as newsbot says it: one ``newsbot: error: ...``
    line, exit status 2 (argparse would print the usage and ``scrapy <command>: error:``).
    Every newsbot command calls this from ``add_options``; ``-h`` still prints the help."""

    def error(message: str):
        sys.stderr.write(f"newsbot: error: {message}\n")
        sys.stderr.flush()
        sys.exit(exitcodes.USAGE)

    parser.error = error


def refuse_stray_options(args: list[str]) -> None:
    """Scrapy leaves options it does not know among the arguments: name them as options."""
    stray = [a for a in args if a.startswith("-") and a != "-"]
    if stray:
        raise UsageError(f"unknown option(s): {' '.join(stray)} (-h lists the options)")
