"""``scrapy crawl`` that exits non-zero when the crawl says something is wrong.

Scheduled runs (cron, systemd, Scrapyd) only see the exit status.  Any component can
ask for a failing status by setting the stat ``newsbot/exit_status`` (the highest wins);
the reasons are logged by whoever sets it.
"""

from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

EXIT_STATUS_STAT = "newsbot/exit_status"


def request_exit_status(stats, status: int) -> None:
    """Ask for the process to exit with at least ``status``."""
    stats.max_value(EXIT_STATUS_STAT, status)


class Command(ScrapyCrawlCommand):
    def run(self, args, opts) -> None:
        if len(args) != 1:
            return super().run(args, opts)
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        if crawler.stats is not None:
            self.exitcode = max(self.exitcode, crawler.stats.get_value(EXIT_STATUS_STAT, 0))
