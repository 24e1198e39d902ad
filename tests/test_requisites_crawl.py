"""Page requisites end to end: real ``scrapy crawl`` of a fixture outlet whose articles
carry photos, og:image thumbnails and a stylesheet (with an @import, a web font and a
background logo), robots.txt shutting a folder, and a thumbnail the server lacks.

* run 1: every requisite is archived as an ordinary response/request pair, once per run,
  with the article as Referer; the report counts them apart from the articles; a missing
  photo fails nothing (exit 0, no article fault, nothing in the fault ledger);
* run 2 fetches the same articles again (``-a urls=``): every requisite is a revisit
  referring to run 1's record;
* the CDXJ beside each WARC equals cdxj-indexer's, images and stylesheets included;
* re-parse of the archive gives the live crawl's records (requisites are not articles);
  a replay crawl answers the requisites from the archive and archives them again;
* ``REQUISITES=images`` and ``none`` fetch what they say.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import sqlite3

import pytest
from cdxj_indexer.main import write_cdx_index
from warcio.archiveiterator import ArchiveIterator

from newsbot.testing.localsite import LocalSite, Route, load_routes
from newsbot.warc.cdxj import cdxj_path

from .conftest import FIXTURES, run_scrapy

FOLDER = FIXTURES / "photos_outlet"
SPIDER = "idomin"
ARTICLES = ("/news/articleView.html?idxno=900201", "/news/articleView.html?idxno=900202")
#: every requisite the two articles name that is fetched: path -> (fixture file, kind)
REQUISITES = {
    "/news/photo/202404/900201_1.jpg": "900201_1.jpg",
    "/news/thumbnail/900201_v150.jpg": "900201_v150.jpg",
    "/news/photo/202404/900202_1.png": "900202_1.png",
    "/css/style.css": "style.css",
    "/css/layout.css": "layout.css",
    "/fonts/headline.woff2": "headline.woff2",
    "/image/logo.png": "logo.png",
}
MISSING = "/news/thumbnail/900202_v150.jpg"       # named by og:image, 404 on the server
NOT_FOUND_BODY = b"<html><body>Not Found</body></html>"   # LocalSite's 404 page
REQUISITES_SECTION = {
    "mode": "images+css",
    "fetched": {"css": 2, "font": 1, "image": 4},
    "failed": {"image": 1},
    "failure_causes": {"http_404": 1},
    "skipped": {"other_site": 1, "robots": 1},   # static.example.net in the CSS; /private/ in robots.txt
    "archived": 8,                               # 7 fetched + the 404
}


def sha1_digest(payload: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode()


def served(path: str) -> bytes:
    """The bytes the fixture server sends for ``path`` (style.css goes gzip-encoded)."""
    body = (FOLDER / REQUISITES[path]).read_bytes()
    return gzip.compress(body, mtime=0) if path == "/css/style.css" else body


def warc_records(paths) -> list:
    records = []
    for path in paths:
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                http = record.http_headers
                records.append({
                    "type": record.rec_type, "url": record.rec_headers.get_header("WARC-Target-URI"),
                    "id": record.rec_headers.get_header("WARC-Record-ID"),
                    "digest": record.rec_headers.get_header("WARC-Payload-Digest"),
                    "refers_to": record.rec_headers.get_header("WARC-Refers-To"),
                    "concurrent_to": record.rec_headers.get_header("WARC-Concurrent-To"),
                    "status": http.get_statuscode() if http and record.rec_type in ("response", "revisit") else None,
                    "headers": dict(http.headers) if http else {},
                    "payload": record.raw_stream.read() if record.rec_type == "response" else b"",   # as stored
                })
    return records


def report_of(output_dir, index=-1, site=SPIDER) -> dict:
    reports = sorted((output_dir / site / "reports").glob("*.json"))
    return json.loads(reports[index].read_text(encoding="utf-8"))


def without_bytes(section: dict) -> dict:
    return {k: v for k, v in section.items()
            if k not in ("bytes_received", "bytes_archived", "revisits", "robots_unavailable")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run 1 (the outlet's list), then run 2 (the same two articles again), one OUTPUT_DIR;
    the request targets the site saw in each."""
    out = tmp_path_factory.mktemp("requisites") / "out"
    with LocalSite(load_routes(FOLDER)) as site:
        first = run_scrapy(["crawl", SPIDER, "-a", f"base_url={site.base_url}"], out)
        seen_first = list(site.requests)
        urls = ",".join(site.url(a) for a in ARTICLES)
        second = run_scrapy(["crawl", SPIDER, "-a", f"base_url={site.base_url}", "-a", f"urls={urls}"], out)
        seen_second = site.requests[len(seen_first):]
        base = site.base_url
    assert first.returncode == 0, first.stderr[-3000:]
    assert second.returncode == 0, second.stderr[-3000:]
    return {"out": out, "base": base, "first": first, "second": second,
            "seen_first": seen_first, "seen_second": seen_second}


def test_every_requisite_archived_once_as_an_ordinary_exchange(runs):
    base, out = runs["base"], runs["out"]
    # each requisite requested once, though both articles name the stylesheet (and so its logo, font, import)
    for path in [*REQUISITES, MISSING]:
        assert runs["seen_first"].count(path) == 1, path
    assert "/private/drafts/900202_2.png" not in runs["seen_first"]   # robots.txt: Disallow: /private/
    assert "/css/contrast.css" not in runs["seen_first"]              # an alternate stylesheet
    first_warc = sorted((out / SPIDER / "warc").glob("*.warc.gz"))[0]
    records = warc_records([first_warc])
    responses = {r["url"]: r for r in records if r["type"] == "response"}
    requests = {r["url"]: r for r in records if r["type"] == "request"}
    for path in REQUISITES:
        url = base + path
        response = responses[url]
        assert response["status"] == "200"
        assert response["payload"] == served(path)                    # as received: style.css stays gzip
        assert response["digest"] == sha1_digest(served(path))
        request = requests[url]
        assert request["concurrent_to"] == response["id"]
        assert request["headers"]["Referer"].startswith(base + "/")     # the page (or stylesheet) that named it
    assert requests[base + "/news/photo/202404/900201_1.jpg"]["headers"]["Referer"] == base + ARTICLES[0]
    assert requests[base + "/news/photo/202404/900201_1.jpg"]["headers"]["Accept"] == "image/*,*/*;q=0.8"
    assert requests[base + "/css/style.css"]["headers"]["Accept"] == "text/css,*/*;q=0.1"
    assert requests[base + "/image/logo.png"]["headers"]["Referer"] == base + "/css/style.css"
    assert responses[base + MISSING]["status"] == "404" and responses[base + MISSING]["payload"] == NOT_FOUND_BODY


def test_the_report_counts_requisites_apart_and_a_missing_photo_fails_nothing(runs):
    out = runs["out"]
    report = report_of(out, 0)
    assert (report["new"], report["failed"], report["exit_status"], report["problems"]) == (2, 0, 0, [])
    # robots.txt, ND Soft's feed (404 here), 2 list pages, 2 articles: no requisite
    assert report["pages_fetched"] == 6
    section = report["requisites"]
    assert without_bytes(section) == REQUISITES_SECTION and section["revisits"] == 0
    assert section["bytes_received"] == sum(len(served(p)) for p in REQUISITES) + len(NOT_FOUND_BODY)
    assert section["bytes_archived"] > section["bytes_received"]
    stats = runs["first"].stats()
    assert "newsbot/faults/count" not in stats and "newsbot/articles_failed" not in stats
    with sqlite3.connect(out / SPIDER / "state.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM article_faults").fetchone() == (0,)   # nothing to retry
    assert "requisites (images+css): 7 fetched (2 css, 1 font, 4 image; 0 revisits), 1 failed (1 http_404), " \
           "2 skipped" in runs["first"].stderr


def test_a_second_run_stores_every_unchanged_requisite_as_a_revisit(runs):
    base, out = runs["base"], runs["out"]
    for path in [*REQUISITES, MISSING]:
        assert runs["seen_second"].count(path) == 1, path                  # fetched again, once
    report = report_of(out, 1)
    assert report["mode"] == "urls" and report["exit_status"] == 0
    section = report["requisites"]
    assert without_bytes(section) == REQUISITES_SECTION
    assert section["revisits"] == 8                                        # the 404 page is unchanged too
    first_warc, second_warc = sorted((out / SPIDER / "warc").glob("*.warc.gz"))
    first = {r["url"]: r for r in warc_records([first_warc]) if r["type"] == "response"}
    second = {r["url"]: r for r in warc_records([second_warc]) if r["type"] in ("response", "revisit")}
    for path in [*REQUISITES, MISSING]:
        url = base + path
        assert second[url]["type"] == "revisit", path
        assert second[url]["refers_to"] == first[url]["id"]
        assert second[url]["digest"] == first[url]["digest"]


def cdxj_indexer_lines(warc) -> list[str]:
    lines = io.StringIO()
    write_cdx_index(lines, [str(warc)], {"sort": True, "post_append": True})
    return lines.getvalue().splitlines()


def test_the_cdxj_of_each_run_equals_cdxj_indexer_s_images_and_stylesheets_included(runs):
    base = runs["base"]
    for warc in sorted((runs["out"] / SPIDER / "warc").glob("*.warc.gz")):
        ours = cdxj_path(warc).read_text(encoding="utf-8").splitlines()
        assert ours == cdxj_indexer_lines(warc)
        mimes = {json.loads(line.split(" ", 2)[2])["url"]: json.loads(line.split(" ", 2)[2]).get("mime")
                 for line in ours}
        assert {mimes[base + p] for p in REQUISITES} <= {"image/jpeg", "image/png", "text/css", "font/woff2",
                                                         "warc/revisit"}
    first = sorted((runs["out"] / SPIDER / "warc").glob("*.warc.gz"))[0]
    entries = [json.loads(line.split(" ", 2)[2]) for line in cdxj_path(first).read_text().splitlines()]
    assert {e["url"]: e.get("mime") for e in entries if e["url"] in (base + "/css/style.css",
                                                                     base + "/news/photo/202404/900201_1.jpg")} == {
        base + "/css/style.css": "text/css", base + "/news/photo/202404/900201_1.jpg": "image/jpeg"}


RUN_FIELDS = ("crawled_at",)


def by_id(records, ignore=RUN_FIELDS):
    return {r["article_id"]: {k: v for k, v in r.items() if k not in ignore} for r in records}


def test_reparse_of_an_archive_with_requisites_gives_the_live_records(runs, tmp_path):
    first_warc = sorted((runs["out"] / SPIDER / "warc").glob("*.warc.gz"))[0]
    again = run_scrapy(["reparse", SPIDER, str(first_warc), "--processes", "1"], tmp_path / "reparsed")
    assert again.returncode == 0, again.stderr[-3000:]
    live = [r for r in runs["first"].records(SPIDER)]
    ignored = (*RUN_FIELDS, "reparsed_at")
    assert by_id(again.reparsed_records(SPIDER), ignored) == by_id(live, ignored)   # photos, CSS: no articles
    stats = again.stats()
    assert stats["newsbot/replay/hits"] == 2                      # the two articles, nothing else requested
    assert not any(key.startswith("newsbot/requisites/") for key in stats)   # nothing archives: nothing fetched
    assert again.warcs(SPIDER) == []


def test_a_replay_crawl_answers_requisites_from_the_archive_and_archives_them_again(runs, tmp_path):
    base = runs["base"]   # the site is gone: anything not in the archive would fail
    first_warc = sorted((runs["out"] / SPIDER / "warc").glob("*.warc.gz"))[0]
    replay = run_scrapy(["crawl", SPIDER, "-a", f"base_url={base}"], tmp_path / "replay",
                        {"REPLAY_WARC": str(first_warc)})
    assert replay.returncode == 0, replay.stderr[-3000:]
    report = report_of(tmp_path / "replay")
    assert (report["new"], report["failed"]) == (2, 0)
    assert without_bytes(report["requisites"]) == REQUISITES_SECTION
    original = {r["url"]: r for r in warc_records([first_warc]) if r["type"] == "response"}
    replayed = {r["url"]: r for r in warc_records(replay.warcs(SPIDER)) if r["type"] == "response"}
    for path in [*REQUISITES, MISSING]:
        url = base + path
        assert replayed[url]["payload"] == original[url]["payload"], path   # byte for byte as archived
        assert replayed[url]["status"] == original[url]["status"]
    stats = replay.stats()
    assert stats.get("newsbot/replay/missing", 0) == stats.get("newsbot/replay/missing_requisites", 0) == 0


def test_replaying_an_archive_made_without_requisites_counts_them_apart_from_missing_pages(tmp_path):
    from .conftest import REPO

    # the offline demo's sample archive predates requisites: its stylesheet and photo are not in it
    result = run_scrapy(["crawl", "gginews"], tmp_path / "out",
                        {"REPLAY_WARC": str(REPO / "samples" / "gginews-sample.warc.gz")})
    assert result.returncode == 0, result.stderr[-3000:]
    stats = result.stats()
    assert stats.get("newsbot/replay/missing", 0) == 0 and stats["newsbot/replay/missing_requisites"] == 2
    section = report_of(tmp_path / "out", site="gginews")["requisites"]
    assert (section["fetched"], section["failed"], section["failure_causes"]) == (
        {}, {"css": 1, "image": 1}, {"not_in_archive": 2})
    assert report_of(tmp_path / "out", site="gginews")["exit_status"] == 0
    assert "Not in the archive" not in result.stderr            # the pages' warning line is for pages
    assert result.stderr.count("Requisite not archived:") == 2   # one line each


@pytest.mark.parametrize("mode, fetched", [
    ("images", {"/news/photo/202404/900201_1.jpg", "/news/thumbnail/900201_v150.jpg",
                "/news/photo/202404/900202_1.png", MISSING}),
    ("none", set()),
])
def test_the_setting_chooses_what_is_captured(mode, fetched, tmp_path):
    with LocalSite(load_routes(FOLDER)) as site:
        result = run_scrapy(["crawl", SPIDER, "-a", f"base_url={site.base_url}"], tmp_path / "out",
                            {"REQUISITES": mode})
        seen = set(site.requests)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = {"/robots.txt", "/rss/allArticle.xml", "/news/articleList.html?view_type=sm",
             "/news/articleList.html?view_type=sm&page=2", *ARTICLES}
    assert seen == pages | fetched
    section = report_of(tmp_path / "out")["requisites"]
    assert section["mode"] == mode
    assert sum(section["fetched"].values()) + sum(section["failed"].values()) == len(fetched)


def test_an_unknown_setting_value_is_a_usage_error(tmp_path):
    result = run_scrapy(["crawl", SPIDER], tmp_path / "out", {"REQUISITES": "everything"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "newsbot: error: REQUISITES: 'everything' is not one of none, images, images+css")
    assert not (tmp_path / "out").exists()


def test_photos_on_a_cdn_host_are_fetched_under_that_host_s_robots_txt(tmp_path):
    # The outlet on 127.0.0.1, its photo CDN on 127.0.0.2 (another host: Scrapy's offsite
    # rule would drop it; requisites the page names pass).  The CDN's own robots.txt shuts
    # one folder.  Nothing on either host but what the page names is fetched.
    photo = (FOLDER / "900201_1.jpg").read_bytes()
    with LocalSite({"/robots.txt": Route(body=b"User-agent: *\nDisallow: /originals/\n", content_type="text/plain"),
                    "/photo/1.jpg": Route(body=photo, content_type="image/jpeg"),
                    "/originals/1.jpg": Route(body=photo, content_type="image/jpeg")}, host="127.0.0.2") as cdn:
        article = (FOLDER / "view_900201.html").read_text(encoding="utf-8").replace(
            "/news/photo/202404/900201_1.jpg", cdn.url("/photo/1.jpg")).replace(
            "/news/thumbnail/900201_v150.jpg", cdn.url("/originals/1.jpg")).replace(
            '<link rel="stylesheet" href="/css/style.css">', f'<link rel="stylesheet" href="file:///etc/hostname">')
        with LocalSite({"/news/articleView.html?idxno=900201": Route(body=article.encode())}) as outlet:
            result = run_scrapy(["crawl", SPIDER, "-a", f"base_url={outlet.base_url}",
                                 "-a", f"urls={outlet.url(ARTICLES[0])}"], tmp_path / "out",
                                env={"no_proxy": "127.0.0.1,127.0.0.2", "NO_PROXY": "127.0.0.1,127.0.0.2"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert cdn.requests == ["/robots.txt", "/photo/1.jpg"], (cdn.requests, result.stderr[-4000:])
    assert outlet.requests == ["/robots.txt", ARTICLES[0]]
    section = report_of(tmp_path / "out")["requisites"]
    assert (section["fetched"], section["failed"], section["skipped"]) == ({"image": 1}, {}, {"robots": 1})
    assert section["robots_unavailable"] == 0
    assert "offsite/filtered" not in result.stats()
    (response,) = [r for r in warc_records(result.warcs(SPIDER)) if r["url"] == cdn.url("/photo/1.jpg")
                   and r["type"] == "response"]
    assert response["payload"] == photo


def test_a_requisite_host_whose_robots_txt_cannot_be_read_is_shut_out_without_failing_the_run(tmp_path):
    from newsbot.testing.replay_browser import free_port

    # RFC 9309: an unreachable robots.txt means "disallow all" (newsbot/faults/robots.py); for
    # the outlet itself that is a problem of the run (exit 7), for a photo host it is not
    down = f"http://127.0.0.2:{free_port()}"          # nothing listens there
    article = (FOLDER / "view_900201.html").read_text(encoding="utf-8").replace(
        "/news/photo/202404/900201_1.jpg", down + "/photo/1.jpg")
    with LocalSite({"/news/articleView.html?idxno=900201": Route(body=article.encode())}) as outlet:
        result = run_scrapy(["crawl", SPIDER, "-a", f"base_url={outlet.base_url}", "-a", f"urls={outlet.url(ARTICLES[0])}"],
                            tmp_path / "out", {"REQUISITES": "images"},
                            env={"no_proxy": "127.0.0.1,127.0.0.2", "NO_PROXY": "127.0.0.1,127.0.0.2"})
    assert result.returncode == 0, result.stderr[-3000:]
    report = report_of(tmp_path / "out")
    assert (report["new"], report["failed"], report["exit_status"], report["problems"]) == (1, 0, 0, [])
    section = report["requisites"]
    assert section["robots_unavailable"] == 1 and section["skipped"] == {"robots": 1}   # the photo: not asked for
    assert section["failure_causes"] == {"http_404": 1}      # the og:image thumbnail the outlet lacks
    host = down.removeprefix("http://")
    assert result.stderr.count(f"robots.txt of requisite host {host} refused the connection") == 1
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr
