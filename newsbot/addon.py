"""Settings that depend on other settings, applied after the command line is read.

A Scrapy add-on (``ADDONS`` in settings) is the documented place for this: it sees
``-s`` overrides, which ``settings.py`` cannot.
"""

from __future__ import annotations

REPLAY_HANDLER = "newsbot.warc.replay.ReplayDownloadHandler"
REPLAY_ARCHIVE = "newsbot.warc.replay.ReplayArchive"


class NewsbotAddon:
    def update_settings(self, settings) -> None:
        if settings.get("REPLAY_WARC"):
            # Offline: every request is answered from the archive; politeness delays are moot.
            # "spider" priority: above settings.py's and a spider's own handlers (replay means
            # nothing goes out), still below the command line's -s.
            settings.set("DOWNLOAD_HANDLERS", {"http": REPLAY_HANDLER, "https": REPLAY_HANDLER}, priority="spider")
            settings.set_in_component_priority_dict("EXTENSIONS", REPLAY_ARCHIVE, 0)
            # "spider" priority: above settings.py, still below the command line's -s.
            settings.set("AUTOTHROTTLE_ENABLED", False, priority="spider")
            settings.set("DOWNLOAD_DELAY", 0, priority="spider")
        elif settings.getbool("BROWSER_ENABLED"):
            # A spider opted in to rendering (or -s BROWSER_ENABLED=1): scrapy-playwright's
            # handler, with the handler above as its fallback for plain requests.
            from newsbot.browser import configure as configure_browser

            configure_browser(settings)
        if settings.get("REDIS_URL"):
            # The one switch to N workers on a shared Redis: newsbot/distributed/, docs/cluster.md
            from newsbot.distributed import configure as configure_cluster

            configure_cluster(settings)
