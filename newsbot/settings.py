"""newsbot's Scrapy settings.  Override any of them with ``-s NAME=VALUE``.

Politeness first: these are small regional servers.  The one thing every deployment
should set is ``NEWSBOT_CONTACT`` (or ``USER_AGENT`` outright), so an outlet's admin
can reach whoever runs the crawler.
"""

import os

BOT_NAME = "newsbot"
SPIDER_MODULES = ["newsbot.spiders"]
NEWSPIDER_MODULE = "newsbot.spiders"
COMMANDS_MODULE = "newsbot.commands"

# -- identity and politeness ---------------------------------------------------
NEWSBOT_CONTACT = os.environ.get("NEWSBOT_CONTACT", "+https://github.com/newsbot-archive/newsbot")
USER_AGENT = f"newsbot/0.1 ({NEWSBOT_CONTACT})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Enforces the per-host limit above even with no download delay (newsbot/downloader.py).
DOWNLOADER = "newsbot.downloader.PoliteDownloader"
# Scrapy starts this many asyncio tasks for every callback's output (default 100: 0.55 ms
# per response, a fifth of a bare fetch); a callback here yields one article or one list
# page's links, and the pipelines are synchronous (docs/performance.md).
CONCURRENT_ITEMS = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5",
}
DOWNLOAD_TIMEOUT = 60
RETRY_TIMES = 3
# Article pages are well under 1 MB (images have their own caps, REQUISITES_*): a page past the cap is a
# broken server (newsbot/faults/, docs/faults.md), cancelled with a warning naming the URL.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# -- faults (newsbot/faults/, docs/faults.md) -------------------------------------
RETRY_AFTER_MAX = 60             # seconds: the longest Retry-After newsbot waits before a retry
FAULTS_RETRY_RUNS = 5            # runs that retry a failed article before giving up on it
# newsbot.faults logs one "Fault <kind> on <url>" line per give-up; Scrapy's own is debug.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"

# -- nothing listens -------------------------------------------------------------
# An unattended archiver opens no control port: the telnet console and Scrapy 2.19's
# RemoteControl extension (which executes code sent to it) are both off.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# -- output ----------------------------------------------------------------------
OUTPUT_DIR = os.environ.get("NEWSBOT_OUTPUT_DIR", "output")
WARC_ENABLED = True
WARC_MAX_SIZE = 1024**3          # roll over to a new .warc.gz after 1 GB
JSONL_MAX_SIZE = 128 * 1024**2   # start a new .jsonl after 128 MB (0: one file per run)
JSONL_DIR = "jsonl"              # under OUTPUT_DIR/<site>/; scrapy reparse writes reparse/jsonl (docs/archive.md)
LATEST_ENABLED = True            # keep OUTPUT_DIR/<site>/latest.sqlite3 + latest.jsonl (docs/records.md)
LATEST_EXPORT_JSONL = True       # rewrite latest.jsonl at the end of the run (off in re-parse shards: the parent does it once)
WARC_COMPRESS_LEVEL = 3          # zlib level per record: half level 6's CPU, ~10% larger (docs/performance.md)
WARC_REVISITS = True             # an unchanged payload is a revisit record (warc/digests.sqlite3)
WARC_CDXJ = True                 # a CDXJ index beside each finished .warc.gz
REPLAY_WARC = None               # a .warc.gz or a folder: answer every request from it
# Page requisites archived with every article page (newsbot/warc/requisites.py, docs/archive.md):
# "none", "images" (its photos and og:image) or "images+css" (also its stylesheets, their
# @imports, fonts and background images from the same site).
REQUISITES = "images+css"
REQUISITES_MAXSIZE = 8 * 1024 * 1024        # bytes per image; larger ones are cancelled and counted
REQUISITES_STYLE_MAXSIZE = 4 * 1024 * 1024  # bytes per stylesheet or font

ADDONS = {"newsbot.addon.NewsbotAddon": 0}

# Scrapy's HTTP/1.1 handler, also keeping the status line's reason phrase for the WARC.
# (REPLAY_WARC swaps in the replay handler: see newsbot/addon.py.)
DOWNLOAD_HANDLERS = {
    "http": "newsbot.warc.handler.WireHTTP11DownloadHandler",
    "https": "newsbot.warc.handler.WireHTTP11DownloadHandler",
}

# -- pages that need a browser (newsbot/browser/, docs/browser.md) ------------------
# Off unless a spider opts in (browser_pages) or -s BROWSER_ENABLED=1; -s BROWSER_ENABLED=0
# wins over a spider.  scrapy-playwright needs the asyncio reactor (Scrapy's default, said
# here because plain and browser requests share it in one crawl).
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
BROWSER_ENABLED = False
BROWSER_EXECUTABLE = None        # default: chromium / chromium-browser / google-chrome on PATH
BROWSER_TIMEOUT = 30             # seconds per page: navigation, "더보기" clicks, bodies
BROWSER_WAIT_UNTIL = "networkidle"
BROWSER_MAX_MORE_CLICKS = 20

DOWNLOADER_MIDDLEWARES = {
    # An article recorded while its request waited in the queue is not fetched (newsbot/state/middleware.py).
    "newsbot.state.middleware.SkipRecordedMiddleware": 50,
    # Browser requests: archives what the browser received and rendered (above the capture).
    "newsbot.browser.middleware.BrowserMiddleware": 960,
    # Next to the downloader: sees bodies before HttpCompressionMiddleware (590) decodes them.
    "newsbot.warc.capture.WarcCaptureMiddleware": 950,
    # Faults (newsbot/faults/downloader.py): loops before RedirectMiddleware (600), Retry-After
    # in place of Scrapy's RetryMiddleware, and the final word on what retrying gave up on.
    "newsbot.faults.downloader.RedirectLoopMiddleware": 610,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsbot.faults.downloader.RetryAfterMiddleware": 550,
    "newsbot.faults.downloader.FaultMiddleware": 540,
    # Requests and redirects stay on the outlet's origins: scheme, host and port (newsbot/offsite.py)
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "newsbot.offsite.OriginOffsiteMiddleware": 50,
    # robots.txt by RFC 9309: one fetch; 4xx allows, 5xx/unreachable disallows the host (newsbot/faults/robots.py)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newsbot.faults.robots.Rfc9309RobotsTxtMiddleware": 100,
    # robots.txt of a requisite's host (a photo CDN) passes the origin check (50), so it is read and obeyed
    "newsbot.warc.requisites.RequisiteRobotsMiddleware": 45,
}

SPIDER_MIDDLEWARES = {
    # A WARC metadata record (outlinks, extraction summary) per article: newsbot/warc/metadata.py
    "newsbot.warc.metadata.WarcMetadataMiddleware": 950,
    # Articles that failed in earlier runs go first among the start requests.
    "newsbot.faults.spidermw.RetryFailedArticlesMiddleware": 900,
    # An article's photos, stylesheets and fonts (REQUISITES): newsbot/warc/requisites.py.
    # Above RefererMiddleware (700), so its requests carry the article as Referer (CDNs check it).
    "newsbot.warc.requisites.RequisitesMiddleware": 940,
}

ITEM_PIPELINES = {
    "newsbot.pipelines.canonical.CanonicalUrlPipeline": 100,
    "newsbot.pipelines.normalize.NormalizePipeline": 300,
    "newsbot.pipelines.daterange.DateRangePipeline": 310,
    "newsbot.faults.pipeline.NotAnArticlePipeline": 320,
    "newsbot.pipelines.identity.IdentityPipeline": 350,
    # new / updated (next version) / duplicate, by content digest against the state store
    "newsbot.pipelines.dedupe.DedupePipeline": 360,
    "newsbot.pipelines.warnings.ExtractionWarningsPipeline": 400,
    "newsbot.pipelines.enrich.EnrichPipeline": 450,            # regions, topics, schema_version
    "newsbot.pipelines.jsonlines.JsonLinesPipeline": 800,
    "newsbot.pipelines.latest.LatestViewPipeline": 850,        # OUTPUT_DIR/<site>/latest.{sqlite3,jsonl}
    "newsbot.pipelines.state.RecordedStatePipeline": 900,
}

EXTENSIONS = {
    # One run at a time per site and OUTPUT_DIR (and JOBDIR): taken first, before anything
    # writes; a second run is refused with exit status 9 (newsbot/runlock.py)
    "newsbot.runlock.CrawlLock": -100,
    # The crawl's state store (NEWSBOT_STATE_STORE), shared by spider, pipelines, middlewares
    "newsbot.state.CrawlState": 0,
    # The crawl's WARC writer, shared by everything that archives (newsbot/warc/archive.py)
    "newsbot.warc.archive.WarcArchive": 0,
    # Each fault logged once per URL and kind (newsbot/faults/__init__.py)
    "newsbot.faults.FaultLog": 0,
    # A write error (disk full) surfacing as an item error stops the run: newsbot/faults/storage.py
    "newsbot.faults.storage.StorageGuard": 0,
    # No Public Suffix List download at run time (Scrapy's cookies via tldextract): newsbot/faults/offline.py
    "newsbot.faults.offline.OfflineSuffixList": 0,
    # What became of every article seen (new, failed by reason, ...): newsbot/extensions/accounting.py
    "newsbot.extensions.accounting.ArticleAccounts": 0,
    # The run's id and the files it finished (its manifest, in the report): newsbot/extensions/manifest.py
    "newsbot.extensions.manifest.RunManifest": 0,
    # End-of-run report (terminal + JSON), exit status: newsbot/extensions/report.py.  After
    # WarcArchive (0): the report's manifest lists the WARC file closed at spider_closed.
    "newsbot.extensions.report.CrawlReport": 10,
    # One progress line every LOGSTATS_INTERVAL seconds, in place of Scrapy's LogStats line
    "scrapy.extensions.logstats.LogStats": None,
    "newsbot.extensions.progress.ProgressLog": 0,
    # JOBDIR after a kill -9: discard the unsaved queue instead of failing on it (newsbot/state/jobdir.py)
    "newsbot.state.jobdir.JobdirGuard": 20,
}

# -- incremental runs, backfills, resume, report (docs/scheduling.md) ----------------
# Where the crawl state lives, chosen as Scrapy chooses its scheduler (a class built with
# from_crawler): SQLite under OUTPUT_DIR/<site>/; a cluster (REDIS_URL) sets the Redis store.
NEWSBOT_STATE_STORE = "newsbot.state.sqlite.SqliteStateStore"
NEWSBOT_INCREMENTAL = True       # stop paging once list pages hold nothing new
NEWSBOT_OVERLAP_PAGES = 1        # ... after this many more pages with nothing new
NEWSBOT_RECHECK_DAYS = 2         # re-fetch recorded articles this recent (edits become new versions)
NEWSBOT_RECHECK_AFTER_HOURS = 12  # ... at most this often
# The state store decides what a resumed run still needs; Scrapy's JOBDIR/requests.seen
# could mark as seen requests that a kill -9 lost from the queue (newsbot/state/dupefilter.py).
DUPEFILTER_CLASS = "newsbot.state.dupefilter.RunDupeFilter"
NEWSBOT_REPORT_ENABLED = True
LOGSTATS_INTERVAL = 60.0          # seconds between progress lines (newsbot/extensions/progress.py)
NEWSBOT_RUN_ID = None             # this run's id (report, manifest, warcinfo); None: <UTC start>-<8 hex>
NEWSBOT_MAX_WARNING_SHARE = 0.25  # exit 5 when more items than this share have extraction warnings
NEWSBOT_WARNING_MIN_ITEMS = 10    # ... judged from this many recorded items on (or all of 2+ broken)
NEWSBOT_LAYER_DRIFT_SHARE = 0.5   # report article layout drift when later layers give a field this often
NEWSBOT_EXPECT_ARTICLES = True    # exit 4 when list pages showed no article at all
NEWSBOT_RUN_LOCK = True           # one run per site and OUTPUT_DIR (not in a cluster): newsbot/runlock.py
NEWSBOT_MIN_FREE_MB = 50          # refuse to start (exit 3) with less free space where the run writes
NEWSBOT_STATE_CHECK = "integrity_check"  # SQLite's check of state.sqlite3 at start ("quick_check", "" = none)
NEWSBOT_STATE_LOCK_TIMEOUT = 30   # seconds to wait for a state store another process has locked
# A list walk (per start URL, per run) ends at a page that repeats an earlier one (a CMS
# answering past its end with its last page) or has no article links; this bound is the
# last resort, reported (exit 12): 5,000 pages are ~10 years of a busy regional outlet.
NEWSBOT_MAX_LIST_PAGES = 5000

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# -- many outlets in one process (scrapy crawlall, docs/scheduling.md) ----------------
CRAWLALL_CONCURRENT_OUTLETS = 8  # outlets crawled at once; the next starts as one finishes

# -- past one machine (newsbot/distributed/, docs/cluster.md) -------------------------
# The switch to a scrapy-redis cluster. From the environment too, so a password in the URL
# need not be on the command line (where `ps` shows it); -s REDIS_URL=... still wins.
REDIS_URL = os.environ.get("NEWSBOT_REDIS_URL") or None
