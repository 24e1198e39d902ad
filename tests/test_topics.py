"""Topic tags: keyword rules with the matched terms in the record (text written for these tests)."""

from newsbot.topics import MIN_BODY_HITS, TOPICS, tag_topics


def test_integrity_article_lists_the_terms_that_matched():
    tags = tag_topics(
        "안산시, 청렴 추진단 출범…반부패 회의 열어",
        "시는 부패 취약 분야 개선 대책을 논의했다.\n청탁금지법 위반 사례도 공유했다.\n청렴도 향상을 다짐했다.",
    )
    assert tags == [{
        "topic": "integrity", "label": "청렴·반부패",
        "terms": {"청렴": 1, "반부패": 1, "부패취약": 1, "청탁금지": 1, "청렴도": 1},
        "hits": 5, "in_title": True,
    }]


def test_each_topic_on_its_own_text():
    cases = {
        "budget": ("내년 본예산 1조2천억 편성", "세출 예산안을 의회에 제출했다."),
        "ordinance": ("주민참여 조례 개정안 입법예고", "조례안은 다음 달 의회에 상정된다."),
        "personnel": ("하반기 정기인사 단행", "5급 승진 12명, 전보 80명 규모다."),
        "welfare": ("취약계층 겨울나기 지원", "기초생활 수급자와 독거노인에게 난방비를 지원한다."),
    }
    for topic, (title, body) in cases.items():
        assert [t["topic"] for t in tag_topics(title, body)] == [topic], topic


def test_exact_terms_and_counts_for_a_mixed_article():
    tags = tag_topics("청렴 조례 제정", "구는 청렴 조례를 제정하고 복지 예산을 늘렸다. 복지 분야 예산은 10% 늘었다.")
    assert [(t["topic"], t["terms"], t["hits"], t["in_title"]) for t in tags] == [
        ("integrity", {"청렴": 2}, 2, True),
        ("ordinance", {"조례제정": 1, "조례": 1}, 2, True),
        ("budget", {"예산": 2}, 2, False),
        ("welfare", {"복지": 2}, 2, False),
    ]


def test_one_passing_mention_in_the_body_is_not_a_topic():
    assert MIN_BODY_HITS == 2
    assert tag_topics("시민 걷기 대회 열려", "행사 예산은 시비로 충당했다.") == []


def test_spacing_does_not_split_a_term_and_longer_terms_win():
    (tag,) = tag_topics("", "부패 취약분야 점검, 부패취약 분야 개선")
    assert tag["terms"] == {"부패취약": 2}  # not also counted as 부패


def test_lookalike_words_are_not_topic_terms():
    # 예산군 is a county, 정원박람회 a garden show
    assert tag_topics("예산군 정원박람회 개막", "예산군과 순천 정원박람회") == []


def test_every_topic_has_terms_and_a_unique_key():
    keys = [t.key for t in TOPICS]
    assert keys == ["integrity", "budget", "ordinance", "personnel", "welfare"]
    assert all(t.terms and len(set(t.terms)) == len(t.terms) for t in TOPICS)


def test_no_text_no_topics():
    assert tag_topics(None, None) == [] and tag_topics("", "") == []
