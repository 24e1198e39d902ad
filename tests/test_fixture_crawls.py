"""Every fixture site (``tests/fixtures/*/`` with ``routes.json`` and ``expected.json``)
crawled end to end: real ``scrapy crawl`` against the site served on 127.0.0.1, records,
report, stats, requests and log compared with ``expected.json`` (see tests/fixture_cases.py),
and what every crawl must give checked on each: records in the schema's key order, each
pointing at the WARC response record of its URL; every WARC record's digests check (what
``warcio check`` does); the latest view holds exactly the records written; every file is
named after the site and the time only, inside OUTPUT_DIR/<site>/ (whatever a page's title
or URL tries: tests/fixtures/hostile_names/).

The crawls run once per session, side by side (``fixture_crawls`` in tests/conftest.py).
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsbot.identity import content_digest
from newsbot.pipelines.jsonlines import RECORD_FIELDS

from .fixture_cases import fixture_cases, log_lines, with_base

CASES = [case for case in fixture_cases() if case.crawls]
IDS = [case.name for case in CASES]


@pytest.fixture
def done(request, fixture_crawls):
    crawled = fixture_crawls[request.param.name]
    assert crawled.result.returncode == crawled.case.exit_status, crawled.result.stderr[-3000:]
    return crawled


@pytest.mark.parametrize("done", CASES, ids=IDS, indirect=True)
def test_fixture_crawl(done):
    case, result = done.case, done.result
    expected = with_base(
        {"records": case.records, "report": case.report, "stats": case.stats, "requests": case.requests,
         "requested": case.requested, "not_requested": case.not_requested, "request_order": case.request_order,
         "log": case.log, "log_lines": case.log_lines},
        done.base,
    )
    records = {r["article_id"]: r for r in result.records(case.site)}
    assert len(records) == len(result.records(case.site)), "an article written twice"
    assert sorted(records) == sorted(expected["records"])
    for article_id, fields in expected["records"].items():
        assert {f: records[article_id].get(f) for f in fields} == fields, article_id
    report = result.report()
    assert {f: report.get(f) for f in expected["report"]} == expected["report"]
    assert {name: report["stats"].get(name) for name in expected["stats"]} == expected["stats"]
    if expected["requests"] is not None:
        assert Counter(done.requests) == Counter(expected["requests"])
    assert [r for r in expected["requested"] if r not in done.requests] == []
    assert [r for r in expected["not_requested"] if r in done.requests] == []
    assert [r for r in done.requests if r in expected["request_order"]] == expected["request_order"]
    assert [text for text in expected["log"] if text not in result.stderr] == []
    for key, lines in expected["log_lines"].items():
        assert log_lines(result.stderr, key) == sorted(lines), key


@pytest.mark.parametrize("done", CASES, ids=IDS, indirect=True)
def test_fixture_crawl_records_point_at_their_warc_response_records(done):
    site = done.case.site
    responses = {}
    for warc in done.result.warcs(site):
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    headers = record.rec_headers
                    responses[headers.get_header("WARC-Record-ID")] = (warc.name, headers.get_header("WARC-Target-URI"))
    records = done.result.records(site)
    assert records
    for record in records:
        assert list(record)[:len(RECORD_FIELDS)] == list(RECORD_FIELDS)
        assert responses[record["warc_record_id"]] == (record["warc_filename"], record["url"])
        # identity: the id names the article, the digest its content fields as written
        assert record["id"] == f"{site}:{record['article_id']}"
        assert record["content_digest"] == content_digest(record)


@pytest.mark.parametrize("done", CASES, ids=IDS, indirect=True)
def test_fixture_crawl_warc_digests_check(done):
    """What ``warcio check`` does, in-process: every block and payload digest recomputed."""
    checked = Counter()
    warcs = done.result.warcs(done.case.site)
    assert warcs
    for warc in warcs:
        with warc.open("rb") as fh:
            archive = ArchiveIterator(fh, check_digests=True)
            for record in archive:
                record.content_stream().read()
                passed = record.digest_checker.passed
                assert passed is not False, (warc.name, record.rec_headers.get_header("WARC-Record-ID"),
                                             record.digest_checker.problems)
                checked[record.rec_type, passed] += 1
    # every request, response and metadata record carries a digest that was checked and passed
    assert {kind for kind, passed in checked if passed is not True} <= {"warcinfo", "revisit"}, checked
    assert checked["response", True] >= len(done.result.records(done.case.site))


@pytest.mark.parametrize("done", CASES, ids=IDS, indirect=True)
def test_fixture_crawl_latest_view_holds_the_records_written(done):
    folder = done.result.output_dir / done.case.site
    written = [line for path in sorted((folder / "jsonl").glob("*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines()]
    # the very lines written (one version each here), ordered by id; no temp file left
    latest = (folder / "latest.jsonl").read_text(encoding="utf-8").splitlines()
    assert latest == sorted(written, key=lambda line: json.loads(line)["id"])
    assert sorted(p.name for p in folder.glob("*latest*")) == ["latest.jsonl", "latest.sqlite3"]


@pytest.mark.parametrize("done", CASES, ids=IDS, indirect=True)
def test_fixture_crawl_names_its_files_after_the_site_and_the_time_only(done):
    out, site = done.result.output_dir, done.case.site
    stamped = rf"{re.escape(site)}-\d{{8}}T\d{{6}}Z-\d{{5}}\.[a-z.]+"
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert {p.parts[0] for p in files} == {site}
    odd = [str(p) for p in files if not re.fullmatch(rf"{stamped}|[a-z_]+\.(sqlite3|jsonl|json|lock)(-wal|-shm)?", p.name)]
    assert odd == []
    assert all(p.resolve().is_relative_to(out.resolve()) for p in out.rglob("*"))
