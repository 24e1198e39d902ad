"""``scrapy reparse --processes N``: the archive read once, its articles re-parsed by N children.

One process re-parses ~250 articles/s (extraction and pipelines are ~3-4 ms of CPU per
article in one thread), so a machine with more cores re-parses in shards.  The parent:

1. forks the N children first, once it has imported Scrapy, the spider and the crawl's
   components (the children inherit them: no second ~0.7 s of imports each, on cores the
   parent needs for reading the archive); each child goes on as ``scrapy reparse`` does,
   builds its own reactor and crawler, and waits for its shard;
2. reads the archive into an :class:`~newsbot.warc.index.ArchiveIndex`, lists its article
   URLs, one per canonical URL (``article_urls``), and saves the index to a file the
   children open read-only, so no child inflates the archive again;
3. deals the URLs round-robin into N shards: disjoint (an article is in exactly one), of
   equal size, each a sample of the whole archive, so they finish together; each child
   writes its own JSON Lines file (names are unique per process) and report, and all
   upsert into the one latest view (SQLite in WAL mode, a busy timeout for the moments
   two write at once);
4. passes Ctrl-C/SIGTERM on to every child (they run in their own session, so a terminal's
   Ctrl-C reaches them once, through the parent: a second one forces them, as in Scrapy);
5. waits, names every child that failed in one line, logs the children's stats summed and
   a one-line summary, exports ``latest.jsonl`` once (the children do not: the view is
   site-wide, and only an export after every shard is complete), and returns the worst
   child's exit status.

The fork happens in the command's ``process_options``, before Scrapy creates the crawler
process: no reactor, event loop, log handler, thread or database exists yet to be shared.
"""

from __future__ import annotations

import json
import logging
import os
import pprint
import signal
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

from newsbot import exitcodes
from newsbot.exitcodes import EXIT_STATUS_STAT
from newsbot.latest import LatestView
from newsbot.output import site_dir
from newsbot.warc.index import ArchiveIndex

logger = logging.getLogger(__name__)

#: the exit status of a child that died of a signal (as of one that crashed)
EXIT_CHILD_KILLED = exitcodes.ERROR
#: stats where the children's values are not added up
_MAX_STATS = frozenset({"elapsed_time_seconds", "memusage/max", "memusage/startup"})


#: by default, a shard per this many articles at most: a child's start-up (~0.3 s) and
#: the saved index are worth ~200 articles of re-parsing, and a small archive is judged as one (the crawl
#: report's warning share, exit status 5, is per process)
DEFAULT_MIN_SHARD_ARTICLES = 200


def default_processes(articles: int) -> int:
    return max(1, min(usable_cpus(), articles // DEFAULT_MIN_SHARD_ARTICLES))


def usable_cpus() -> int:
    """CPUs this process may run on (a container's or taskset's limit, not the machine's)."""
    return len(os.sched_getaffinity(0))


def deal_shards(urls: list[str], processes: int) -> list[list[str]]:
    """Round robin: disjoint shards of equal size, each spread over the whole archive."""
    return [urls[number::processes] for number in range(processes)]


def combine_stats(shard_stats: list[dict]) -> dict:
    """The children's stats as one crawl's: counts added, times and maxima kept as such."""
    combined: dict = {}
    for stats in shard_stats:
        for name, value in stats.items():
            if name not in combined:
                combined[name] = value
            elif name == "start_time":
                combined[name] = min(combined[name], value)
            elif name == EXIT_STATUS_STAT:   # the primary cause among the shards'
                combined[name] = exitcodes.primary_status(combined[name], value)
            elif name == "finish_time" or name in _MAX_STATS:
                combined[name] = max(combined[name], value)
            elif _is_count(value) and _is_count(combined[name]):
                combined[name] += value
            elif value != combined[name]:   # e.g. finish_reason: one finished, one shut down
                combined[name] = ", ".join(sorted({*str(combined[name]).split(", "), str(value)}))
    return dict(sorted(combined.items()))


def _is_count(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _describe_exit(returncode: int) -> str:
    if returncode < 0:
        return f"was killed by signal {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


class Interrupted(Exception):
    """Ctrl-C or SIGTERM before the shards were handed out: nothing was written."""


@dataclass(frozen=True)
class ShardAssignment:
    """What a forked child is to re-parse: where its shard's URLs will appear, the parent's
    saved index, where its stats go, and the parent (gone: the child exits)."""

    number: int
    urls_file: Path
    index_file: Path
    stats_file: Path
    parent: int


class ForkedChild:
    """A forked child, with the part of :class:`subprocess.Popen`'s interface used here
    (``returncode`` negative when a signal ended it)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        while self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
            except InterruptedError:   # a signal handler ran (PEP 475 retries, but be explicit)
                continue
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ShardProcesses:
    """N forked children (see the module docstring).  :meth:`start` returns this in the
    parent and a :class:`ShardAssignment` in each child; :meth:`run` hands out the shards,
    :meth:`close` stops the children that got none (always call it)."""

    @classmethod
    def start(cls, count: int, site: str) -> ShardProcesses | ShardAssignment:
        directory = Path(tempfile.mkdtemp(prefix="newsbot-reparse-"))   # removed by the parent's close()
        index_file = directory / "archive-index.sqlite3"
        parent = os.getpid()
        children = []
        for number in range(count):
            assignment = ShardAssignment(number, directory / f"shard-{number}.urls", index_file,
                                         directory / f"shard-{number}.stats.json", parent)
            sys.stdout.flush()   # nothing buffered is written twice
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                os.setsid()   # a terminal's Ctrl-C reaches the parent only
                return assignment
            children.append(ForkedChild(pid))
        return cls(site, directory, index_file, children)

    def __init__(self, site: str, directory: Path, index_file: Path, children: list[ForkedChild]):
        self.site = site
        self.directory = directory
        self.index_file = index_file
        self.children = children
        self.urls_files = [directory / f"shard-{number}.urls" for number in range(len(children))]
        self.stats_files = [directory / f"shard-{number}.stats.json" for number in range(len(children))]
        self.working: list[ForkedChild] = []   # the children handed a shard
        self._previous_handlers = {signum: signal.signal(signum, self._on_signal)
                                   for signum in (signal.SIGINT, signal.SIGTERM)}

    def _on_signal(self, signum, _frame) -> None:
        if not self.working:
            # Still reading the archive, nothing written: stop (close() ends the waiting children).
            raise Interrupted(signal.Signals(signum).name)
        logger.warning("Received %s: passing it on to %d re-parse processes",
                       signal.Signals(signum).name, len(self.working))
        for child in self.working:
            if child.returncode is None:
                try:
                    child.send_signal(signum)
                except ProcessLookupError:   # exited since: nothing to stop
                    pass

    def close(self) -> None:
        for child in self.children:
            if child.poll() is None:   # never handed a shard: it has written nothing
                child.kill()
                child.wait()
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        shutil.rmtree(self.directory, ignore_errors=True)

    def run(self, index: ArchiveIndex, urls: list[str], processes: int, settings, damage: list) -> int:
        """Re-parse ``urls`` in ``processes`` of the children; returns the command's exit status."""
        started = time.monotonic()
        for spare in self.children[processes:]:
            spare.kill()
            spare.wait()
        children = self.children[:processes]
        shards = deal_shards(urls, processes)
        latest_path = site_dir(settings, self.site) / "latest.sqlite3"
        if settings.getbool("LATEST_ENABLED", True):
            # WAL mode switched on now, before N processes open the file at the same moment.
            LatestView(latest_path).close()
        index.save(self.index_file)
        index.close()
        for urls_file, shard in zip(self.urls_files, shards):
            # Renamed into place: a child sees the whole list or none.
            partial = urls_file.with_suffix(".partial")
            partial.write_text("\n".join(shard) + "\n", encoding="utf-8")
            os.replace(partial, urls_file)
        self.working = children
        logger.info("Re-parsing %d articles of %s in %d processes (pids %s), %s articles each",
                    len(urls), self.site, processes, ", ".join(str(c.pid) for c in children),
                    "/".join(str(len(s)) for s in shards))
        returncodes = [child.wait() for child in children]   # signals meanwhile: _on_signal
        shard_stats = [json.loads(f.read_text(encoding="utf-8")) for f in self.stats_files if f.exists()]

        worst = 0
        for number, (child, returncode) in enumerate(zip(children, returncodes)):
            if returncode != 0:
                logger.error("Re-parse shard %d/%d (%d articles, pid %d) %s", number + 1, processes,
                             len(shards[number]), child.pid, _describe_exit(returncode))
            worst = exitcodes.primary_status(worst, EXIT_CHILD_KILLED if returncode < 0 else returncode)

        stats = combine_stats(shard_stats)
        stats["newsbot/reparse/processes"] = processes
        # what this process found reading the archive, added to what the shards found reading records
        if damage:
            stats["newsbot/archive_damage"] = stats.get("newsbot/archive_damage", 0) + len(damage)
            oversized = sum(d.oversized for d in damage)
            if oversized:
                stats["newsbot/archive_oversized"] = stats.get("newsbot/archive_oversized", 0) + oversized
        if stats.get("newsbot/latest/upserts"):  # the view is on, and a shard wrote to it
            # The children leave latest.jsonl alone (LATEST_EXPORT_JSONL off): exported once, complete.
            view = LatestView(latest_path)
            try:
                stats["newsbot/latest/articles"] = view.export_jsonl(latest_path.with_name("latest.jsonl"))
            finally:
                view.close()
        logger.info("Dumping Scrapy stats: the sum of %d re-parse processes\n%s", processes, pprint.pformat(stats))
        written = stats.get("newsbot/items_written", 0)
        log = logger.info if worst == 0 and written == len(urls) else logger.warning
        log("Re-parse of %s: %d of %d archived articles written in %.1f s by %d processes (%d failed); "
            "exit status %d", self.site, written, len(urls), time.monotonic() - started, processes,
            stats.get("newsbot/articles_failed", 0), worst)
        return worst


#: the settings naming the classes a crawl instantiates
_COMPONENT_SETTINGS = ("ADDONS", "EXTENSIONS", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "ITEM_PIPELINES")


def import_components(settings) -> None:
    """Import (not create) the components the crawl will load: in the parent before it forks
    the children, so that they inherit them (~0.5 s of imports each)."""
    for name in _COMPONENT_SETTINGS:
        for component in build_component_list(settings.getwithbase(name)):
            if isinstance(component, str):
                load_object(component)


def wait_for_shard(urls_file: Path, parent: int) -> None:
    """In a child: until the parent has written this shard's URLs (exit if the parent died)."""
    while not urls_file.exists():
        if os.getppid() != parent:
            raise SystemExit(1)
        time.sleep(0.01)
