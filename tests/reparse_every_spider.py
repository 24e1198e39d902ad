"""Test helper: re-parse one archive per CMS with every spider of that CMS, in one process.

``python -m tests.reparse_every_spider OUTPUT_DIR ARCHIVES_JSON RESULT_JSON`` where
ARCHIVES_JSON maps a CMS name to a WARC folder.  Each spider's re-parse is set up as
``scrapy reparse <spider> <folder>`` sets it up (``configure_replay``, ``article_urls``),
with ``-a base_url`` set to the archive's host, all in one reactor (65 outlet spiders share
5 CMSes: a process each would take minutes);
RESULT_JSON gets each spider's exit status stat and article count.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.project import get_project_settings

from newsbot.exitcodes import EXIT_STATUS_STAT
from newsbot.reparse import article_urls, configure_replay
from newsbot.warc.index import ArchiveIndex


def main(output_dir: str, archives_json: str, result_json: str) -> None:
    archives = json.loads(archives_json)
    settings = get_project_settings()
    settings.set("OUTPUT_DIR", output_dir, priority="cmdline")
    settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = {}
    for name in process.spider_loader.list():
        spidercls = process.spider_loader.load(name)
        locations = [Path(archives[spidercls.cms])]
        crawler_settings = settings.copy()
        configure_replay(crawler_settings, locations, spidercls)
        index = ArchiveIndex(locations)
        urls = article_urls(index, spidercls)
        index.close()
        # the first crawler installs the reactor, as CrawlerProcess's own first crawler does
        crawlers[name] = (Crawler(spidercls, crawler_settings, init_reactor=not crawlers), len(urls))
        # -a base_url: the archive's host (an outlet whose host the registry has not confirmed needs it)
        base_url = "{0.scheme}://{0.netloc}".format(urlsplit(urls[0]))
        # the bare generic spider serves no outlet of its own: it is given one (-a site)
        arguments = {"site": name} if name == "generic" else {}
        process.crawl(crawlers[name][0], urls=urls, base_url=base_url, **arguments)
    process.start()
    results = {name: {"exit_status": crawler.stats.get_value(EXIT_STATUS_STAT, 0), "archived_articles": count,
                      "items_written": crawler.stats.get_value("newsbot/items_written", 0)}
               for name, (crawler, count) in crawlers.items()}
    Path(result_json).write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
