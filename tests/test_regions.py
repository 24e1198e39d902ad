"""Region resolution on seed-like article text (written for these tests) with exact results."""

import csv
from collections import Counter

import pytest

from newsbot.regions import Gazetteer, RegionResolver, resolve_regions


def brief(regions):
    """(name, code, resolved_by) per region, in record order."""
    return [(r["name"], r["code"], r["resolved_by"]) for r in regions]


# -- the gazetteer -------------------------------------------------------------------
def test_gazetteer_has_every_current_local_government():
    gazetteer = Gazetteer.load()
    assert gazetteer.version == "2026-11-22"
    now = gazetteer.current("2026-11-22")
    sidos = [g for g in now if g.level == "sido"]
    autonomous = [g for g in now if g.level == "sigungu" and g.kind != "행정시"]
    assert len(sidos) == 16  # 광주광역시 + 전라남도 -> 전남광주통합특별시 (2026-07-01)
    assert len(autonomous) == 227
    assert Counter(g.kind for g in autonomous) == {"시": 75, "군": 82, "자치구": 70}
    per_sido = Counter(g.sido_code for g in autonomous)
    assert per_sido == {"11": 25, "26": 16, "27": 9, "28": 11, "30": 5, "31": 5, "41": 31, "51": 18,
                        "43": 11, "44": 15, "52": 14, "12": 27, "47": 22, "48": 18}
    assert [g.full_name for g in now if g.kind == "행정시"] == ["제주특별자치도 제주시", "제주특별자치도 서귀포시"]


def test_gazetteer_before_the_2026_reorganisation():
    before = Gazetteer.load().current("2024-08-06")
    assert sum(g.level == "sido" for g in before) == 17
    assert sum(g.level == "sigungu" and g.kind != "행정시" for g in before) == 226
    names = {g.full_name: g.code for g in before}
    assert names["인천광역시 서구"] == "28260"
    assert names["대구광역시 군위군"] == "27720"
    assert names["전북특별자치도 전주시"] == "52110"
    assert "인천광역시 서해구" not in names and "경상북도 군위군" not in names


def test_gazetteer_codes_are_unique_and_well_formed():
    gazetteer = Gazetteer.load()
    codes = [g.code for g in gazetteer.governments]
    assert len(codes) == len(set(codes)) == 312
    for g in gazetteer.governments:
        assert len(g.code) == 5 and g.code.isdigit() and g.code.startswith(g.sido_code)
        assert (g.code.endswith("000")) == (g.level == "sido")
        assert g.full_name.endswith(g.name)


def test_gazetteer_file_is_a_plain_csv_with_a_versioned_header():
    from importlib import resources

    text = resources.files("newsbot").joinpath("data", "local_governments.csv").read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert "version: 2026-11-22" in comments[0]
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    assert rows[0] == {"code": "11000", "sido_code": "11", "level": "sido", "name": "서울특별시",
                       "full_name": "서울특별시", "kind": "특별시", "valid_from": "", "valid_to": "",
                       "forms": "서울특별시|서울시", "prefixes": "서울", "source": "mois"}


# -- resolution -------------------------------------------------------------------------
def test_city_in_title_and_body():
    regions = resolve_regions(
        "하남시, 청렴 실천 결의대회 개최",
        "하남시는 지난 5일 시청 대회의실에서 결의대회를 열었다고 밝혔다.\n시 관계자는 하남시 공직자 모두가 참여했다고 말했다.",
        day="2024-08-06",
    )
    assert regions == [{
        "name": "경기도 하남시", "code": "41450", "level": "sigungu", "sido": "경기도", "sido_code": "41",
        "matched": ["하남시"], "mentions": 3, "in_title": True, "resolved_by": "unique",
        "ambiguous": False, "candidates": [],
    }]


def test_metro_prefix_settles_a_shared_district_name():
    regions = resolve_regions("서울 중구, 청렴정책팀 새로 꾸려", "서울 중구가 청렴정책팀을 신설했다.\n구는 중구 전 부서와 함께한다.",
                              day="2024-07-10")
    assert brief(regions) == [("서울특별시 중구", "11140", "prefix")]
    assert regions[0]["matched"] == ["서울 중구", "중구"] and regions[0]["mentions"] == 3


def test_bare_shared_name_without_context_stays_ambiguous():
    (region,) = resolve_regions("중구, 반부패 회의 열어", "중구는 부서장 회의를 열었다.", day="2024-07-10")
    assert region["ambiguous"] is True and region["code"] is None and region["resolved_by"] is None
    assert region["name"] == "중구" and region["mentions"] == 2
    assert region["candidates"] == [
        {"name": "서울특별시 중구", "code": "11140"}, {"name": "부산광역시 중구", "code": "26110"},
        {"name": "대구광역시 중구", "code": "27110"}, {"name": "인천광역시 중구", "code": "28110"},
        {"name": "대전광역시 중구", "code": "30140"}, {"name": "울산광역시 중구", "code": "31110"},
    ]


def test_shared_name_settled_by_a_province_named_elsewhere_in_the_article():
    regions = resolve_regions("고성군, 산불 예방 캠페인", "강원특별자치도와 고성군이 함께 캠페인을 벌였다.", day="2025-03-02")
    assert brief(regions) == [("강원특별자치도 고성군", "51820", "context")]


def test_shared_name_settled_by_a_district_only_one_metro_has():
    regions = resolve_regions("해운대구·중구 합동 점검", "해운대구와 중구가 합동 점검반을 꾸렸다.", day="2025-03-02")
    assert brief(regions) == [("부산광역시 해운대구", "26350", "unique"), ("부산광역시 중구", "26110", "context")]


def test_shared_name_settled_by_the_outlets_home_area():
    assert brief(resolve_regions("남구 복지관 개관", "", home_region="울산광역시", day="2025-03-02")) == [
        ("울산광역시 남구", "31140", "home_region")]
    # the home area does not win over what the article itself says
    assert brief(resolve_regions("대구 남구 복지관 개관", "", home_region="울산광역시", day="2025-03-02")) == [
        ("대구광역시 남구", "27200", "prefix")]
    # a home area with no such district leaves it ambiguous
    (region,) = resolve_regions("남구 복지관 개관", "", home_region="경기도", day="2025-03-02")
    assert region["ambiguous"] and len(region["candidates"]) == 4


def test_gwangju_city_is_gyeonggi_or_the_metro_by_context():
    (region,) = resolve_regions("광주시 예산 설명회", "", day="2024-01-10")
    assert region["ambiguous"] and region["candidates"] == [
        {"name": "경기도 광주시", "code": "41610"}, {"name": "광주광역시", "code": "29000"}]
    assert brief(resolve_regions("광주시 예산 설명회", "", home_region="경기도", day="2024-01-10")) == [
        ("경기도 광주시", "41610", "home_region")]
    assert brief(resolve_regions("경기 광주시 예산 설명회", "", day="2024-01-10")) == [
        ("경기도 광주시", "41610", "prefix")]


def test_resolution_follows_the_governments_of_the_publication_date():
    # 2024: 인천 서구 exists; from 2026-07-01 it is 서해구 and 검단구
    assert brief(resolve_regions("인천 서구 청렴 교육", "", day="2024-05-01")) == [("인천광역시 서구", "28260", "prefix")]
    assert brief(resolve_regions("서해구 출범 기념식", "검단구와 함께", day="2026-07-02")) == [
        ("인천광역시 서해구", "28275", "unique"), ("인천광역시 검단구", "28290", "unique")]
    # the former district is what the text names, even after it was abolished
    assert brief(resolve_regions("인천 중구 마지막 정례회", "", day="2026-08-01")) == [("인천광역시 중구", "28110", "prefix")]
    # 광주 북구 before and after 광주광역시 + 전라남도 became 전남광주통합특별시
    assert brief(resolve_regions("광주 북구 조례 공포", "", day="2025-01-01")) == [("광주광역시 북구", "29170", "prefix")]
    assert brief(resolve_regions("광주 북구 조례 공포", "", day="2026-09-01")) == [
        ("전남광주통합특별시 북구", "12300", "prefix")]
    # 군위군 moved from 경상북도 to 대구광역시 on 2023-07-01
    assert brief(resolve_regions("군위군 예산 편성", "", day="2023-03-01")) == [("경상북도 군위군", "47720", "unique")]
    assert brief(resolve_regions("군위군 예산 편성", "", day="2024-03-01")) == [("대구광역시 군위군", "27720", "unique")]


def test_province_alone_is_a_region_only_without_its_districts():
    assert brief(resolve_regions("경기도, 청렴 시책 평가 결과 발표", "경기도는 도내 공공기관을 평가했다.",
                                 day="2024-08-06")) == [("경기도", "41000", "unique")]
    regions = resolve_regions("파주시, 경기도 청렴대상 수상", "파주시가 경기도 청렴대상을 받았다.", day="2021-07-17")
    assert brief(regions) == [("경기도 파주시", "41480", "unique")]
    assert brief(resolve_regions("세종시 예산안 심의", "", day="2025-01-01")) == [("세종특별자치시", "36000", "unique")]


def test_words_that_only_look_like_district_names_are_not_regions():
    assert resolve_regions("서구식 식단과 중구난방 행정", "청렴중구 구호", day="2025-01-01") == []
    assert resolve_regions("경기 회복 기대", "서울대 연구팀", day="2025-01-01") == []


def test_regions_are_ordered_title_first_then_by_mentions():
    regions = resolve_regions("마포구 청렴 회의", "서대문구와 서대문구, 영등포구 관계자도 참석했다.\n마포구는", day="2025-09-19")
    assert [r["name"] for r in regions] == ["서울특별시 마포구", "서울특별시 서대문구", "서울특별시 영등포구"]
    assert [r["mentions"] for r in regions] == [2, 2, 1]


def test_no_text_no_regions():
    assert resolve_regions(None, None) == [] and resolve_regions("", "") == []


@pytest.mark.parametrize("bad_home", ["", "없는도", ["경기도", ""]])
def test_unknown_home_region_is_ignored(bad_home):
    resolver = RegionResolver(Gazetteer.load())
    (region,) = resolver.resolve("중구 소식", "", bad_home, "2025-01-01")
    assert region["ambiguous"]
