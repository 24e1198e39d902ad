"""The article schema: it is a valid JSON Schema, it accepts a good record and rejects
each kind of bad one with a message naming the field."""

import copy
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from newsbot.pipelines.jsonlines import RECORD_FIELDS
from newsbot.schema import SCHEMA_VERSION, SCHEMA_VERSIONS, article_schema, record_errors, validate_record

REPO = Path(__file__).resolve().parent.parent

GOOD = {
    "schema_version": "1.2", "id": "gginews:71401", "version": 1,
    "content_digest": "sha256:" + "ab" * 32, "site": "gginews", "article_id": "71401",
    "url": "http://www.gginews.kr/news/view.php?idx=71401&mcode=m11",
    "canonical_url": "http://www.gginews.kr/news/view.php?idx=71401", "section": "m11",
    "title": "하남시, 청렴 실천 다짐대회", "subtitle": None, "author": "김하늘",
    "published_at": "2024-08-06T07:38:57+09:00", "published_at_raw": "기사등록 2024-08-06 07:38:57",
    "modified_at": None, "modified_at_raw": None, "body": "첫 문단\n둘째 문단", "body_en": None,
    "captions": ["사진 설명"], "images": ["http://www.gginews.kr/data/news/71401_1.jpg"],
    "regions": [
        {"name": "경기도 하남시", "code": "41450", "level": "sigungu", "sido": "경기도", "sido_code": "41",
         "matched": ["하남시"], "mentions": 2, "in_title": True, "resolved_by": "unique",
         "ambiguous": False, "candidates": []},
        {"name": "중구", "code": None, "level": "sigungu", "sido": None, "sido_code": None,
         "matched": ["중구"], "mentions": 1, "in_title": False, "resolved_by": None, "ambiguous": True,
         "candidates": [{"name": "서울특별시 중구", "code": "11140"}, {"name": "부산광역시 중구", "code": "26110"}]},
    ],
    "topics": [{"topic": "integrity", "label": "청렴·반부패", "terms": {"청렴": 2}, "hits": 2, "in_title": True}],
    "crawled_at": "2026-11-22T00:21:15+00:00",
    "warc_filename": "gginews-20261122T002115Z-00000.warc.gz",
    "warc_record_id": "<urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e>",
    "extraction_warnings": [],
    "provenance": {"title": "selector", "subtitle": None, "author": "metadata:dable:author",
                   "published_at": "label", "modified_at": "metadata:json-ld:dateModified", "section": "url:mcode",
                   "body": "main_content:trafilatura", "captions": "label", "images": "main_content:trafilatura"},
    "reparsed_at": None,
}
#: a record newsbot wrote before provenance (schema 1.0): still valid
GOOD_1_0 = {**{k: v for k, v in GOOD.items() if k not in ("provenance", "reparsed_at")}, "schema_version": "1.0"}
#: a record newsbot wrote before reparsed_at (schema 1.1): still valid
GOOD_1_1 = {**{k: v for k, v in GOOD.items() if k != "reparsed_at"}, "schema_version": "1.1"}


def broken(path, value=..., delete=False):
    record = copy.deepcopy(GOOD)
    *parents, last = path
    target = record
    for key in parents:
        target = target[key]
    if delete:
        del target[last]
    else:
        target[last] = value
    return record


def test_schema_is_valid_2020_12_and_versioned():
    Draft202012Validator.check_schema(article_schema())
    assert SCHEMA_VERSION == "1.2"
    assert SCHEMA_VERSIONS == ("1.0", "1.1", "1.2")
    assert article_schema()["$id"].endswith("/article/1.2")


def test_good_record_passes():
    assert record_errors(GOOD) == []
    validate_record(GOOD)


def test_a_1_0_record_without_provenance_stays_valid_a_1_1_record_needs_it():
    assert record_errors(GOOD_1_0) == []
    assert record_errors({**GOOD_1_0, "schema_version": "1.1"}) == ["(record): 'provenance' is a required property"]


def test_a_1_1_record_without_reparsed_at_stays_valid_a_1_2_record_needs_it():
    assert record_errors(GOOD_1_1) == []
    assert record_errors({**GOOD_1_1, "schema_version": "1.2"}) == ["(record): 'reparsed_at' is a required property"]
    assert record_errors({**GOOD, "reparsed_at": "2026-12-07T20:00:00+00:00"}) == []
    assert record_errors({**GOOD, "reparsed_at": "yesterday"}) == [
        "reparsed_at: 'yesterday' is not valid under any of the given schemas"]


@pytest.mark.parametrize("field, value, message", [
    ("body", "trafilatura", "provenance/body: 'trafilatura' is not valid under any of the given schemas"),
    ("author", "metadata:", "provenance/author: 'metadata:' is not valid under any of the given schemas"),
    ("section", "url", "provenance/section: 'url' is not valid under any of the given schemas"),
])
def test_provenance_values_follow_the_layer_vocabulary(field, value, message):
    assert record_errors(broken(["provenance", field], value)) == [message]
    assert record_errors(broken(["provenance", "regions"], "selector")) == [
        "provenance: Additional properties are not allowed ('regions' was unexpected)"]


def test_unknown_extra_fields_are_allowed_at_the_top_level_only():
    assert record_errors({**GOOD, "some_later_field": 1}) == []
    assert record_errors(broken(["regions", 0, "population"], 1)) == [
        "regions/0: Additional properties are not allowed ('population' was unexpected)"]


@pytest.mark.parametrize("path, value, delete, message", [
    (["id"], None, True, "(record): 'id' is a required property"),
    (["version"], None, True, "(record): 'version' is a required property"),
    (["schema_version"], "2.0", False, "schema_version: '2.0' is not one of ['1.0', '1.1', '1.2']"),
    (["id"], "71401", False, "id: '71401' does not match '^[a-z0-9_-]+:[^\\\\s]+$'"),
    (["version"], 0, False, "version: 0 is less than the minimum of 1"),
    (["content_digest"], "md5:abc", False, "content_digest: 'md5:abc' does not match '^sha256:[0-9a-f]{64}$'"),
    (["published_at"], "2024-08-06 07:38", False, "published_at: '2024-08-06 07:38' is not valid under any of the given schemas"),
    (["body"], None, False, "body: None is not of type 'string'"),
    (["images", 0], "data/71401_1.jpg", False, "images/0: 'data/71401_1.jpg' does not match '^https?://[^\\\\s]+$'"),
    (["regions", 0, "code"], "4145", False, "regions/0/code: '4145' does not match '^\\\\d{5}$'"),
    (["regions", 0, "code"], None, False, "regions/0/code: None is not of type 'string'"),
    (["regions", 1, "candidates"], [], False, "regions/1/candidates: [] is too short"),
    (["regions", 1, "code"], "11140", False, "regions/1/code: '11140' is not of type 'null'"),
    (["topics", 0, "topic"], "sports", False,
     "topics/0/topic: 'sports' is not one of ['integrity', 'budget', 'ordinance', 'personnel', 'welfare']"),
    (["topics", 0, "terms"], {}, False, "topics/0/terms: {} should be non-empty"),
])
def test_bad_records_fail_with_a_message_naming_the_field(path, value, delete, message):
    record = broken(path, value, delete)
    assert record_errors(record) == [message]
    with pytest.raises(ValueError, match="breaks article.schema.json 1.2"):
        validate_record(record)


def test_every_field_the_json_lines_writer_emits_is_in_the_schema():
    properties = article_schema()["properties"]
    assert list(RECORD_FIELDS) == list(properties)  # same fields, same order as documented
    # every field but provenance and reparsed_at, which only records since 1.1 and 1.2 must carry
    assert set(article_schema()["required"]) == set(RECORD_FIELDS) - {"provenance", "reparsed_at"}
    assert article_schema()["else"] == {"required": ["provenance"]}
    assert article_schema()["allOf"][0]["else"] == {"required": ["reparsed_at"]}


def test_every_field_is_documented_in_docs_records_md():
    doc = (REPO / "docs" / "records.md").read_text(encoding="utf-8")
    for field in article_schema()["properties"]:
        assert f"| `{field}` |" in doc, field
