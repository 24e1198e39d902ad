"""Wire fidelity: each known WARC capture trap, against a real server on 127.0.0.1.

One crawl (module scope) of a small site whose routes each exercise one trap; the tests
then read the WARC back byte by byte, with warcio, and with the real CLI tools.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsbot.testing.localsite import LocalSite, Route
from newsbot.warc.digests import payload_digest
from newsbot.warc.index import ArchiveIndex

from .conftest import run_scrapy

ARTICLE = """<html><head><title>시험 기사</title></head><body>
<div class="titleWrap"><h2>{title}</h2></div>
<div class="registModifyDate"><ul><li>기사등록 2024-08-06 07:38:57</li></ul></div>
<div id="viewContent"><p>{text}</p>
<p><a href="/news/view.php?idx=9001">다음 기사</a> <img src="/data/photo/{name}.jpg"></p></div>
</body></html>"""


def page(name: str, title: str, text: str) -> bytes:
    return ARTICLE.format(name=name, title=title, text=text).encode("utf-8")


GZIP_BODY = page("gz", "압축된 기사", "이 본문은 gzip으로 압축되어 전송된다. " * 20)
CHUNKED_BODY = page("chunked", "나뉘어 온 기사", "이 본문은 조각조각 전송된다. " * 200)  # > one 1000-byte chunk
COOKIE_BODY = page("cookie", "쿠키 기사", "쿠키 두 개와 함께 온다.")
REASON_BODY = page("reason", "특이한 상태줄", "상태줄의 문구가 표준과 다르다.")
TARGET_BODY = page("target", "옮겨진 기사", "리다이렉트 끝에 있는 기사.")


def custom_reason(handler):
    handler.send_response(200, "Fine Thanks")
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(len(REASON_BODY)))
    handler.end_headers()
    handler.wfile.write(REASON_BODY)


ROUTES = {
    "/gz": Route(body=GZIP_BODY, gzip=True),
    "/chunked": Route(body=CHUNKED_BODY, chunked=True),
    "/cookies": Route(body=COOKIE_BODY, headers=[("Set-Cookie", "PHPSESSID=abc123; path=/"),
                                                ("Set-Cookie", "visited=1; path=/")]),
    "/reason": Route(handler=custom_reason),
    "/moved": Route(status=302, headers=[("Location", "/target")], body=b""),
    "/target": Route(body=TARGET_BODY),
    "/broken": Route(status=500, body=b"<html><body>Internal Server Error</body></html>"),
}
QUERY = "?idx=7&mode=print&q=%ED%95%98%EB%82%A8"   # path AND query must reach the request line
PATHS = ["/gz" + QUERY, "/chunked", "/cookies", "/reason", "/moved", "/missing", "/broken"]


def members(path: Path) -> list[bytes]:
    """Every gzip member of a .warc.gz, inflated on its own."""
    data, out = path.read_bytes(), []
    while data:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        out.append(inflater.decompress(data))
        assert inflater.eof
        data = inflater.unused_data
    return out


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    out = tmp_path_factory.mktemp("capture")
    with LocalSite(ROUTES) as site:
        urls = ",".join(site.url(p) for p in PATHS)
        # not article URLs: crawled as given (allow_foreign), to see each trap archived
        result = run_scrapy(["crawl", "gginews", "-a", f"base_url={site.base_url}", "-a", "allow_foreign=1",
                             "-a", f"urls={urls}"], out,
                            {"RETRY_ENABLED": "0", "ROBOTSTXT_OBEY": "0"})
        # 404/500 make the exit status non-zero (newsbot/faults): the run itself must finish
        assert "Spider closed (finished)" in result.stderr, result.stderr[-3000:]
        (warc,) = result.warcs("gginews")
        records = []
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                records.append((record.rec_type, record.rec_headers, record.http_headers, record.raw_stream.read()))
        yield {"site": site, "result": result, "warc": warc, "records": records}


def response_for(capture, path: str):
    url = capture["site"].url(path)
    found = [r for r in capture["records"] if r[0] == "response" and r[1].get_header("WARC-Target-URI") == url]
    assert len(found) == 1, [r[1].get_header("WARC-Target-URI") for r in capture["records"]]
    return found[0]


def test_every_record_is_warc_1_1_including_warcinfo(capture):
    raw = members(capture["warc"])
    assert len(raw) == len(capture["records"])  # one gzip member per record
    assert all(m.startswith(b"WARC/1.1\r\n") for m in raw)
    assert capture["records"][0][0] == "warcinfo"


def test_gzip_payload_stays_encoded_and_equals_the_bytes_sent(capture):
    _, headers, http, payload = response_for(capture, "/gz" + QUERY)
    assert payload == gzip.compress(GZIP_BODY, mtime=0)  # exactly what went over the wire
    assert gzip.decompress(payload) == GZIP_BODY
    assert http.get_header("Content-Encoding") == "gzip"
    assert http.get_header("Content-Length") == str(len(payload))
    assert headers.get_header("WARC-Payload-Digest") == payload_digest(payload)
    # and the archive reader hands replay the same encoded bytes
    stored = ArchiveIndex(capture["warc"]).get(capture["site"].url("/gz" + QUERY))
    assert stored.body == payload


def test_chunked_transfer_is_stored_dechunked_with_consistent_length(capture):
    _, _, http, payload = response_for(capture, "/chunked")
    assert payload == CHUNKED_BODY
    assert http.get_header("Transfer-Encoding") is None
    assert http.get_header("Content-Length") == str(len(CHUNKED_BODY))


def test_request_line_keeps_path_and_query_and_has_host(capture):
    site = capture["site"]
    url = site.url("/gz" + QUERY)
    (request,) = [r for r in capture["records"] if r[0] == "request" and r[1].get_header("WARC-Target-URI") == url]
    assert request[2].protocol == "GET"
    assert request[2].statusline == "/gz" + QUERY + " HTTP/1.1"
    assert request[2].get_header("Host") == site.base_url.removeprefix("http://")
    assert request[2].get_header("Accept-Encoding")  # sent by Scrapy, archived as sent
    assert site.requests.count("/gz" + QUERY) == 1


def test_every_value_of_a_repeated_header_survives(capture):
    _, _, http, _ = response_for(capture, "/cookies")
    assert [v for k, v in http.headers if k.lower() == "set-cookie"] == [
        "PHPSESSID=abc123; path=/", "visited=1; path=/"]


def test_status_line_has_the_real_protocol_and_reason_phrase(capture):
    assert response_for(capture, "/reason")[2].statusline == "200 Fine Thanks"
    assert response_for(capture, "/reason")[2].protocol == "HTTP/1.1"
    assert response_for(capture, "/missing")[2].statusline == "404 Not Found"
    assert response_for(capture, "/broken")[2].statusline == "500 Internal Server Error"
    assert response_for(capture, "/broken")[3] == b"<html><body>Internal Server Error</body></html>"


def test_redirect_and_its_target_are_both_archived(capture):
    _, _, http, payload = response_for(capture, "/moved")
    assert http.statusline == "302 Found"
    assert http.get_header("Location") == "/target"
    assert payload == b""
    assert response_for(capture, "/target")[3] == TARGET_BODY


def test_request_records_are_concurrent_to_their_response_with_ip_address(capture):
    records = capture["records"]
    pairs = [(records[i], records[i + 1]) for i, r in enumerate(records) if r[0] == "response"]
    # 7 URLs + the redirect target + the photo each of the 5 articles names (a requisite: 404 here)
    assert len(pairs) == 8 + 5
    for response, request in pairs:
        assert request[0] == "request"
        assert request[1].get_header("WARC-Concurrent-To") == response[1].get_header("WARC-Record-ID")
        assert request[1].get_header("WARC-Date") == response[1].get_header("WARC-Date")
        assert response[1].get_header("WARC-IP-Address") == "127.0.0.1"
        assert request[1].get_header("WARC-IP-Address") == "127.0.0.1"
        assert response[1].get_header("WARC-Payload-Digest") == payload_digest(response[3])


def test_metadata_record_per_article_has_outlinks_and_extraction_summary(capture):
    site = capture["site"]
    metadata = [r for r in capture["records"] if r[0] == "metadata"]
    by_url = {r[1].get_header("WARC-Target-URI"): r for r in metadata}
    # every 200 page became an item (the spider was told they are articles); errors did not
    assert sorted(by_url) == sorted(site.url(p) for p in ["/gz" + QUERY, "/chunked", "/cookies", "/reason", "/target"])
    _, headers, _, payload = by_url[site.url("/target")]
    assert headers.get_header("WARC-Refers-To") == response_for(capture, "/target")[1].get_header("WARC-Record-ID")
    assert headers.get_header("Content-Type") == "application/warc-fields"
    lines = payload.decode("utf-8").splitlines()
    assert lines[:3] == [
        f"via: {site.url('/target')}",
        f"outlink: {site.url('/news/view.php?idx=9001')} L a/@href",
        f"outlink: {site.url('/data/photo/target.jpg')} E img/@src",
    ]
    summary = json.loads(lines[3].removeprefix("newsbot-extraction: "))
    assert summary["body_chars"] > 0 and summary["images"] == 1
    assert "body" in summary["fields"] and "url" in summary["fields"]
    assert capture["result"].stats()["newsbot/warc_metadata_records"] == 5


def test_warcio_check_and_index_accept_the_archive(capture):
    warc = str(capture["warc"])
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", warc], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("digest pass") >= 26 and "fail" not in check.stdout
    index = subprocess.run([sys.executable, "-m", "warcio.cli", "index", "-f", "warc-type,warc-target-uri", warc],
                           capture_output=True, text=True, check=True)
    types = [json.loads(line)["warc-type"] for line in index.stdout.splitlines()]
    # 8 pages (see above) + 5 photos the articles name; a metadata record per article
    assert types.count("response") == 13 and types.count("request") == 13 and types.count("metadata") == 5
    assert types[0] == "warcinfo"


def test_cdxj_index_beside_the_warc_matches_cdxj_indexer(capture):
    warc = capture["warc"]
    beside = warc.with_name(warc.name.removesuffix(".warc.gz") + ".cdxj")
    ours = beside.read_text(encoding="utf-8").splitlines()
    cli = subprocess.run([sys.executable, "-m", "cdxj_indexer.main", "--sort", "--post-append", str(warc)],
                         capture_output=True, text=True, check=True)
    assert ours == cli.stdout.splitlines()
    assert ours == sorted(ours)
    assert len(ours) == 13  # every response; cdxj-indexer leaves application/warc-fields metadata out
    entries = [json.loads(line.split(" ", 2)[2]) for line in ours]
    assert {e["filename"] for e in entries} == {warc.name}
    target = next(e for e in entries if e["url"] == capture["site"].url("/target") and e["mime"] != "application/warc-fields")
    assert target["status"] == "200" and target["digest"] == payload_digest(TARGET_BODY)
