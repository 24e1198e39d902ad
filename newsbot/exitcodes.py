"""Exit statuses of newsbot's commands: all a scheduler (cron, systemd, Scrapyd's wrappers) sees.

The bottom of the import graph: any component may ask for a failing status, and nothing
here imports the rest of newsbot.  A component that finds a problem calls
:func:`report_problem` (a cause, one line for a person, a status); the crawl report lists
the problems and the crawl command exits with the status of the *primary* one.  A run
refused before it starts (another run holds the lock, the state store is unusable) raises
:class:`RunRefused`: one ``newsbot: error:`` line, its status, nothing written.
docs/scheduling.md documents the table and the precedence.
"""

from __future__ import annotations

#: the run did its job
OK = 0
#: an unexpected error (a bug): the log holds the traceback; also a run whose articles do
#: not add up (an article seen on a list page with no outcome: newsbot lost track of it)
ERROR = 1
#: the command line or settings were refused; nothing was written
USAGE = 2
#: a write failed (disk full, quota, unwritable output): the run stopped, files stay whole
STORAGE = 3
#: the run finished, yet list pages showed no article: the list layout or the site changed
NO_ARTICLES = 4
#: too many recorded articles have extraction warnings: the article layout changed
EXTRACTION_WARNINGS = 5
#: the site could not be reached (DNS, connection refused, timeouts or 5xx on every list page)
UNREACHABLE = 6
#: robots.txt shuts the crawler out (or could not be read: RFC 9309 says disallow)
ROBOTS_BLOCKED = 7
#: articles were found, but none could be recorded (every one failed or held no article)
NOTHING_RECORDED = 8
#: another run of the same spider holds the output folder's (or the JOBDIR's) lock
LOCKED = 9
#: the state store could not be opened (corrupt, unreadable, locked): nothing was crawled
STATE_UNUSABLE = 10
#: ``scrapy crawlall``: at least one outlet's crawl ended with a non-zero status (or never
#: started); its combined report names each one with its own status and cause
SOME_OUTLETS_FAILED = 11
#: a list walk was cut by the NEWSBOT_MAX_LIST_PAGES bound before it reached its end:
#: older list pages (and the articles on them) were not walked
LIST_WALK_CUT = 12
#: an article failed in ``FAULTS_RETRY_RUNS`` runs and is given up: later runs no longer retry it
GIVEN_UP = 13

#: When a run has several problems, the exit status is the first of these that occurred:
#: the cause an operator must fix first.  A run that could not start, or could not write,
#: says so before anything it saw on the site; a site that could not be reached, or that
#: robots.txt closed, is not reported as a changed layout (the layout was never seen); a
#: layout that shows no list is worse than articles that all failed, which is worse than
#: a walk cut short or articles given up (both lose articles), which are worse than
#: articles with gaps.  A bug (1) comes last: the run's own causes are what a scheduler's
#: operator can act on.
PRECEDENCE = (LOCKED, STATE_UNUSABLE, STORAGE, UNREACHABLE, ROBOTS_BLOCKED, NO_ARTICLES, NOTHING_RECORDED,
              LIST_WALK_CUT, GIVEN_UP, EXTRACTION_WARNINGS, SOME_OUTLETS_FAILED, USAGE, ERROR)

#: the stat holding the run's exit status: the primary cause's (see :data:`PRECEDENCE`)
EXIT_STATUS_STAT = "newsbot/exit_status"
#: stats under this prefix are the run's problems: ``<prefix>/<cause>`` -> {message, exit_status}
PROBLEM_STAT_PREFIX = "newsbot/problems/"


class RunRefused(Exception):
    """The run cannot start (raised while the crawler is set up, before anything is
    written): the crawl command prints ``newsbot: error: <message>`` and exits with
    ``exit_status``, without a traceback."""

    def __init__(self, message: str, exit_status: int):
        super().__init__(message)
        self.exit_status = exit_status


def precedence(status: int) -> tuple[int, int]:
    """Sort key: the primary cause first; unknown statuses after the known ones, by number."""
    return (PRECEDENCE.index(status), 0) if status in PRECEDENCE else (len(PRECEDENCE), status)


def primary_status(*statuses: int) -> int:
    """The status that names the primary cause among ``statuses`` (0 when none fails)."""
    failing = [s for s in statuses if s]
    return min(failing, key=precedence) if failing else OK


def request_exit_status(stats, status: int) -> None:
    """Ask for the process to exit with ``status`` unless a cause of higher precedence already did."""
    stats.set_value(EXIT_STATUS_STAT, primary_status(stats.get_value(EXIT_STATUS_STAT, 0), status))


def report_problem(stats, cause: str, message: str, status: int) -> None:
    """A problem the crawl report must name (one per ``cause``: the first message stays),
    and the exit status it asks for.  ``cause`` is a short stable word (``robots_blocked``)
    a scheduler or consumer may match on; ``message`` is the one line a person reads."""
    key = PROBLEM_STAT_PREFIX + cause
    if stats.get_value(key) is None:
        stats.set_value(key, {"message": message, "exit_status": status})
    request_exit_status(stats, status)


def problems(stats) -> list[dict]:
    """The problems reported so far, the primary cause first: ``[{cause, message, exit_status}]``."""
    found = [{"cause": key[len(PROBLEM_STAT_PREFIX):], **value}
             for key, value in sorted(stats.get_stats().items()) if key.startswith(PROBLEM_STAT_PREFIX)]
    return sorted(found, key=lambda problem: precedence(problem["exit_status"]))
