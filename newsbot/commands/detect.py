"""``scrapy detect URL [URL ...]``: which CMS is this outlet on, and its registry entry.

    scrapy detect https://www.example.kr/news/articleView.html?idxno=1
    scrapy detect URL1 URL2                      # an article and a list page say more than one
    scrapy detect --warc output/x/warc           # pages already archived (nothing is fetched)
    scrapy detect --warc FILE URL                # only these records of the archive

Fetches each page once, politely (robots.txt obeyed, newsbot's User-Agent, no archive
written), or reads it from a WARC, and judges the pages of each host together
(newsbot/detect.py): the CMS with its evidence (markup, URL shapes, generator tag), or
"unknown: use the generic spider", then the ``[[outlet]]`` table to add to the registry.

Exit status 0 when every page was read; 6 when a page could not be fetched, 7 when
robots.txt forbids it, 1 when a URL asked for is not in the WARC (as an HTML response);
2 for bad arguments.
"""

from __future__ import annotations

import gzip
import sys
import zlib
from datetime import date
from urllib.parse import urlsplit

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newsbot import exitcodes, registry
from newsbot.commands.crawl import fail_usage, own_usage_errors, refuse_stray_options
from newsbot.detect import Page, Verdict, judge, site_id_for
from newsbot.urls import is_http_url

#: pages read per host from a WARC: enough evidence, and a big archive stays quick
WARC_PAGES_PER_HOST = 20
#: what the fetch needs of newsbot's settings: Scrapy's own components, newsbot's User-Agent,
#: robots.txt and politeness; no archive, no pipelines, no state, no cluster
FETCH_SETTINGS = {
    "ITEM_PIPELINES": {},
    "SPIDER_MIDDLEWARES": {},
    "DOWNLOADER_MIDDLEWARES": {},
    "EXTENSIONS": {},
    "ADDONS": {},
    "DUPEFILTER_CLASS": "scrapy.dupefilters.RFPDupeFilter",
    "JOBDIR": None,
    "ROBOTSTXT_OBEY": True,
    "RETRY_TIMES": 1,  # a one-off look: one retry, not a crawl's patience
}


def _decoded(body: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return gzip.decompress(body)
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    return body


def pages_from_warc(location: str, wanted: list[str]) -> tuple[list[Page], list[str]]:
    """HTML pages of the archive (``wanted``: only these target URIs), at most
    WARC_PAGES_PER_HOST per host; and the wanted URIs the archive does not hold."""
    from newsbot.warc.scan import ArchiveError, iter_records

    pages: list[Page] = []
    per_host: dict[str, int] = {}
    found: set[str] = set()
    try:
        for _, _, _, record, payload in iter_records(location):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            if wanted and uri not in wanted:
                continue
            headers = record.http_headers
            if not (headers.get_statuscode() or "").startswith("2"):
                continue
            content_type = headers.get_header("Content-Type") or ""
            if "html" not in content_type.lower():
                continue
            host = urlsplit(uri).netloc
            if per_host.get(host, 0) >= WARC_PAGES_PER_HOST:
                continue
            try:
                body = _decoded(payload, headers.get_header("Content-Encoding") or "")
            except (OSError, zlib.error, EOFError):
                continue
            charset = content_type.lower().split("charset=")[1].split(";")[0].strip() if "charset=" in content_type.lower() else None
            pages.append(Page.from_bytes(uri, body, charset))
            per_host[host] = per_host.get(host, 0) + 1
            found.add(uri)
    except ArchiveError as exc:
        raise UsageError(f"--warc: {exc}") from None
    return pages, [url for url in wanted if url not in found]


def entry_for(verdict: Verdict, known: list[registry.Outlet]) -> tuple[registry.Outlet, dict[str, str]]:
    """The ``[[outlet]]`` table to add for a verdict, with comments on what to fill in."""
    first = urlsplit(verdict.urls[0])
    base_url = f"{first.scheme}://{first.netloc}"
    site = site_id_for(first.hostname or first.netloc)
    comments: dict[str, str] = {}
    same_host = [o for o in known if o.base_url and urlsplit(o.base_url).netloc == first.netloc]
    if same_host:
        comments["site"] = f"already in the registry as {same_host[0].site!r} ({same_host[0].name})"
    elif any(o.site == site for o in known):
        comments["site"] = "this id is taken in the registry: choose another"
    cms = verdict.cms or registry.GENERIC
    strongest = ", ".join(e.short() for e in verdict.evidence if e.cms == verdict.cms)
    evidence = (f"{verdict.urls[0]}: {cms} by scrapy detect on {date.today().isoformat()}"
                + (f" ({strongest})" if strongest else " (no known family's markup or URL shape)"),)
    if not verdict.site_name:
        comments["name"] = "the outlet's own name: fill in"
    comments["home_region"] = "the 시·도 (and 시·군·구) it reports on, as the gazetteer writes it: fill in"
    comments["verified"] = "true once host and CMS are confirmed (evidence says where)"
    if cms == "gnuboard":
        comments["board"] = "the board (bo_table) holding the articles" + ("" if verdict.board else ": fill in")
    outlet = registry.Outlet(
        site=site, name=verdict.site_name or "", base_url=base_url, cms=cms, home_region="",
        feeds=tuple(verdict.feeds), board=verdict.board or "" if cms == "gnuboard" else "",
        verified=False, evidence=evidence,
    )
    return outlet, comments


def render(verdict: Verdict, known: list[registry.Outlet], failures: list[str]) -> str:
    from newsbot.cms import CMS_NAMES

    host = urlsplit(verdict.urls[0]).netloc
    lines = [f"== {host} ({len(verdict.urls)} page(s): {', '.join(verdict.urls)})"]
    lines += [f"   not read: {failure}" for failure in failures]
    others = ", ".join(f"{cms} {score}" for cms, score in verdict.scores.items() if cms != verdict.cms) or "none"
    if verdict.known:
        letter = CMS_NAMES.get(verdict.cms)
        lines.append(f"family: {verdict.cms}{f' (family {letter})' if letter else ''}, "
                     f"score {verdict.scores[verdict.cms]} (others: {others})")
    else:
        lines.append(f"unknown: use the generic spider (scores: {others})")
    lines.append(f"generator: {verdict.generator or '(no <meta name=generator>)'}")
    lines.append("evidence:" if verdict.evidence else "evidence: none of a known family")
    lines += [f"  {item.line()}" for item in verdict.evidence]
    outlet, comments = entry_for(verdict, known)
    lines += ["registry entry (newsbot/data/outlets.toml; then scrapy outlets --check):", "",
              registry.outlet_toml(outlet, comments)]
    return "\n".join(lines)


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "URL [URL ...] | --warc FILE [URL ...]"

    def short_desc(self) -> str:
        return "Which CMS is this outlet on? Prints the evidence and its registry entry"

    def long_desc(self) -> str:
        return ("Fetches the pages politely (robots.txt obeyed, nothing archived) or reads them from a WARC "
                "(--warc), judges each host's pages by the CMS signatures, URL shapes and generator tag, and "
                "prints the family with its evidence, or 'unknown: use the generic spider', and the registry "
                "entry to add. See docs/adding-an-outlet.md.")

    def add_options(self, parser) -> None:
        super().add_options(parser)
        own_usage_errors(parser)   # every usage error: one newsbot: error: line, exit 2
        parser.add_argument("--warc", metavar="FILE", help="read the pages from this WARC file or folder (no fetching)")

    def run(self, args, opts) -> None:
        try:
            refuse_stray_options(args)
            for url in args:
                if not is_http_url(url):
                    raise UsageError(f"not an absolute http(s) URL: {url!r}")
            if not args and not opts.warc:
                raise UsageError("give one or more page URLs, or --warc FILE")
            if opts.warc:
                pages, missing = pages_from_warc(opts.warc, list(args))
                failures = {url: "not in the archive (as an HTML response)" for url in missing}
                status = exitcodes.ERROR if missing else exitcodes.OK
                if not pages:
                    raise UsageError(f"--warc {opts.warc}: no HTML response {'for these URLs ' if args else ''}in the archive")
            else:
                pages, failures, status = self.fetch(list(args))
        except UsageError as exc:
            return fail_usage(self, str(exc))
        self.report(pages, failures)
        self.exitcode = status

    def fetch(self, urls: list[str]) -> tuple[list[Page], dict[str, str], int]:
        import scrapy
        from scrapy.exceptions import IgnoreRequest
        from scrapy.spidermiddlewares.httperror import HttpError

        fetched: dict[str, Page] = {}
        failures: dict[str, str] = {}
        worst = [exitcodes.OK]

        class DetectSpider(scrapy.Spider):
            name = "detect"
            custom_settings = FETCH_SETTINGS

            async def start(self):
                for url in urls:
                    yield scrapy.Request(url, callback=self.page, errback=self.failed, dont_filter=True,
                                         cb_kwargs={"asked": url})

            def page(self, response, asked):
                if not hasattr(response, "text"):
                    failures[asked] = f"not a text page ({response.headers.get('Content-Type', b'').decode('latin-1')})"
                    worst[0] = max(worst[0], exitcodes.ERROR)
                    return
                fetched[asked] = Page(response.url, response.selector, response.text)

            def failed(self, failure):
                asked = failure.request.cb_kwargs.get("asked", failure.request.url)
                if failure.check(HttpError):
                    failures[asked] = f"HTTP {failure.value.response.status}"
                    worst[0] = max(worst[0], exitcodes.UNREACHABLE)
                elif failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
                    failures[asked] = "forbidden by robots.txt"
                    worst[0] = max(worst[0], exitcodes.ROBOTS_BLOCKED)
                else:
                    failures[asked] = f"could not be fetched ({failure.getErrorMessage()})"
                    worst[0] = max(worst[0], exitcodes.UNREACHABLE)

        self.crawler_process.crawl(DetectSpider)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            worst[0] = max(worst[0], exitcodes.ERROR)
        for url in urls:
            if url not in fetched and url not in failures:
                failures[url] = "no answer (the fetch stopped first)"
                worst[0] = max(worst[0], exitcodes.UNREACHABLE)
        return [fetched[url] for url in urls if url in fetched], failures, worst[0]

    @staticmethod
    def report(pages: list[Page], failures: dict[str, str]) -> None:
        known = registry.load()
        by_host: dict[str, list[Page]] = {}
        for page in pages:
            by_host.setdefault(urlsplit(page.url).netloc, []).append(page)
        failed_by_host: dict[str, list[str]] = {}
        for url, why in failures.items():
            failed_by_host.setdefault(urlsplit(url).netloc, []).append(f"{url}: {why}")
        blocks = [render(judge(host_pages), known, failed_by_host.pop(host, []))
                  for host, host_pages in by_host.items()]
        for host, lines in failed_by_host.items():
            blocks.append(f"== {host}\n" + "\n".join(f"   not read: {line}" for line in lines) + "\n")
        sys.stdout.write("\n".join(blocks))
        sys.stdout.flush()
