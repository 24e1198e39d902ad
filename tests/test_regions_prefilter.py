"""The region pattern's two-letter lookahead only skips positions: it finds exactly the
matches of the same pattern without it, on text made of gazetteer names, near-names and
Hangul around them."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from newsbot.regions import _alternation, _district_alternation, default_resolver

resolver = default_resolver()
WITHOUT_PREFILTER = re.compile(
    r"(?<![가-힣])(?:(?P<prefix>" + _alternation(resolver.sido_by_prefix) + r")\s*)?"
    r"(?P<district>" + _district_alternation(resolver.by_surface) + ")"
    r"|(?<![가-힣])(?P<sido>" + _alternation(resolver.sido_by_form) + ")"
)
NAMES = sorted({*resolver.sido_by_prefix, *resolver.by_surface, *resolver.sido_by_form})
pieces = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(NAMES).map(lambda n: n[:-1]),          # a name cut short
    st.sampled_from(NAMES).map(lambda n: n[1:]),           # a name without its first letter
    st.sampled_from([" ", "  ", "\n", "·", "(", ")", "청", "는", "에서", "시청", "구청장", "도의회", "2024"]),
)


def matches(pattern, text):
    return [(m.span(), m.group("prefix"), m.group("district"), m.group("sido")) for m in pattern.finditer(text)]


@settings(max_examples=400, deadline=None)
@given(st.lists(pieces, max_size=30).map("".join))
def test_prefiltered_pattern_finds_exactly_what_the_plain_one_does(text):
    assert matches(resolver.pattern, text) == matches(WITHOUT_PREFILTER, text)


def test_a_sentence_with_prefix_district_and_sido():
    text = "경기도 수원시와 인천 중구, 그리고 서울특별시에서"
    assert [m.group(0) for m in resolver.pattern.finditer(text)] == ["경기도 수원시", "인천 중구", "서울특별시"]
    assert matches(resolver.pattern, text) == matches(WITHOUT_PREFILTER, text)
