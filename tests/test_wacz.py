"""``scrapy wacz``: a site's WARCs packed by py-wacz into a WACZ that py-wacz validates and
pywb replays, with the article pages of the JSON Lines records as its pages list.

One fixture outlet (gginews on a LocalSite) is crawled twice per module, the second time
with its state removed, so every article is fetched again and archived as a revisit: two
runs, two WARC files, two crawl reports.  Everything else runs the real ``scrapy wacz``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsbot.testing.localsite import LocalSite, load_routes
from newsbot.testing.replay_browser import Pywb, pywb_installed, pywb_venv
from tests.conftest import FIXTURES, REPO, run_scrapy

PYWB_VENV = pywb_venv(REPO)
PACKED = re.compile(r"WACZ of gginews: (?P<path>\S+) \((?P<warcs>\d+) WARC file\(s\), [^;]+; "
                    r"(?P<pages>\d+) page\(s\)(?P<detected> detected)?(?P<validated>; validated)?; [\d.]+ s\)")
WACZ_CORE = ["indexes/index.cdx.gz", "indexes/index.idx", "pages/pages.jsonl",
             "datapackage.json", "datapackage-digest.json"]


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def py_wacz(*args: str) -> subprocess.CompletedProcess:
    """py-wacz's own command line, from this venv (as a user would run it)."""
    return subprocess.run([str(Path(sys.executable).parent / "wacz"), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Two crawl runs of gginews: ``out``, the runs' WARC files and reports, the JSON records."""
    out = tmp_path_factory.mktemp("wacz") / "out"
    runs = []
    with LocalSite(load_routes(FIXTURES / "gginews")) as site:
        for _ in range(2):
            before = {p.name for p in (out / "gginews").rglob("*")} if out.exists() else set()
            result = run_scrapy(["crawl", "gginews", "-a", f"base_url={site.base_url}"], out)
            assert result.returncode == 0, result.stderr[-3000:]
            new = sorted(p for p in (out / "gginews").rglob("*") if p.name not in before)
            runs.append({"warc": [p for p in new if p.name.endswith(".warc.gz")],
                         "report": [p for p in new if p.parent.name == "reports"],
                         "jsonl": [p for p in new if p.parent.name == "jsonl"]})
            for state in (out / "gginews").glob("state.sqlite3*"):
                state.unlink()      # the next run fetches every article again: revisits
    for run in runs:
        assert len(run["warc"]) == len(run["report"]) == len(run["jsonl"]) == 1
        run["warc"], run["report"] = run["warc"][0], run["report"][0]
        run["records"] = [json.loads(line) for line in run["jsonl"][0].read_text(encoding="utf-8").splitlines()]
        assert len(run["records"]) == 5
    return out, runs


def warc_headers(path: Path) -> dict[str, dict]:
    """record id -> (type, URL, WARC-Date) of every record, read with warcio."""
    with path.open("rb") as fh:
        return {r.rec_headers.get_header("WARC-Record-ID"): {
            "type": r.rec_type, "url": r.rec_headers.get_header("WARC-Target-URI"),
            "date": r.rec_headers.get_header("WARC-Date")} for r in ArchiveIterator(fh)}


def expected_pages(run: dict) -> list[dict]:
    """The pages list a run's articles make: its JSON records, placed by their WARC records."""
    headers = warc_headers(run["warc"])
    pages = []
    for record in run["records"]:
        archived = headers[record["warc_record_id"]]
        when = datetime.strptime(archived["date"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
        pages.append({"id": record["warc_record_id"][len("<urn:uuid:"):-1], "url": archived["url"],
                      "ts": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "title": record["title"]})
    return pages


def pack(out: Path, *args: str):
    result = run_scrapy(["wacz", "gginews", *args], out)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("WACZ of ")]
    packed = PACKED.fullmatch(line)
    assert packed, line
    return result, packed, Path(packed["path"])


def pages_of(wacz: Path) -> tuple[dict, list[dict]]:
    with zipfile.ZipFile(wacz) as archive:
        lines = archive.read("pages/pages.jsonl").decode("utf-8").splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


def by_url_ts(pages):
    return sorted(pages, key=lambda page: (page["url"], page["ts"]))


def test_packs_every_warc_with_index_pages_and_digests_and_passes_validation(archive, tmp_path):
    out, runs = archive
    result, packed, wacz = pack(out, "--validate")
    assert wacz.parent == out / "gginews" / "wacz"
    assert re.fullmatch(r"gginews-\d{8}T\d{6}Z-00000\.wacz", wacz.name)
    assert sorted(p.name for p in wacz.parent.iterdir()) == [wacz.name]    # no partial file left
    assert (packed["warcs"], packed["pages"], packed["detected"], packed["validated"]) == ("2", "10", None, "; validated")
    assert "newsbot: warning" not in result.stderr

    warcs = [run["warc"] for run in runs]
    with zipfile.ZipFile(wacz) as archive_zip:
        members = {info.filename: info for info in archive_zip.infolist()}
        data = {name: archive_zip.read(name) for name in members}
    assert sorted(members) == sorted([f"archive/{w.name}" for w in warcs] + WACZ_CORE)
    for warc in warcs:   # the WARC files whole, byte for byte, stored (not deflated: read by range)
        assert data[f"archive/{warc.name}"] == warc.read_bytes()
        assert members[f"archive/{warc.name}"].compress_type == zipfile.ZIP_STORED

    # datapackage.json: every other member with its size and SHA-256, recomputed here
    package = json.loads(data["datapackage.json"])
    assert package["wacz_version"] == "1.1.1" and package["software"].startswith("py-wacz 0.6")
    assert package["title"] == "gginews: 2 WARC file(s)"
    assert sorted(package["resources"], key=lambda r: r["path"]) == sorted((
        {"name": Path(name).name.lower(), "path": name, "hash": sha256(body), "bytes": len(body)}
        for name, body in data.items() if not name.startswith("datapackage")), key=lambda r: r["path"])
    assert json.loads(data["datapackage-digest.json"]) == {"path": "datapackage.json",
                                                           "hash": sha256(data["datapackage.json"])}

    # the index holds every capture newsbot's own CDXJ lists (responses and revisits), in place
    index = [line.split(" ", 2) for line in gzip.decompress(data["indexes/index.cdx.gz"]).decode().splitlines()]
    indexed = {(key, stamp, fields["filename"], fields["offset"], fields["length"], fields.get("mime"))
               for key, stamp, fields in ((k, s, json.loads(f)) for k, s, f in index)}
    ours = set()
    for warc in warcs:
        for line in warc.with_name(warc.name.replace(".warc.gz", ".cdxj")).read_text().splitlines():
            key, stamp, fields = line.split(" ", 2)
            fields = json.loads(fields)
            ours.add((key, stamp, fields["filename"], fields["offset"], fields["length"], fields.get("mime")))
    assert len(ours) == 2 * 11 and ours <= indexed
    # the second run fetched all eleven again (robots.txt, 3 list pages, 5 articles, and their two
    # requisites, the stylesheet and a photo, 404 on the fixture site): revisits only
    assert {entry for entry in ours if entry[5] == "warc/revisit"} == {e for e in ours if e[2] == warcs[1].name}

    # the pages list: exactly the ten article captures (five per run) with their titles
    header, pages = pages_of(wacz)
    assert header == {"format": "json-pages-1.0", "id": "pages", "title": "Articles"}
    assert by_url_ts(pages) == by_url_ts(expected_pages(runs[0]) + expected_pages(runs[1]))

    # py-wacz's validation passes, and fails once a member differs from its digest
    checked = py_wacz("validate", "-f", str(wacz))
    assert checked.returncode == 0 and "Validation succeeded" in checked.stdout, checked.stdout + checked.stderr
    tampered = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(wacz) as source, zipfile.ZipFile(tampered, "w") as copy:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "pages/pages.jsonl":
                body = body.replace(b'"Articles"', b'"Articlez"')
            copy.writestr(info, body)
    checked = py_wacz("validate", "-f", str(tampered))
    assert checked.returncode == 1, checked.stdout
    assert "Validation failed" in checked.stdout and "does not match the expected hash" in checked.stdout


def test_one_run_by_its_report_or_by_a_stamp(archive, tmp_path):
    out, (first, second) = archive
    _, packed, wacz = pack(out, "--run", second["report"].name, "-o", str(tmp_path / "second.wacz"))
    assert wacz == tmp_path / "second.wacz" and packed["warcs"] == "1"
    with zipfile.ZipFile(wacz) as archive_zip:
        assert sorted(archive_zip.namelist()) == sorted([f"archive/{second['warc'].name}"] + WACZ_CORE)
    assert by_url_ts(pages_of(wacz)[1]) == by_url_ts(expected_pages(second))   # the revisits' times

    stamp = re.search(r"\d{8}T\d{6}Z", first["warc"].name).group()
    for run_name in (stamp, str(first["report"]), first["report"].stem):
        _, packed, wacz = pack(out, "--run", run_name, "-o", str(tmp_path / "first.wacz"))
        with zipfile.ZipFile(wacz) as archive_zip:
            assert [n for n in archive_zip.namelist() if n.startswith("archive/")] == [f"archive/{first['warc'].name}"]
        assert by_url_ts(pages_of(wacz)[1]) == by_url_ts(expected_pages(first))


def test_one_run_by_its_run_id_even_without_its_report(archive, tmp_path):
    out, (first, second) = archive
    run_id = json.loads(first["report"].read_text(encoding="utf-8"))["run_id"]
    _, packed, wacz = pack(out, "--run", run_id, "-o", str(tmp_path / "first.wacz"))
    with zipfile.ZipFile(wacz) as archive_zip:
        assert [n for n in archive_zip.namelist() if n.startswith("archive/")] == [f"archive/{first['warc'].name}"]
    # a run killed before its report: its files still say which run wrote them (warcinfo)
    copy = tmp_path / "out"
    shutil.copytree(out / "gginews", copy / "gginews")
    (copy / "gginews" / "reports" / first["report"].name).unlink()
    _, packed, wacz = pack(copy, "--run", run_id, "-o", str(tmp_path / "killed.wacz"))
    with zipfile.ZipFile(wacz) as archive_zip:
        assert [n for n in archive_zip.namelist() if n.startswith("archive/")] == [f"archive/{first['warc'].name}"]
    assert by_url_ts(pages_of(wacz)[1]) == by_url_ts(expected_pages(first))


def test_a_date_range_selects_files_by_the_day_in_their_names(archive, tmp_path):
    out, runs = archive
    copy = tmp_path / "out"
    shutil.copytree(out / "gginews" / "warc", copy / "gginews" / "warc")
    shutil.copytree(out / "gginews" / "jsonl", copy / "gginews" / "jsonl")
    old = copy / "gginews" / "warc" / "gginews-20240105T101500Z-00000.warc.gz"
    shutil.copyfile(runs[0]["warc"], old)       # a file started on 5 January 2024 (no CDXJ, no records)
    today = runs[0]["warc"].name.split("-")[1][:8]
    today = f"{today[:4]}-{today[4:6]}-{today[6:]}"

    result, packed, wacz = pack(copy, "--since", today, "-o", str(tmp_path / "today" / "x.wacz"))
    with zipfile.ZipFile(wacz) as archive_zip:
        assert sorted(n for n in archive_zip.namelist() if n.startswith("archive/")) == \
            sorted(f"archive/{run['warc'].name}" for run in runs)
    assert packed["pages"] == "10"

    result, packed, wacz = pack(copy, "--since", "2024-01-05", "--until", "2024-01-05",
                                "-o", str(tmp_path / "old.wacz"))
    with zipfile.ZipFile(wacz) as archive_zip:
        assert [n for n in archive_zip.namelist() if n.startswith("archive/")] == [f"archive/{old.name}"]
    # no JSON record points into it: py-wacz detected its pages, the HTML pages other requests
    # referred from: the list pages, and the article pages that named a requisite (71401 its
    # photo; the stylesheet is requested once per run, from whichever article came first)
    detected = [p["url"].split("/", 3)[3] for p in pages_of(wacz)[1]]
    articles = {re.sub(r"&mcode=\w+", "", url) for url in detected if url.startswith("news/view.php")}
    assert {url for url in detected if url.startswith("news/list.php")} == {"news/list.php", "news/list.php?page=2"}
    assert "news/view.php?idx=71401" in articles and len(articles) <= 2
    assert articles <= {f"news/view.php?idx={i}" for i in range(71401, 71406)}
    assert packed["detected"] == " detected" and packed["pages"] == str(len(detected))
    assert result.stderr.count("newsbot: warning") == 2
    assert f"newsbot: warning: {old.name} has no .cdxj beside it" in result.stderr
    assert "newsbot: warning: no article record points into these WARC files" in result.stderr
    assert len(pages_of(wacz)[1]) == len(detected)


@pytest.mark.skipif(not pywb_installed(PYWB_VENV) and not os.environ.get("CI"),
                    reason=f"pywb is not installed in {PYWB_VENV} (`make pywb`; `make test` builds it, so CI runs this)")
def test_pywb_replays_an_article_from_the_wacz(archive, tmp_path):
    out, (first, second) = archive
    _, _, wacz = pack(out, "-o", str(tmp_path / "all.wacz"))
    article = next(r for r in first["records"] if r["article_id"] == "71401")   # sent gzip-encoded
    sent = (FIXTURES / "gginews" / "view_71401.html").read_bytes()
    with Pywb(PYWB_VENV, tmp_path / "pywb") as pywb:
        pywb.add_wacz(wacz)       # the WACZ's WARCs and its own index
        index = (tmp_path / "pywb" / "collections" / "news" / "indexes" / "index.cdxj").read_text()
        assert all(wacz.stem in line.split('"filename": ')[1] for line in index.splitlines())
        pywb.start()
        for run in (first, second):     # the capture, and the later revisit resolved to it
            page = next(p for p in expected_pages(run) if p["url"] == article["url"])
            stamp = re.sub(r"\D", "", page["ts"])
            with urlopen(pywb.replay_url(article["url"], stamp, "id_")) as reply:
                assert reply.status == 200
                body = reply.read()
            assert (gzip.decompress(body) if reply.headers.get("Content-Encoding") == "gzip" else body) == sent
        with urlopen(pywb.replay_url(article["url"], "", "mp_")) as reply:
            page = reply.read()
        page = gzip.decompress(page) if reply.headers.get("Content-Encoding") == "gzip" else page
        assert b"wombat" in page and article["title"].encode("utf-8") in page


def urlopen(url):
    import urllib.request

    return urllib.request.urlopen(url, timeout=20)


def test_usage_errors(archive, tmp_path):
    out, (first, _) = archive
    empty = tmp_path / "empty"
    (empty / "gginews" / "warc").mkdir(parents=True)
    warc_dir = out / "gginews" / "warc"
    stamp_without_run = "20240105T101500Z"
    garbage = tmp_path / "garbage"
    (garbage / "gginews" / "warc").mkdir(parents=True)
    (garbage / "gginews" / "warc" / "gginews-20240105T101500Z-00000.warc.gz").write_bytes(b"<html>a page</html>\n")
    not_a_report = tmp_path / "notes.json"
    not_a_report.write_text('{"site": "gginews"}')
    cases = [
        (out, ["wacz", "gginewz"],
         f"unknown site 'gginewz': no folder {out}/gginewz/warc (sites with WARC files in {out}: gginews)"),
        (out, ["wacz", "../gginews"], "'../gginews' is not a site name (a spider's name: letters, digits, _ . -)"),
        (out, ["wacz"], "usage: scrapy wacz <site> [--run RUN] [--since YYYY-MM-DD] "
                        "[--until YYYY-MM-DD] [-o FILE.wacz]"),
        (empty, ["wacz", "gginews"], f"no WARC files in {empty}/gginews/warc"),
        (garbage, ["wacz", "gginews"], f"none of the selected files in {garbage}/gginews/warc is a readable WARC file"),
        (out, ["wacz", "gginews", "--since", "2024-02-30"], "--since: not a date (YYYY-MM-DD): '2024-02-30'"),
        (out, ["wacz", "gginews", "--until", "20240101"], "--until: not a date (YYYY-MM-DD): '20240101'"),
        (out, ["wacz", "gginews", "--since", "2024-03-02", "--until", "2024-03-01"],
         "--since 2024-03-02 is after --until 2024-03-01"),
        (out, ["wacz", "gginews", "--until", "2001-01-01"],
         "no WARC file of gginews was started between the first and 2001-01-01 (UTC days, from the times in the file names)"),
        (out, ["wacz", "gginews", "--run", first["report"].name, "--since", "2024-01-01"],
         "--run selects one run: it cannot be combined with --since/--until"),
        (out, ["wacz", "gginews", "--run", "nosuchreport"],
         f"--run nosuchreport: no such crawl report or run (a report file or its name in {out}/gginews/reports, "
         f"a run id like 20261122T014351Z-5f3a9c01, or a UTC time stamp like 20261122T014351Z)"),
        (out, ["wacz", "gginews", "--run", stamp_without_run],
         f"--run {stamp_without_run}: no crawl report in {out}/gginews/reports covers that time (a run killed "
         f"before its end wrote none): select its WARC files with --since/--until"),
        (out, ["wacz", "gginews", "--run", str(not_a_report)],
         f"--run {not_a_report}: not a crawl report (KeyError: 'started_at')"),
        (out, ["wacz", "gginews", "-o", str(tmp_path / "x.zip")],
         f"-o {tmp_path / 'x.zip'}: a WACZ file name ends in .wacz (replay tools go by it)"),
    ]
    for output_dir, args, message in cases:
        before = sorted(output_dir.rglob("*"))
        result = run_scrapy(args, output_dir)
        assert result.returncode == 2, (args, result.stderr[-2000:])
        assert "Traceback" not in result.stderr
        assert [line for line in result.stderr.splitlines() if "error" in line] == [f"newsbot: error: {message}"]
        assert sorted(output_dir.rglob("*")) == before          # nothing written
    assert warc_dir.is_dir()
