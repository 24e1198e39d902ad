"""Every outlet family end to end: real ``scrapy crawl`` -> fixture site on 127.0.0.1 -> JSON Lines.

One crawl per family (module-scoped, shared by that family's tests): list page 1 and 2,
an empty page 3 that ends the walk, several articles with exact values, and the
family's variants (EUC-KR declared only in <meta>, gnuboard's alert page for a deleted
post, layout drift kept and flagged).
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from newsbot.testing.localsite import LocalSite, load_routes

from .conftest import FIXTURES, REPO, run_scrapy

ALL_OUTLETS = ["breaknews_gn", "firstnews", "gginews", "idomin", "jejusori", "kado", "newsstep", "voicekorea"]


class Crawled:
    def __init__(self, site: LocalSite, result, spider: str):
        self.base = site.base_url
        self.requests = list(site.requests)
        self.result = result
        self.records = {r["article_id"]: r for r in result.records(spider)}
        self.stats = result.stats()


def crawl_fixture_site(tmp_path_factory, spider: str, *args: str) -> Crawled:
    with LocalSite(load_routes(FIXTURES / spider)) as site:
        output = tmp_path_factory.mktemp(spider)
        result = run_scrapy(["crawl", spider, "-a", f"base_url={site.base_url}", *args], output)
        assert result.returncode == 0, result.stderr[-3000:]
        return Crawled(site, result, spider)


FAMILY_SITES = ("voicekorea", "breaknews_gn", "newsstep", "firstnews", "idomin")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> dict[str, Crawled]:
    # The five crawls are independent processes on their own ports: run them side by side
    # (most of each one's time is Scrapy starting up).
    with ThreadPoolExecutor(max_workers=len(FAMILY_SITES)) as pool:
        futures = {name: pool.submit(crawl_fixture_site, tmp_path_factory, name) for name in FAMILY_SITES}
        return {name: future.result() for name, future in futures.items()}


@pytest.fixture(scope="module")
def voicekorea(crawled):
    return crawled["voicekorea"]


@pytest.fixture(scope="module")
def breaknews(crawled):
    return crawled["breaknews_gn"]


@pytest.fixture(scope="module")
def newsstep(crawled):
    return crawled["newsstep"]


@pytest.fixture(scope="module")
def firstnews(crawled):
    return crawled["firstnews"]


@pytest.fixture(scope="module")
def idomin(crawled):
    return crawled["idomin"]


def test_scrapy_list_shows_every_outlet():
    # Outlets are registry entries (newsbot/data/outlets.toml): every one whose CMS has a
    # spider base is listed (generic ones once newsbot/cms/generic.py exists), the first
    # eight among them under their old names.
    from newsbot import registry
    from newsbot.cms import spider_base

    expected = sorted({o.site for o in registry.load() if spider_base(o.cms) is not None} | {"generic"})
    listed = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, capture_output=True, text=True,
                            timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == expected
    assert set(ALL_OUTLETS) <= set(expected) and len(expected) >= 40


# -- family A, newer skin ------------------------------------------------------------------
def test_voicekorea_newer_skin(voicekorea):
    assert sorted(voicekorea.records) == ["1545", "1546", "1547"]
    first = voicekorea.records["1545"]
    assert first["canonical_url"] == f"{voicekorea.base}/news/view.php?idx=1545"
    assert first["title"] == "마포구, 청렴 소통 간담회 열어…부서별 개선과제 점검"
    assert first["subtitle"] == "부서별 청렴 개선과제 이행 상황 공유\n익명 제안함 운영 결과도 함께 점검"
    assert first["author"] == "한서윤"
    assert first["published_at"] == "2025-09-19T09:16:41+09:00"
    # the inline Froala photo leaves the sentence whole and its caption goes to captions
    assert first["body"] == (
        "마포구가 청렴 소통 간담회를 열고 부서별 개선과제를 점검했다고 19일 밝혔다.\n"
        "간담회에서는 익명 제안함에 들어온 의견 12건이 공유됐다.\n"
        "구 관계자는 “작은 제안도 끝까지 살피겠다”고 말했다."
    )
    assert first["captions"] == ["청렴 소통 간담회에 참석한 구청 간부들."]
    assert first["images"] == [f"{voicekorea.base}/data/editor/2509/1545_a.jpg"]
    # no author, and a bare 기사수정 button where a second date could be
    second = voicekorea.records["1546"]
    assert (second["author"], second["modified_at"], second["extraction_warnings"]) == (None, None, [])
    assert voicekorea.records["1547"]["extraction_warnings"] == ["title", "published_at"]
    assert voicekorea.stats["newsbot/list_pages"] == 3


# -- family B: Break News ------------------------------------------------------------------
def test_breaknews_modern_skin_translation_and_photo_table(breaknews):
    assert sorted(breaknews.records) == ["20401", "20402", "20403"]
    first = breaknews.records["20401"]
    assert first["url"] == f"{breaknews.base}/sub_read.html?uid=20401&section=sc1"
    assert first["canonical_url"] == f"{breaknews.base}/sub_read.html?uid=20401"
    assert first["title"] == "평택시, 공직자 청렴 서약식 개최"
    assert first["subtitle"] == "신규 임용자 35명 참여…부패 신고 절차 교육도"
    assert first["author"] == "정하윤"
    assert first["published_at"] == "2024-04-09T10:20:00+09:00"
    assert first["published_at_raw"] == "입력 : 2024/04/09 [10:20]"
    assert first["body"] == (
        "[브레이크뉴스경기남부=평택 정하윤기자] 평택시는 9일 시청 대회의실에서 신규 공직자 청렴 서약식을 열었다고 밝혔다.\n"
        "서약식에 참여한 신규 임용자 35명은 부패 신고 절차에 대한 교육도 받았다."
    )
    assert first["body_en"] == (
        "[Break News Southern Gyeonggi = Pyeongtaek Reporter Ha-yoon Jeong] Pyeongtaek City held an integrity "
        "pledge ceremony for new public officials on the 9th.\n"
        "The 35 new appointees also received training on how to report corruption."
    )
    assert first["captions"] == ["신규 공직자들이 청렴 서약서에 서명하고 있다. © 정하윤 기자"]
    assert first["images"] == [f"{breaknews.base}/imgdata/gn/202404/20401_1.jpg"]
    # 20401 listed again under section sc7: one canonical URL, fetched once
    assert breaknews.stats["newsbot/article_links_found"] == 4
    assert breaknews.stats["newsbot/article_requests/new"] == 3
    assert sum("uid=20401" in r for r in breaknews.requests) == 1


def test_breaknews_euc_kr_declared_only_in_meta(breaknews):
    old = breaknews.records["20402"]
    assert old["title"] == "오산시, 2012년 청렴 실천 결의"
    assert old["published_at"] == "2012-08-02T10:36:00+09:00"
    assert old["body"] == "오산시 공무원 200여 명이 시청 광장에서 청렴 실천을 결의했다.\n시는 매달 청렴 점검의 날을 운영한다."
    assert old["body_en"] is None
    third = breaknews.records["20403"]
    assert (third["author"], third["published_at"]) == (None, "2022-04-18T22:47:00+09:00")
    assert breaknews.stats.get("newsbot/items_with_extraction_warnings") is None


# -- family C: ncode CMS -------------------------------------------------------------------
def test_newsstep_zero_based_pages_and_furniture(newsstep):
    assert sorted(newsstep.records) == ["1065580000000001", "1065580000000002", "1065580000000003"]
    list_requests = [r for r in newsstep.requests if r.startswith("/news/cate/")]
    assert list_requests == ["/news/cate/?dtype=blog", "/news/cate/?dtype=blog&pagenum=1",
                             "/news/cate/?dtype=blog&pagenum=2"]
    first = newsstep.records["1065580000000001"]
    assert first["canonical_url"] == f"{newsstep.base}/news/newsview.php?ncode=1065580000000001"
    assert first["author"] == "윤다은"
    assert first["published_at"] == "2024-07-11T09:05:12+09:00"
    assert first["subtitle"] == "전 직원 대상 온라인 자가진단…결과는 부서별로 공유"
    assert first["body"] == (
        "[뉴스스텝] 서울 강동구가 이번 주를 청렴 자가진단 주간으로 정하고 전 직원을 대상으로 온라인 진단을 시작했다.\n"
        "진단 결과는 부서별로 공유되며 취약 항목은 하반기 교육에 반영된다."
    )
    assert first["captions"] == ["강동구청 전경"]
    assert first["images"] == [f"{newsstep.base}/news/photo/202407/1065580000000001_1.jpg"]
    short = newsstep.records["1065580000000002"]
    assert short["canonical_url"] == f"{newsstep.base}/news/newsview.php?ncode=1065580000000002"
    assert (short["author"], short["published_at"]) == (None, "2024-07-10T17:40:00+09:00")
    # an aside link present on every list page is never followed
    assert "/news/newsview.php?ncode=1065579999999999" not in newsstep.requests


def test_layout_drift_is_kept_flagged_counted_and_summarized(newsstep):
    drifted = newsstep.records["1065580000000003"]
    assert drifted["extraction_warnings"] == ["title", "published_at"]
    assert drifted["body"] == "[뉴스스텝] 세종시교육청이 교원 연수를 열었다."  # kept with what was found
    assert drifted["warc_record_id"].startswith("<urn:uuid:")
    stats = newsstep.stats
    assert stats["newsbot/items_with_extraction_warnings"] == 1
    assert [stats[f"newsbot/extraction_warnings/{f}"] for f in ("title", "published_at")] == [1, 1]
    assert "newsbot/extraction_warnings/body" not in stats
    url = f"{newsstep.base}/news/newsview.php?ncode=1065580000000003"
    for field in ("published_at", "title"):
        assert f"Layout check: {field} missing on 1 article(s), e.g. {url}" in newsstep.result.stderr


# -- family D: gnuboard5 -------------------------------------------------------------------
def test_firstnews_gnuboard_board(firstnews):
    assert sorted(firstnews.records) == ["115", "117", "118"]
    first = firstnews.records["118"]
    assert first["canonical_url"] == f"{firstnews.base}/bbs/board.php?bo_table=firstnews&wr_id=118"
    assert first["title"] == "파주시, 청렴 시책 보고회 열어"
    assert first["author"] == "퍼스트신문"
    # the list showed "13:33" (today): the article page's date is the record's date
    assert first["published_at"] == "2024-03-05T13:33:00+09:00"
    assert first["images"] == [f"{firstnews.base}/data/file/firstnews/118_a.jpg"]
    assert first["section"] == "firstnews"
    older = firstnews.records["117"]
    assert older["published_at_raw"] == "작성일 21-07-17 13:33"
    assert older["published_at"] == "2021-07-17T13:33:00+09:00"
    assert older["body"] == "파주시가 경기도 청렴 평가에서 우수기관으로 선정됐다.\n시는 상금을 직원 청렴 교육에 쓸 계획이다."
    short = firstnews.records["115"]
    assert short["canonical_url"] == f"{firstnews.base}/bbs/board.php?bo_table=firstnews&wr_id=115"
    assert short["extraction_warnings"] == ["title", "published_at"]
    # notice rows repeat on every page and are not followed, so the empty page 3 ends the walk
    assert not any("wr_id=100" in r for r in firstnews.requests)
    assert firstnews.stats["newsbot/list_pages"] == 3


def test_gnuboard_deleted_post_is_skipped_counted_and_not_a_layout_warning(firstnews):
    assert "116" not in firstnews.records
    assert firstnews.stats["newsbot/not_an_article"] == 1
    url = f"{firstnews.base}/bbs/board.php?bo_table=firstnews&wr_id=116&page=2"
    assert f"Not an article (gnuboard alert page): {url}" in firstnews.result.stderr
    assert "wr_id=116" not in "".join(
        line for line in firstnews.result.stderr.splitlines() if "Extraction warning" in line or "Layout check" in line
    )


def test_board_argument_picks_another_board(tmp_path):
    routes = load_routes(FIXTURES / "firstnews")
    # the same pages served as board "paju"
    renamed = {target.replace("bo_table=firstnews", "bo_table=paju"): route for target, route in routes.items()}
    with LocalSite(renamed) as site:
        result = run_scrapy(["crawl", "firstnews", "-a", f"base_url={site.base_url}", "-a", "board=paju",
                             "-a", "max_pages=1"], tmp_path / "out")
        assert result.returncode == 0, result.stderr[-3000:]
        assert [r for r in site.requests if r.startswith("/bbs/board.php?bo_table=")][0] == "/bbs/board.php?bo_table=paju"
    bad = run_scrapy(["crawl", "firstnews", "-a", "board=../etc"], tmp_path / "bad")
    assert bad.returncode != 0
    assert "-a board: not a gnuboard board name" in bad.stderr


# -- family E: ND Soft ---------------------------------------------------------------------
def test_idomin_nd_soft_both_skins(idomin):
    assert sorted(idomin.records) == ["700202", "900101", "900103"]
    first = idomin.records["900101"]
    assert first["title"] == "창원시, 청렴 옴부즈만 2기 위촉"
    assert first["subtitle"] == "시민·변호사·회계사 7명 참여\n인허가 민원 고충 직접 조사"
    assert first["author"] == "송지민"
    assert (first["published_at"], first["modified_at"]) == ("2024-01-02T11:20:00+09:00", "2024-01-02T14:05:00+09:00")
    assert first["body"] == (
        "창원시가 시민과 전문가 7명으로 청렴 옴부즈만 2기를 꾸렸다.\n"
        "옴부즈만은 인허가 민원 고충을 직접 조사하고 시정을 권고한다.\n"
        "임기는 2년이다."
    )
    assert first["captions"] == ["창원시 청렴 옴부즈만 위촉식. /창원시"]
    assert first["images"] == ["https://cdn.idomin.com/news/photo/202401/900101_1_1120.jpg"]
    assert first["section"] == "행정"
    listed_with_section = idomin.records["900103"]
    assert listed_with_section["canonical_url"] == f"{idomin.base}/news/articleView.html?idxno=900103"
    assert listed_with_section["author"] is None
    older = idomin.records["700202"]
    assert (older["author"], older["published_at"]) == ("최현우", "2019-11-21T10:10:00+09:00")
    assert older["captions"] == ["통영항 여객선터미널."]
    assert older["body"] == "통영시가 섬 주민의 여객선 운임을 내년부터 전액 지원한다.\n대상은 욕지도와 한산도 등 유인도 주민이다."
    assert "/news/articleView.html?idxno=899000" not in idomin.requests  # aside box, not the list
    assert idomin.stats["newsbot/items_written"] == 3


def test_nd_soft_outlets_start_at_their_all_articles_list():
    from newsbot.spiders.registry import IdominSpider, JejusoriSpider, KadoSpider

    starts = {cls.name: (cls().start_urls, cls().allowed_domains) for cls in (IdominSpider, KadoSpider, JejusoriSpider)}
    assert starts == {
        "idomin": (["https://www.idomin.com/news/articleList.html?view_type=sm"], ["www.idomin.com"]),
        "kado": (["https://www.kado.net/news/articleList.html?view_type=sm"], ["www.kado.net"]),
        "jejusori": (["https://www.jejusori.net/news/articleList.html?view_type=sm"], ["www.jejusori.net"]),
    }
