"""``scrapy reparse`` runs without the components a replay cannot need (request headers,
cookies, WARC writing: ``REPLAY_IDLE_COMPONENTS`` in newsbot/reparse/__init__.py), and its
records still equal, field by field, those the live crawl wrote from the same responses,
also for the responses those components could have touched: gzip-encoded, chunked, with
cookies, redirected, with a mislabelled charset."""

from __future__ import annotations

import pytest

from newsbot.testing.localsite import LocalSite, Route, load_routes

from .conftest import FIXTURES, run_scrapy
from .test_reparse import by_id

ARTICLE = "/news/view.php?idx={}"


def site_routes():
    routes = load_routes(FIXTURES / "gginews")   # 71401 gzip, 71402 chunked, 71403 sets cookies
    # An old spelling that moved: the live crawl archived the 301 and the article behind it.
    routes[ARTICLE.format(71499)] = Route(status=301, body=b"",
                                          headers=[("Location", ARTICLE.format(71404))])
    # Declared UTF-8, sent as CP949: the fault middleware decodes it as what it is.
    utf8 = routes[ARTICLE.format(71405)].body.decode("utf-8")
    routes[ARTICLE.format(71405)] = Route(body=utf8.replace('charset="utf-8"', "").replace("charset=utf-8", "")
                                          .encode("cp949"))
    return routes


def warnings(result) -> list[str]:
    """The run's warnings about pages (the live crawl's warning about its own -a base_url,
    a host that is not the outlet's, says nothing of a page: a re-parse is given none)."""
    return sorted(line.split("] WARNING: ")[1] for line in result.stderr.splitlines()
                  if "] WARNING: " in line and "is not gginews's host" not in line)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    out = tmp_path_factory.mktemp("live")
    with LocalSite(site_routes()) as site:
        urls = ",".join(site.url(ARTICLE.format(idx)) for idx in (71401, 71402, 71403, 71499, 71405))
        result = run_scrapy(["crawl", "gginews", "-a", f"base_url={site.base_url}", "-a", f"urls={urls}"], out)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = result.stats()
    assert stats["newsbot/faults/charset_mismatch"] == 1
    assert stats["downloader/response_status_count/301"] == 1
    return result


def test_reparse_records_equal_the_live_crawl_field_by_field(live, tmp_path):
    again = run_scrapy(["reparse", "gginews", str(live.output_dir / "gginews" / "warc")], tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    live_records, reparsed = by_id(live.records("gginews")), by_id(again.reparsed_records("gginews"))
    assert sorted(reparsed) == ["71401", "71402", "71403", "71404", "71405"]
    for article_id, record in live_records.items():
        for field, value in record.items():   # WARC pointers included: the live crawl's records
            assert reparsed[article_id][field] == value, (article_id, field)
        assert reparsed[article_id].keys() == record.keys()
    assert live_records["71405"]["title"] == "용인시, 민원 처리 기간 단축 성과 발표"       # decoded as CP949
    assert live_records["71404"]["url"].endswith(ARTICLE.format(71404))     # the redirect's target
    stats = again.stats()
    assert stats["newsbot/faults/charset_mismatch"] == 1                     # recovered again, same way
    assert stats["newsbot/replay/hits"] == 6 and stats.get("newsbot/replay/missing", 0) == 0
    # what re-parse left out: nothing shaped the requests, no WARC was written, no byte counts
    assert again.warcs("gginews") == []
    assert not any(name.startswith("downloader/") for name in stats)
    enabled = again.stderr.split("Enabled downloader middlewares:")[1].split("Enabled item pipelines:")[0]
    # the live crawl's warnings (charset, extraction), no other; no per-page DEBUG lines made
    # only to be dropped
    assert warnings(again) == warnings(live) and len(warnings(live)) == 3
    assert "log_count/DEBUG" not in stats
    for name in ("CookiesMiddleware", "UserAgentMiddleware", "DefaultHeadersMiddleware",
                 "WarcCaptureMiddleware", "WarcMetadataMiddleware", "DownloaderStats", "BrowserMiddleware"):
        assert name not in enabled
    for name in ("HttpCompressionMiddleware", "RedirectMiddleware", "MetaRefreshMiddleware", "FaultMiddleware",
                 "OffsiteMiddleware", "HttpErrorMiddleware"):
        assert name in enabled


@pytest.mark.parametrize("browser_pages, browser_enabled, kept", [
    (frozenset(), False, False), (frozenset({"article"}), False, True), (frozenset(), True, True)])
def test_browser_middleware_leaves_only_where_no_request_can_need_it(browser_pages, browser_enabled, kept):
    from scrapy.settings import Settings

    from newsbot.reparse import BROWSER_MIDDLEWARE, configure_replay
    from newsbot.spiders.registry import GginewsSpider

    settings = Settings()
    settings.setmodule("newsbot.settings", priority="project")
    settings.set("BROWSER_ENABLED", browser_enabled, priority="cmdline")
    spidercls = type("Spider", (GginewsSpider,), {"browser_pages": browser_pages})
    configure_replay(settings, [FIXTURES], spidercls)
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert (BROWSER_MIDDLEWARE in middlewares) is kept
    assert middlewares["scrapy.downloadermiddlewares.cookies.CookiesMiddleware"] is None
    assert "newsbot.warc.capture.WarcCaptureMiddleware" not in middlewares
    assert middlewares["newsbot.faults.downloader.FaultMiddleware"] == 540
