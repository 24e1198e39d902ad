"""Exit statuses of newsbot's commands: all a scheduler (cron, systemd, Scrapyd's wrappers) sees.

The bottom of the import graph: any component may ask for a failing status, and nothing
here imports the rest of newsbot.  A component asks with :func:`request_exit_status`
(the stat ``newsbot/exit_status``); the crawl report names the cause in its ``problems``
and the crawl command exits with it.  docs/scheduling.md documents the table.
"""

from __future__ import annotations

#: the run did its job
OK = 0
#: an unexpected error (a bug): the log holds the traceback
ERROR = 1
#: the command line or settings were refused; nothing was written
USAGE = 2
#: a write failed (disk full, quota, unwritable output): the run stopped, files stay whole
STORAGE = 3
#: the run finished, yet list pages showed no article: the list layout or the site changed
NO_ARTICLES = 4
#: too many recorded articles have extraction warnings: the article layout changed
EXTRACTION_WARNINGS = 5
#: the site could not be reached (DNS, connection refused, timeouts on every list page)
UNREACHABLE = 6
#: robots.txt shuts the crawler out (or could not be read: RFC 9309 says disallow)
ROBOTS_BLOCKED = 7
#: articles were found, but none could be recorded (every one failed or held no article)
NOTHING_RECORDED = 8
#: another run of the same spider holds the output folder's lock
LOCKED = 9
#: the state store could not be opened (corrupt, unreadable, locked): nothing was crawled
STATE_UNUSABLE = 10
#: ``scrapy crawlall``: at least one outlet's crawl ended with a non-zero status (or never
#: started); its combined report names each one with its own status and cause
SOME_OUTLETS_FAILED = 11

#: the stat components set to ask for a failing status (the highest wins)
EXIT_STATUS_STAT = "newsbot/exit_status"
#: stats under this prefix are the run's problems: ``<prefix>/<cause>`` -> {message, exit_status}
PROBLEM_STAT_PREFIX = "newsbot/problems/"


def request_exit_status(stats, status: int) -> None:
    """Ask for the process to exit with at least ``status``."""
    stats.max_value(EXIT_STATUS_STAT, status)


def report_problem(stats, cause: str, message: str, status: int) -> None:
    """A problem the crawl report must name (one per ``cause``: the first message stays),
    and the exit status it asks for.  ``cause`` is a short stable word (``robots_blocked``)
    a scheduler or consumer may match on; ``message`` is the one line a person reads."""
    key = PROBLEM_STAT_PREFIX + cause
    if stats.get_value(key) is None:
        stats.set_value(key, {"message": message, "exit_status": status})
    request_exit_status(stats, status)
