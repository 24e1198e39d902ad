"""Requests and redirects stay on the outlet's origins (scheme, host and port): a redirect
to another port of the same host (another service) is not followed, even after a retry;
a link there is not requested; robots.txt redirected there shuts the host out; a URL with
credentials is never requested.  A second loopback server plays the other service and
must see no request at all."""

from __future__ import annotations

import json

import pytest
from scrapy import Request
from warcio.archiveiterator import ArchiveIterator

from newsbot.offsite import request_allowed
from newsbot.testing import faults as F
from newsbot.testing.localsite import LocalSite, Route
from newsbot.urls import on_origins, origin
from tests.conftest import FIXTURES, run_scrapy


def view(idx: int) -> str:
    return f"/news/view.php?idx={idx}"


def article(idx: int) -> bytes:
    return F.article_html(idx, f"수원시 소식 {idx}호", [f"{idx}번 기사 본문이다."])


@pytest.fixture(scope="module")
def offsite_run(tmp_path_factory):
    """The outlet redirects and links to another service on another port of 127.0.0.1."""
    other = LocalSite({view(99): Route(body=article(99)), "/secret": Route(body=article(98)),
                       "/robots.txt": Route(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")})
    with other:
        elsewhere = other.base_url
        retried, _ = F.fail_first(b"", failures=1, status=503)
        outlet_routes = {
            "/news/list.php": Route(body=F.list_html([view(1), view(2), view(3), view(4), view(5),
                                                      f"{elsewhere}{view(99)}"])),
            "/news/list.php?page=2": Route(body=F.list_html([])),
            view(1): Route(body=article(1)),
            view(2): F.redirect(f"{elsewhere}/secret"),                                    # another port
            view(4): Route(body=(b'<html><head><meta http-equiv="refresh" content="0; url=%s/secret">'
                                 b"</head><body></body></html>" % elsewhere.encode())),   # meta refresh
            view(5): Route(body=article(5)),
        }
        with LocalSite(outlet_routes) as outlet:
            # 503 first (the retry carries dont_filter), then a redirect with credentials to the same origin
            calls = {"n": 0}

            def retried_then_redirected(h):
                calls["n"] += 1
                if calls["n"] == 1:
                    return h._send(503, b"busy", "text/html", [])
                return h._send(302, b"", "text/html", [("Location", f"http://user:s3cret@{outlet.base_url[7:]}{view(1)}")])

            outlet.routes[view(3)] = Route(handler=retried_then_redirected)
            out = tmp_path_factory.mktemp("offsite") / "output"
            result = run_scrapy(["crawl", "gginews", "-a", f"base_url={outlet.base_url}", "-a", "max_pages=1"], out,
                                settings={"RETRY_TIMES": "1"})
            outlet_requests = list(outlet.requests)
        other_requests = list(other.requests)
    return result, outlet.base_url, elsewhere, outlet_requests, other_requests


def test_nothing_reaches_the_other_service(offsite_run):
    result, base, elsewhere, requests, other_requests = offsite_run
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert other_requests == []
    assert requests.count(view(3)) == 2                  # the 503, then its retry answered the redirect
    assert sorted(r["article_id"] for r in result.records("gginews")) == ["1", "5"]
    assert "s3cret" not in result.stderr


def test_redirects_off_the_origin_are_faults_counted_and_reported(offsite_run):
    result, base, elsewhere, _, _ = offsite_run
    stats = result.stats()
    assert stats["newsbot/faults/offsite_redirect"] == 3   # 3xx to another port, meta refresh, credentials
    assert stats["newsbot/offsite/filtered"] == 1          # the list's link to the other port
    lines = [line for line in result.stderr.splitlines() if "Fault offsite_redirect on" in line]
    assert len(lines) == 3
    assert any(f"Fault offsite_redirect on {base}{view(2)}: redirect from {base}{view(2)} to {elsewhere}/secret "
               f"not followed: {origin(elsewhere)} is not an origin of this outlet" in line for line in lines)
    assert any(f"to http://user:***@{base[7:]}{view(1)} not followed: it carries user credentials" in line
               for line in lines)
    (report_path,) = (result.output_dir / "gginews" / "reports").glob("*.json")
    problems = json.loads(report_path.read_text(encoding="utf-8"))["problems"]
    assert [(p["cause"], p["exit_status"]) for p in problems] == [("offsite_redirect", 0)]
    # the redirect itself was archived (every hop is), nothing from the other service
    (warc,) = result.warcs("gginews")
    with warc.open("rb") as fh:
        uris = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh) if r.rec_type == "response"]
    assert f"{base}{view(2)}" in uris and not any(u.startswith(elsewhere) for u in uris)


def test_a_robots_txt_redirected_off_the_origin_blocks_the_host(tmp_path):
    with LocalSite({"/robots.txt": Route(body=b"User-agent: *\nAllow: /\n")}) as other:
        routes = {"/robots.txt": F.redirect(f"{other.base_url}/robots.txt"),
                  "/news/list.php": Route.file(FIXTURES / "gginews" / "list_1.html")}
        with LocalSite(routes) as outlet:
            result = run_scrapy(["crawl", "gginews", "-a", f"base_url={outlet.base_url}"], tmp_path / "out")
            assert outlet.requests == ["/robots.txt"]
        assert other.requests == []
    assert result.returncode == 7, result.stderr[-3000:]
    netloc = outlet.base_url[7:]
    assert (f"blocked by robots.txt: {netloc} could not be fetched (not followed: {other.base_url}/robots.txt "
            f"({origin(other.base_url)} is not an origin of this outlet))") in result.stderr


@pytest.mark.parametrize(("url", "allowed"), [
    ("http://www.gginews.kr/news/view.php?idx=1", True),
    ("http://WWW.GGINEWS.KR:80/x", True),
    ("https://www.gginews.kr/x", True),                # the same site over TLS
    ("http://www.gginews.kr:8080/x", False),           # another port: another service
    ("https://www.gginews.kr:8443/x", False),
    ("http://gginews.kr/x", False),                    # another host name
    ("http://user:pw@www.gginews.kr/x", False),        # credentials: never
    ("ftp://www.gginews.kr/x", False),
])
def test_origin_rule(url, allowed):
    assert on_origins(url, {"http://www.gginews.kr:80"}) is allowed


def test_allow_offsite_reaches_its_own_origin_and_no_further():
    origins = {"http://www.gginews.kr:80"}
    photo = Request("https://cdn.example.test/a.jpg", meta={"allow_offsite": True})
    assert request_allowed(photo, origins)
    moved = photo.replace(url="https://cdn.example.test/b.jpg",
                          meta={**photo.meta, "redirect_urls": ["https://cdn.example.test/a.jpg"]})
    assert request_allowed(moved, origins)
    away = photo.replace(url="http://127.0.0.1:18099/", meta=moved.meta)
    assert not request_allowed(away, origins)
    assert not request_allowed(Request("https://cdn.example.test/a.jpg"), origins)
    assert not request_allowed(Request("http://www.gginews.kr/x", dont_filter=True).replace(
        url="http://www.gginews.kr:18099/x"), origins)
