"""The run's id and manifest: which files this run finished, with their size and digest.

Every run gets an id, ``<UTC start>-<8 hex digits>`` (``20261122T014351Z-5f3a9c01``;
``-s NEWSBOT_RUN_ID=...`` sets one, e.g. a scheduler's own job id).  It is in the crawl
report (``run_id``), in the ``warcinfo`` record of every WARC file the run writes
(``newsbot-run-id``), and in the stats (``newsbot/run_id``).

The writers (JSON Lines, WARC and its CDXJ) tell this extension each file they finish;
the crawl report carries the list as ``files`` (and ``adopted_files``: files a killed
earlier run left unfinished, finished by this one): path relative to
``OUTPUT_DIR/<site>``, kind, records, bytes, SHA-256 (docs/records.md).
"""

from __future__ import annotations

import re
import secrets

from scrapy import signals
from scrapy.exceptions import UsageError

from newsbot.output import site_dir, site_of, utc_stamp
from newsbot.outputfile import FinishedFile

#: a run id a user may give: what is safe in a file, a URL query and a shell word
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
RUN_ID_STAT = "newsbot/run_id"


def new_run_id() -> str:
    return f"{utc_stamp()}-{secrets.token_hex(4)}"


def check_run_id(settings) -> str | None:
    """``NEWSBOT_RUN_ID`` as given (None: not given); a value that is no run id is a usage error."""
    given = settings.get("NEWSBOT_RUN_ID")
    if given and not RUN_ID.fullmatch(str(given)):
        raise UsageError(f"NEWSBOT_RUN_ID: not a run id (letters, digits and . _ : -, at most 100): {given!r}")
    return str(given) if given else None


class RunManifest:
    def __init__(self, crawler=None):
        self.crawler = crawler
        # checked before the crawl by the crawl command; here too for crawls started otherwise
        given = check_run_id(crawler.settings) if crawler is not None else None
        self.run_id: str = given or new_run_id()
        self.files: list[FinishedFile] = []
        self.adopted_files: list[FinishedFile] = []
        if crawler is not None:
            crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        self.crawler.stats.set_value(RUN_ID_STAT, self.run_id)

    def finished(self, file: FinishedFile) -> None:
        """A file this run wrote is finished (renamed to its final name)."""
        self.files.append(file)

    def adopted(self, file: FinishedFile) -> None:
        """A file an earlier, killed run left unfinished was finished by this run."""
        self.adopted_files.append(file)

    def report_fields(self) -> dict:
        """What the crawl report adds: ``run_id``, ``files``, ``adopted_files``."""
        base = site_dir(self.crawler.settings, site_of(self.crawler.spider))
        return {
            "run_id": self.run_id,
            "files": [f.entry(base) for f in self.files],
            "adopted_files": [f.entry(base) for f in self.adopted_files],
        }


def run_manifest(crawler) -> RunManifest:
    """The crawl's manifest; when the extension is off, a detached one nobody reads (so a
    writer need not check)."""
    return crawler.get_extension(RunManifest) or RunManifest()
