"""Canonical URLs keep every byte of every query value: a value is bytes the server reads
in its own charset (EUC-KR categories on gnuboard boards), never text to re-encode.
Property tests over random bytes; the gnuboard end to end case is the fixture folder
tests/fixtures/firstnews_euckr/ (its record URLs and requests keep ``sca=%B0%E6%B1%E2``)."""

from __future__ import annotations

from urllib.parse import quote_from_bytes, unquote_to_bytes

from hypothesis import given, settings
from hypothesis import strategies as st

from newsbot.cms.gnuboard import GnuboardUrls
from newsbot.urls import TRACKING_PARAMS, canonicalize_url

PROPERTY = settings(max_examples=300, deadline=None)

NAMES = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
# bytes as a server may read them: any byte, percent-encoded; some printable ones left bare
# (as links often carry them), never the query's own separators
BARE_SAFE = st.sampled_from(["", "-._~", "-._~!$'()*,;:@/?"])


def query_values(canonical: str) -> dict[str, list[bytes]]:
    """Each parameter's values as bytes, decoded the way a server decodes a query."""
    query = canonical.partition("?")[2]
    values: dict[str, list[bytes]] = {}
    for pair in filter(None, query.split("&")):
        name, _, value = pair.partition("=")
        values.setdefault(unquote_to_bytes(name).decode("utf-8"), []).append(
            unquote_to_bytes(value.replace("+", "%20")))
    return values


@PROPERTY
@given(st.dictionaries(NAMES, st.binary(max_size=24), min_size=1, max_size=6), BARE_SAFE)
def test_every_value_decodes_back_to_its_bytes(params, safe):
    params = {name: value for name, value in params.items() if name not in TRACKING_PARAMS}
    query = "&".join(f"{name}={quote_from_bytes(value, safe=safe)}" for name, value in params.items())
    canonical = canonicalize_url(f"http://Example.TEST/bbs/board.php?{query}#frag")
    assert canonical.startswith("http://example.test/bbs/board.php") and "#" not in canonical
    assert query_values(canonical) == {name: [value] for name, value in params.items()}
    assert canonicalize_url(canonical) == canonical                  # idempotent


@PROPERTY
@given(st.lists(st.tuples(st.one_of(NAMES, st.sampled_from(sorted(GnuboardUrls.canonical_drop_params)),
                                    st.sampled_from(["utm_source", "UTM_Medium", "fbclid"])),
                          st.binary(max_size=12)), min_size=1, max_size=8))
def test_dropped_names_go_and_every_other_pair_stays(pairs):
    query = "&".join(f"{name}={quote_from_bytes(value)}" for name, value in pairs)
    canonical = GnuboardUrls.canonicalize(f"http://example.test/bbs/board.php?{query}")
    dropped = TRACKING_PARAMS | GnuboardUrls.canonical_drop_params
    expected: dict[str, list[bytes]] = {}
    for name, value in sorted(pairs, key=lambda p: p[0]):
        if name.lower() not in dropped:
            expected.setdefault(name, []).append(value)
    found = query_values(canonical)
    assert {name: sorted(values) for name, values in found.items()} == \
           {name: sorted(values) for name, values in expected.items()}
    assert GnuboardUrls.canonicalize(canonical) == canonical


def test_an_euc_kr_category_keeps_its_bytes():
    url = "http://example.test/bbs/board.php?bo_table=a&sca=%B0%E6%B1%E2&wr_id=5"
    assert canonicalize_url(url) == url            # was sca=%EF%BF%BD%EF%BF%BD%EF%BF%BD
    # a CMS that drops the category from its canonical URL drops it whole, bytes and all
    assert GnuboardUrls.canonicalize(url) == "http://example.test/bbs/board.php?bo_table=a&wr_id=5"
    assert GnuboardUrls.article_id(url) == "5"
