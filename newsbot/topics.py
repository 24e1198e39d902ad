"""Topic tags for what local-government news is read for: keyword rules, explainable.

Each topic is a list of terms.  Text is compared with spaces removed (``부패 취약분야``
and ``부패취약 분야`` are one term), longest term first and without overlaps (``반부패``
counts once, not also as ``부패``).  A topic is tagged when its terms occur at least
once in the title or at least :data:`MIN_BODY_HITS` times in title and body together;
the record carries the terms that matched and how often, so every tag can be checked.
The rules are documented, with the reasons for what is left out, in docs/records.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MIN_BODY_HITS = 2


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    terms: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic("integrity", "청렴·반부패", (
        "청렴", "반부패", "부패", "부패취약", "청탁금지", "부정청탁", "김영란법", "이해충돌", "공직기강",
        "갑질", "공익신고", "부패신고", "국민권익위원회", "권익위", "청렴도", "행동강령", "금품수수",
    )),
    Topic("budget", "예산·재정", (
        "예산", "예산안", "본예산", "추경", "추가경정", "세입", "세출", "지방재정", "재정자립도",
        "국비", "도비", "지방채", "교부세", "보통교부세", "특별교부세", "기금운용", "결산",
    )),
    Topic("ordinance", "조례·자치법규", (
        "조례", "조례안", "자치법규", "입법예고", "시행규칙", "조례개정", "조례제정",
    )),
    Topic("personnel", "인사·조직", (
        "인사발령", "정기인사", "인사이동", "인사위원회", "승진", "임용", "임명", "전보", "채용",
        "공무원채용", "조직개편", "정원", "퇴임", "취임",
    )),
    Topic("welfare", "복지", (
        "복지", "사회복지", "기초생활", "수급자", "취약계층", "돌봄", "긴급복지", "기초연금",
        "아동수당", "장애인", "노인일자리", "저소득", "한부모", "독거노인", "경로당",
    )),
)

# Terms that would contain a topic term but mean something else (kept out of the match):
# 예산군 (a county), 정원 also means garden: 정원박람회/정원도시.
EXCLUDED = ("예산군", "정원박람회", "정원도시", "국가정원", "정원사")


@lru_cache(maxsize=1)
def _compiled() -> tuple[re.Pattern, dict[str, Topic]]:
    topic_of: dict[str, Topic] = {}
    for topic in TOPICS:
        for term in topic.terms:
            topic_of[term] = topic
    words = sorted([*topic_of, *EXCLUDED], key=len, reverse=True)
    # re tries each of the ~90 alternatives at every position; a lookahead for a possible
    # first and second letter turns most positions away first (same matches: every word
    # has two letters or more).
    firsts, seconds = ({w[i] for w in words} for i in (0, 1))
    screen = f"(?=[{''.join(sorted(firsts))}][{''.join(sorted(seconds))}])"
    return re.compile(screen + "(?:" + "|".join(re.escape(w) for w in words) + ")"), topic_of


def _hits(text: str) -> list[str]:
    pattern, topic_of = _compiled()
    # "".join(split()): the same whitespace as re's \s (both str.isspace), 3x faster than re.sub
    return [term for term in pattern.findall("".join(text.split())) if term in topic_of]


def tag_topics(title: str | None, body: str | None) -> list[dict]:
    """``[{"topic", "label", "terms": {term: count}, "hits", "in_title"}]``, strongest first."""
    _, topic_of = _compiled()
    title_hits = _hits(title or "")
    # One pass over the hits (title first): each topic's terms in order of first occurrence.
    terms_by_topic: dict[Topic, dict[str, int]] = {}
    for term in title_hits + _hits(body or ""):
        terms = terms_by_topic.setdefault(topic_of[term], {})
        terms[term] = terms.get(term, 0) + 1
    in_title = {topic_of[term] for term in title_hits}
    tags = []
    for topic in TOPICS:
        terms = terms_by_topic.get(topic, {})
        hits = sum(terms.values())
        if topic in in_title or hits >= MIN_BODY_HITS:
            tags.append({"topic": topic.key, "label": topic.label, "terms": terms, "hits": hits,
                         "in_title": topic in in_title})
    tags.sort(key=lambda t: (not t["in_title"], -t["hits"]))
    return tags
