"""Property tests: the date parser, every family's page object and the normalizer take
random and mutated input and return a value or a flagged warning, never an exception."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import newsbot.cms
from newsbot.dates import DateParseError, parse_kst
from newsbot.extract.base import ArticlePage
from newsbot.normalize import normalize_article
from tests.conftest import FIXTURES

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def page_classes() -> list[type[ArticlePage]]:
    """Every ArticlePage subclass of every CMS module (newsbot.cms: CMSes are added over time)."""
    for module in pkgutil.iter_modules(newsbot.cms.__path__):
        importlib.import_module(f"newsbot.cms.{module.name}")
    found, stack = [], [ArticlePage]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub.__module__.startswith("newsbot.cms") and sub not in found:
                found.append(sub)
                stack.append(sub)
    return sorted(found, key=lambda c: c.__module__ + "." + c.__qualname__)


FIXTURE_PAGES = sorted(p for p in FIXTURES.rglob("*.htm*"))
DATE_PIECES = st.sampled_from(
    ["기사등록", "입력", "수정", "2024", "24", "-", ".", "/", "년", "월", "일", " ", "08", "13", "32", "00",
     ":", "오후", "오전", "[", "]", "(월)", "T", "Z", "+09:00", "Tue,", "Aug", "GMT", "99999999999", "\x00", "٣"]
)
DATE_TEXT = st.one_of(st.text(max_size=60), st.lists(DATE_PIECES, max_size=14).map("".join))


@FAST
@given(DATE_TEXT)
def test_parse_kst_returns_a_date_or_a_date_parse_error(text):
    try:
        value = parse_kst(text)
    except DateParseError:
        return
    assert isinstance(value, datetime) and value.tzinfo is not None


def mutate(data: bytes, cuts: list[tuple[int, int, bytes]]) -> bytes:
    """Apply (position, delete length, insertion) edits: truncations, byte flips, stray tags."""
    out = bytearray(data)
    for position, length, insert in cuts:
        at = position % (len(out) + 1)
        out[at:at + length] = insert
    return bytes(out)


EDITS = st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(0, 400),
              st.one_of(st.binary(max_size=12), st.sampled_from([b"<", b">", b"</div>", b"<p", b"\xed\xa0", b"&#0;",
                                                                b"<!--", b"\x00", b"<script>", b"\xff\xfe"]))),
    max_size=8,
)


def extract_and_normalize(cls, html, url="http://127.0.0.1/news/view.php?idx=1"):
    raw = cls.from_html(html, url).to_dict()
    record = normalize_article(raw)
    assert isinstance(record["extraction_warnings"], list)
    assert record["body"] is not None and isinstance(record["captions"], list)
    return record


@pytest.mark.parametrize("cls", page_classes(), ids=lambda c: c.__name__)
@FAST
@given(page=st.sampled_from(FIXTURE_PAGES), edits=EDITS)
def test_page_objects_survive_mutated_fixture_pages(cls, page, edits):
    html = mutate(page.read_bytes(), edits)
    extract_and_normalize(cls, html)
    extract_and_normalize(cls, html.decode("utf-8", "replace"))


@pytest.mark.parametrize("cls", page_classes(), ids=lambda c: c.__name__)
@FAST
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)), st.sampled_from(
    ["http://127.0.0.1/news/view.php?idx=1", "http://127.0.0.1/", "http://127.0.0.1/news/articleView.html?idxno=x",
     "http://127.0.0.1/bbs/board.php?bo_table=news&wr_id=%ff"]))
def test_page_objects_survive_random_input(cls, html, url):
    extract_and_normalize(cls, html, url)


RAW_FIELD = st.one_of(st.none(), st.text(max_size=40), DATE_TEXT)


@FAST
@given(st.fixed_dictionaries(
    {"url": st.just("http://127.0.0.1/a"), "title": RAW_FIELD, "subtitle": RAW_FIELD, "author": RAW_FIELD,
     "published_at_raw": RAW_FIELD, "modified_at_raw": RAW_FIELD, "body": RAW_FIELD, "section": RAW_FIELD,
     "captions": st.lists(st.text(max_size=20), max_size=3), "images": st.lists(st.text(max_size=20), max_size=3)}))
def test_normalize_article_flags_instead_of_failing(raw):
    record = normalize_article(raw)
    for field in ("title", "published_at", "body"):
        assert bool(record.get(field)) or field in record["extraction_warnings"]


def test_every_cms_is_fuzzed():
    names = [c.__name__ for c in page_classes()]
    assert {"McodeArticle", "BreaknewsArticle", "NcodeArticle", "GnuboardArticle", "NdsoftArticle"} <= set(names)


@pytest.mark.parametrize("cls", page_classes(), ids=lambda c: c.__name__)
@pytest.mark.parametrize("html", [b"", "", b"\x00", " "])
def test_empty_pages_give_all_required_fields_as_warnings(cls, html):
    record = extract_and_normalize(cls, html)
    assert record["extraction_warnings"] == ["title", "published_at", "body"]
