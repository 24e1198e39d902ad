"""newsbot's downloader and spider middlewares that need no network, in-process: the
instances a crawl's engine builds (tests/inprocess.py), fed built requests and responses.
The WARC ones write a real archive under tmp_path, read back with warcio."""

from __future__ import annotations

import json
import logging
from ipaddress import ip_address

import pytest
from scrapy import Request
from scrapy.exceptions import (CannotResolveHostError, DownloadCancelledError, DownloadConnectionRefusedError,
                               DownloadTimeoutError, IgnoreRequest, ResponseDataLossError)
from scrapy.http import HtmlResponse, Response
from scrapy.http.request import NO_CALLBACK
from warcio.archiveiterator import ArchiveIterator

from newsbot.faults.downloader import FaultMiddleware, RedirectLoopMiddleware
from newsbot.items import ArticleItem
from newsbot.spiders.registry import GginewsSpider
from newsbot.state import fault_ledger, state_store
from newsbot.state.middleware import SkipRecordedMiddleware
from newsbot.warc import REASON_META_KEY, WARC_META_KEY
from newsbot.warc.capture import WarcCaptureMiddleware
from newsbot.warc.metadata import WarcMetadataMiddleware

from .inprocess import build_crawler, built_crawler, finish_crawl

BASE = "http://www.gginews.kr"
ARTICLE = f"{BASE}/news/view.php?idx=71403&mcode=m11"
CANONICAL = f"{BASE}/news/view.php?idx=71403"
LIST = f"{BASE}/news/list.php?page=2"
PAGE = ('<html><head><meta charset="utf-8"></head><body><div class="titleWrap"><h2>이천시 소식</h2></div>'
        '<div id="viewContent"><p>본문</p><a href="/news/view.php?idx=71404">다음</a>'
        '<img src="photo.jpg"></div></body></html>').encode("utf-8")


@pytest.fixture
def crawler(tmp_path):
    with built_crawler(GginewsSpider, tmp_path / "output", {"REDIRECT_MAX_TIMES": 3}) as crawler:
        yield crawler


def article_request(crawler, url: str = ARTICLE, **meta) -> Request:
    return crawler.spider.article_request(url, meta=meta)


def html(url: str, body: bytes = PAGE, status: int = 200, content_type: str = "text/html; charset=utf-8",
         request: Request | None = None, **kwargs) -> HtmlResponse:
    return HtmlResponse(url, status=status, body=body, headers={"Content-Type": content_type}, request=request,
                        **kwargs)


def fault_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("newsbot.faults")]


# -- SkipRecordedMiddleware ----------------------------------------------------------------------
def test_an_article_recorded_while_its_request_waited_is_not_fetched(crawler):
    middleware = crawler.get_downloader_middleware(SkipRecordedMiddleware)
    new = article_request(crawler, newsbot_article="new")
    assert middleware.process_request(new) is None
    state_store(crawler).mark_recorded(CANONICAL, article_id="71403")  # under another spelling
    with pytest.raises(IgnoreRequest) as skipped:
        middleware.process_request(new)
    assert str(skipped.value) == f"already recorded: {ARTICLE}"
    # a recheck is meant to fetch a recorded article; a list page is never skipped
    assert middleware.process_request(article_request(crawler, newsbot_article="recheck")) is None
    assert middleware.process_request(crawler.spider.list_request(LIST)) is None
    assert crawler.stats.get_value("newsbot/skipped_already_recorded") == 1


# -- FaultMiddleware: requests and responses ---------------------------------------------------------
def test_an_article_gone_in_an_earlier_run_is_not_requested(crawler):
    middleware = crawler.get_downloader_middleware(FaultMiddleware)
    fault_ledger(crawler).mark_failed(CANONICAL, ARTICLE, "http_404", "404 Not Found", gone=True)
    with pytest.raises(IgnoreRequest) as skipped:
        middleware.process_request(article_request(crawler, url=f"{BASE}/news/view.php?mcode=m12&idx=71403"))
    assert str(skipped.value) == f"gone in an earlier run: {BASE}/news/view.php?mcode=m12&idx=71403"
    assert crawler.stats.get_value("newsbot/faults/skipped_gone") == 1
    assert middleware.process_request(crawler.spider.list_request(CANONICAL)) is None  # not an article request


def test_a_missing_article_is_counted_logged_once_and_remembered_as_gone(crawler, caplog):
    middleware = crawler.get_downloader_middleware(FaultMiddleware)
    request = article_request(crawler)
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            with pytest.raises(IgnoreRequest) as ignored:
                middleware.process_response(request, html(ARTICLE, b"Not Found", status=404, request=request))
    assert str(ignored.value) == f"HTTP 404: {ARTICLE}"
    assert fault_lines(caplog) == [f"Fault http_404 on {ARTICLE}: 404 Not Found (recorded as gone, not requested again)"]
    stats = crawler.stats
    assert [stats.get_value(f"newsbot/faults/{k}") for k in ("http_404", "count", "articles_gone")] == [2, 2, 2]
    assert fault_ledger(crawler).faults() == {CANONICAL: ("http_404", True, 2)}


def test_a_list_page_that_fails_after_retries_is_skipped_not_remembered(crawler, caplog):
    middleware = crawler.get_downloader_middleware(FaultMiddleware)
    request = crawler.spider.list_request(LIST)
    request.meta["retry_times"] = 2
    with caplog.at_level(logging.WARNING), pytest.raises(IgnoreRequest):
        middleware.process_response(request, html(LIST, b"busy", status=503, request=request))
    assert fault_lines(caplog) == [f"Fault http_503 on {LIST}: 503 Service Unavailable (after 2 retries) (skipped)"]
    assert fault_ledger(crawler).faults() == {}
    assert crawler.stats.get_value("newsbot/faults/articles_failed") is None


def test_statuses_the_request_or_spider_handles_and_robots_pass_through(crawler):
    middleware = crawler.get_downloader_middleware(FaultMiddleware)
    allowed = article_request(crawler, handle_httpstatus_list=[404])
    missing = html(ARTICLE, b"Not Found", status=404, request=allowed)
    assert middleware.process_response(allowed, missing) is missing
    robots = Request(f"{BASE}/robots.txt", callback=NO_CALLBACK)
    answer = Response(f"{BASE}/robots.txt", status=404, request=robots)
    assert middleware.process_response(robots, answer) is answer
    moved = html(ARTICLE, b"", status=301, request=allowed)
    assert middleware.process_response(article_request(crawler), moved) is moved  # the redirect middleware's
    assert crawler.stats.get_value("newsbot/faults/count") is None


@pytest.mark.parametrize(("response", "kind", "detail", "ignored"), [
    (Response(ARTICLE, body=b"%PDF-1.4 ...", headers={"Content-Type": "application/pdf"}),
     "not_html", "answered application/pdf, 12 bytes", f"not HTML: {ARTICLE}"),
    (HtmlResponse(ARTICLE, body=b" \r\n ", headers={"Content-Type": "text/html"}),
     "empty_body", "200 with an empty body", f"empty body: {ARTICLE}"),
])
def test_a_200_that_is_no_page_is_a_fault_the_next_run_retries(crawler, caplog, response, kind, detail, ignored):
    middleware = crawler.get_downloader_middleware(FaultMiddleware)
    request = article_request(crawler)
    with caplog.at_level(logging.WARNING), pytest.raises(IgnoreRequest) as raised:
        middleware.process_response(request, response)
    assert str(raised.value) == ignored
    assert fault_lines(caplog) == [f"Fault {kind} on {ARTICLE}: {detail} (not recorded, the next run fetches it again)"]
    assert fault_ledger(crawler).faults() == {CANONICAL: (kind, False, 1)}
    assert crawler.stats.get_value("newsbot/faults/articles_failed") == 1


def test_a_response_replay_did_not_find_is_dropped_without_a_fault(crawler):
    middleware = crawler.get_downloader_middleware(FaultMiddleware)
    request = article_request(crawler)
    with pytest.raises(IgnoreRequest) as raised:
        middleware.process_response(request, html(ARTICLE, status=404, request=request, flags=["replay-missing"]))
    assert str(raised.value) == f"not in the archive: {ARTICLE}"
    assert fault_ledger(crawler).faults() == {}


@pytest.mark.parametrize(("declared", "seen_as", "body", "decoded_as"), [
    ("utf-8", "utf-8", "청렴 실천 다짐대회".encode("cp949"), "cp949"),   # legacy bytes labelled UTF-8
    ("euc-kr", "cp949", "청렴 실천 다짐대회".encode("utf-8"), "utf-8"),  # UTF-8 bytes labelled EUC-KR
], ids=["cp949-labelled-utf-8", "utf-8-labelled-euc-kr"])
def test_a_mislabelled_charset_is_decoded_with_the_one_that_fits_and_logged_once(crawler, caplog, declared, seen_as,
                                                                                  body, decoded_as):
    middleware = crawler.get_downloader_middleware(FaultMiddleware)
    request = article_request(crawler)
    page = b"<html><body><p>" + body + b"</p></body></html>"
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            fixed = middleware.process_response(request, html(ARTICLE, page, content_type=f"text/html; charset={declared}",
                                                              request=request))
    assert fixed.encoding == decoded_as
    assert fixed.css("p::text").get() == "청렴 실천 다짐대회"
    assert crawler.stats.get_value("newsbot/faults/charset_mismatch") == 2
    assert fault_lines(caplog) == [
        f"Fault charset_mismatch on {ARTICLE}: declared {seen_as}, decoded as {decoded_as} (recovered)"]


def test_a_page_whose_charset_fits_is_passed_on_untouched(crawler):
    middleware = crawler.get_downloader_middleware(FaultMiddleware)
    request = article_request(crawler)
    for response in (html(ARTICLE, request=request), html(ARTICLE, b"<p>ascii only</p>", content_type="text/html; "
                                                                                          "charset=euc-kr")):
        assert middleware.process_response(request, response) is response
    assert crawler.stats.get_value("newsbot/faults/charset_mismatch") is None


@pytest.mark.parametrize(("exception", "kind", "detail"), [
    (DownloadTimeoutError("Getting http://x took longer than 60.0 seconds."), "timeout",
     "Getting http://x took longer than 60.0 seconds. (after 1 retry)"),
    (DownloadConnectionRefusedError("Connection was refused by other side."), "connection_refused",
     "Connection was refused by other side. (after 1 retry)"),
    (CannotResolveHostError("no such host"), "dns", "no such host (after 1 retry)"),
    (ResponseDataLossError("lost"), "data_loss", "the connection ended before the announced Content-Length "
                                                 "(after 1 retry)"),
    (DownloadCancelledError("Cancelling download: expected response size (9000000) larger than download max size "
                            "(8388608)."), "too_large",
     "Cancelling download: expected response size (9000000) larger than download max size (8388608). (after 1 retry)"),
    (ValueError("odd"), "download_error", "odd (after 1 retry)"),
])
def test_a_download_that_failed_is_counted_by_kind_logged_and_left_for_the_next_run(crawler, caplog, exception,
                                                                                    kind, detail):
    middleware = crawler.get_downloader_middleware(FaultMiddleware)
    request = article_request(crawler, retry_times=1)
    with caplog.at_level(logging.WARNING), pytest.raises(IgnoreRequest) as raised:
        middleware.process_exception(request, exception)
    assert str(raised.value) == f"{kind}: {ARTICLE}"
    assert raised.value.__cause__ is exception
    assert fault_lines(caplog) == [f"Fault {kind} on {ARTICLE}: {detail} (not recorded, the next run fetches it again)"]
    assert fault_ledger(crawler).faults() == {CANONICAL: (kind, False, 1)}
    assert crawler.stats.get_value(f"newsbot/faults/{kind}") == 1


def test_an_ignored_request_or_robots_download_is_no_fault(crawler):
    middleware = crawler.get_downloader_middleware(FaultMiddleware)
    assert middleware.process_exception(article_request(crawler), IgnoreRequest("robots.txt")) is None
    robots = Request(f"{BASE}/robots.txt", callback=NO_CALLBACK)
    assert middleware.process_exception(robots, DownloadTimeoutError("slow")) is None
    assert crawler.stats.get_value("newsbot/faults/count") is None


# -- RedirectLoopMiddleware --------------------------------------------------------------------------
def redirect(url: str, location: str, request: Request, status: int = 302) -> Response:
    return Response(url, status=status, headers={"Location": location}, request=request)


def test_a_redirect_back_into_its_chain_is_a_fault(crawler, caplog):
    middleware = crawler.get_downloader_middleware(RedirectLoopMiddleware)
    request = article_request(crawler, redirect_urls=[ARTICLE])
    hop = f"{BASE}/news/moved.php?idx=71403"
    with caplog.at_level(logging.WARNING), pytest.raises(IgnoreRequest) as raised:
        middleware.process_response(request, redirect(hop, "/news/view.php?idx=71403&mcode=m11", request))
    assert str(raised.value) == f"redirect loop at {hop}"
    assert fault_lines(caplog) == [f"Fault redirect_loop on {ARTICLE}: 2 hop(s) lead back to {ARTICLE} "
                                   "(not recorded, the next run fetches it again)"]
    assert fault_ledger(crawler).faults() == {CANONICAL: ("redirect_loop", False, 1)}


def test_a_chain_longer_than_redirect_max_times_is_a_fault(crawler):
    middleware = crawler.get_downloader_middleware(RedirectLoopMiddleware)
    hops = [f"{BASE}/hop{n}" for n in range(4)]
    request = crawler.spider.list_request(hops[3])
    request.meta["redirect_urls"] = hops[:3]
    with pytest.raises(IgnoreRequest) as raised:
        middleware.process_response(request, redirect(hops[3], "/hop4", request))
    assert str(raised.value) == f"too many redirects at {hops[3]}"
    assert crawler.stats.get_value("newsbot/faults/too_many_redirects") == 1


def test_ordinary_redirects_pass_to_scrapys_redirect_middleware(crawler):
    middleware = crawler.get_downloader_middleware(RedirectLoopMiddleware)
    request = article_request(crawler)
    for response in (redirect(ARTICLE, "/news/view.php?idx=71404", request, 301),
                     redirect(ARTICLE, ARTICLE, article_request(crawler, dont_redirect=True)),
                     Response(ARTICLE, status=302, request=request)):  # no Location
        assert middleware.process_response(response.request, response) is response
    assert crawler.stats.get_value("newsbot/faults/count") is None


# -- WARC capture and metadata ------------------------------------------------------------------------
def read_warc(directory, places: list | None = None) -> list[tuple[str, dict, object, bytes]]:
    """Every record of the one WARC in ``directory``; ``places`` gets (offset, length) of each."""
    (path,) = directory.glob("*.warc.gz")
    records = []
    with path.open("rb") as fh:
        archive = ArchiveIterator(fh)
        for record in archive:
            records.append((record.rec_type, dict(record.rec_headers.headers), record.http_headers,
                            record.content_stream().read()))
            if places is not None:
                places.append((archive.get_record_offset(), archive.get_record_length()))
    return records


def test_capture_archives_the_exchange_as_received_and_points_the_request_at_it(tmp_path):
    crawler = build_crawler(GginewsSpider, tmp_path)
    capture = crawler.get_downloader_middleware(WarcCaptureMiddleware)
    request = article_request(crawler, **{REASON_META_KEY: "Fine Thanks"})
    request.headers["User-Agent"] = "newsbot-test"
    # what the HTTP/1.1 handler hands on for a chunked reply: the header stays, the body is whole
    response = HtmlResponse(ARTICLE, body=PAGE, request=request, ip_address=ip_address("127.0.0.1"),
                            protocol="HTTP/1.1", headers={"Content-Type": "text/html; charset=utf-8",
                                                          "Transfer-Encoding": "chunked", "Set-Cookie": ["a=1", "b=2"]})
    assert capture.process_response(request, response) is response
    location = request.meta[WARC_META_KEY]
    assert REASON_META_KEY not in request.meta  # popped: a redirect's next request must not reuse it
    finish_crawl(crawler)

    places = []
    warcinfo, (rtype, rheaders, rhttp, payload), (qtype, qheaders, qhttp, qbody) = read_warc(
        tmp_path / "gginews" / "warc", places)
    assert warcinfo[0] == "warcinfo"
    assert (rtype, qtype) == ("response", "request")
    offset, length = places[1]
    assert location == {"filename": next((tmp_path / "gginews" / "warc").glob("*.warc.gz")).name,
                        "record_id": rheaders["WARC-Record-ID"], "offset": offset, "length": length,
                        "revisit": False, "date": rheaders["WARC-Date"]}
    assert (rheaders["WARC-Target-URI"], rheaders["WARC-IP-Address"]) == (ARTICLE, "127.0.0.1")
    assert rhttp.statusline == "200 Fine Thanks" and rhttp.protocol == "HTTP/1.1"
    # the payload as stored, de-chunked, and headers that say so
    assert payload == PAGE
    assert rhttp.headers == [("Content-Type", "text/html; charset=utf-8"), ("Set-Cookie", "a=1"),
                             ("Set-Cookie", "b=2"), ("Content-Length", str(len(PAGE)))]
    assert (qhttp.protocol, qhttp.statusline) == ("GET", "/news/view.php?idx=71403&mcode=m11 HTTP/1.1")
    assert qhttp.headers[0] == ("Host", "www.gginews.kr") and ("User-Agent", "newsbot-test") in qhttp.headers
    assert qbody == b""
    assert qheaders["WARC-Concurrent-To"] == rheaders["WARC-Record-ID"]
    assert qheaders["WARC-Date"] == rheaders["WARC-Date"]
    stats = crawler.stats
    assert [stats.get_value(f"newsbot/warc_{k}") for k in ("records", "revisits")] == [3, 0]
    assert stats.get_value("newsbot/warc_bytes") == sum(p.stat().st_size for p in (tmp_path / "gginews" / "warc")
                                                         .glob("*.warc.gz"))


def test_capture_the_same_payload_again_is_a_revisit_and_a_rendered_page_is_left_to_the_browser(tmp_path):
    crawler = build_crawler(GginewsSpider, tmp_path)
    capture = crawler.get_downloader_middleware(WarcCaptureMiddleware)
    locations = []
    for _ in range(2):
        request = article_request(crawler)
        capture.process_response(request, html(ARTICLE, request=request))
        locations.append(request.meta[WARC_META_KEY])
    rendered = article_request(crawler)
    capture.process_response(rendered, html(ARTICLE, request=rendered, flags=["newsbot_browser_archived"]))
    missing = article_request(crawler)
    capture.process_response(missing, html(ARTICLE, b"gone", status=599, request=missing))
    finish_crawl(crawler)
    assert WARC_META_KEY not in rendered.meta
    assert [loc["revisit"] for loc in locations] == [False, True]
    records = read_warc(tmp_path / "gginews" / "warc")
    assert [r[0] for r in records] == ["warcinfo", "response", "request", "revisit", "request", "response", "request"]
    assert records[3][1]["WARC-Refers-To"] == records[1][1]["WARC-Record-ID"]
    assert records[5][2].statusline == "599"  # no reason phrase known: none invented
    assert crawler.stats.get_value("newsbot/warc_revisits") == 1


def test_warc_off_takes_the_archiving_middlewares_out(tmp_path):
    with built_crawler(GginewsSpider, tmp_path, {"WARC_ENABLED": False}) as crawler:
        assert crawler.get_downloader_middleware(WarcCaptureMiddleware) is None
        assert crawler.get_spider_middleware(WarcMetadataMiddleware) is None
        assert crawler.get_downloader_middleware(FaultMiddleware) is not None


def test_metadata_record_names_the_pages_links_and_what_extraction_found(tmp_path):
    crawler = build_crawler(GginewsSpider, tmp_path)
    request = article_request(crawler)
    response = html(ARTICLE, request=request)
    crawler.get_downloader_middleware(WarcCaptureMiddleware).process_response(request, response)
    metadata = crawler.get_spider_middleware(WarcMetadataMiddleware)
    item = ArticleItem(site="gginews", url=ARTICLE, article_id="71403", title="이천시 소식", body="본문",
                       published_at_raw=None, images=[f"{BASE}/news/photo.jpg"], captions=[],
                       warc_record_id=request.meta[WARC_META_KEY]["record_id"])
    assert metadata.get_processed_item(item, response) is item
    # requests the callback yields, and responses this crawl did not archive, get no record
    assert metadata.get_processed_item(Request(LIST), response) is not None
    unarchived = html(ARTICLE, request=Request(ARTICLE))
    assert metadata.get_processed_item(item, unarchived) is item
    finish_crawl(crawler)
    records = read_warc(tmp_path / "gginews" / "warc")
    assert [r[0] for r in records] == ["warcinfo", "response", "request", "metadata"]
    _, headers, _, payload = records[3]
    assert headers["Content-Type"] == "application/warc-fields"
    assert headers["WARC-Refers-To"] == headers["WARC-Concurrent-To"] == records[1][1]["WARC-Record-ID"]
    lines = payload.decode("utf-8").split("\r\n")
    assert lines[:3] == [f"via: {ARTICLE}", f"outlink: {BASE}/news/view.php?idx=71404 L a/@href",
                         f"outlink: {BASE}/news/photo.jpg E img/@src"]
    assert lines[3].startswith("newsbot-extraction: ") and lines[4:] == [""]
    assert json.loads(lines[3][len("newsbot-extraction: "):]) == {
        "article_id": "71403", "fields": ["article_id", "body", "images", "site", "title", "url"],
        "missing_required": ["published_at"], "body_chars": 2, "images": 1, "captions": 0}
    assert crawler.stats.get_value("newsbot/warc_metadata_records") == 1
