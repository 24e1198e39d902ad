"""Family C (ncode CMS) page object on HTML: no crawler involved."""

from newsbot.cms.ncode import NcodeArticle
from newsbot.normalize import normalize_article

from .conftest import fixture_html

BASE = "http://www.newsstep.co.kr"


def extract(name, path):
    return normalize_article(NcodeArticle.from_html(fixture_html("newsstep", name), BASE + path).to_dict())


def test_byline_dd_splits_into_author_and_date():
    record = extract("view_1065580000000001.html", "/news/newsview.php?ncode=1065580000000001&dt=m")
    assert record["author"] == "윤다은"
    assert record["published_at_raw"] == "기사승인 : 2024-07-11 09:05:12"
    assert record["published_at"] == "2024-07-11T09:05:12+09:00"
    assert record["article_id"] == "1065580000000001"
    assert record["section"] == "사회"


def test_ad_blocks_caption_and_copyright_leave_the_body():
    record = extract("view_1065580000000001.html", "/news/newsview.php?ncode=1065580000000001")
    assert record["body"].splitlines() == [
        "[뉴스스텝] 서울 강동구가 이번 주를 청렴 자가진단 주간으로 정하고 전 직원을 대상으로 온라인 진단을 시작했다.",
        "진단 결과는 부서별로 공유되며 취약 항목은 하반기 교육에 반영된다.",
    ]
    assert record["captions"] == ["강동구청 전경"]
    assert record["images"] == [f"{BASE}/news/photo/202407/1065580000000001_1.jpg"]  # not the ad banner


def test_article_without_author_and_path_style_id():
    record = extract("view_1065580000000002.html", "/news/view/1065580000000002")
    assert (record["author"], record["article_id"]) == (None, "1065580000000002")
    assert record["published_at"] == "2024-07-10T17:40:00+09:00"


def test_date_with_slashes_is_not_split_as_a_byline():
    html = ('<div class="viewTitle"><h3>t</h3><dl><dd>김가람 기자 / 기사승인 : 2024/07/10 08:15</dd></dl></div>'
            '<div id="viewConts"><p>본문</p></div>')
    record = normalize_article(NcodeArticle.from_html(html, BASE + "/news/newsview.php?ncode=1").to_dict())
    assert (record["author"], record["published_at"]) == ("김가람", "2024-07-10T08:15:00+09:00")


def test_unknown_header_layout_flags_title_and_date_and_keeps_the_body():
    record = extract("view_1065580000000003.html", "/news/newsview.php?ncode=1065580000000003")
    assert record["extraction_warnings"] == ["title", "published_at"]
    assert record["body"] == "[뉴스스텝] 세종시교육청이 교원 연수를 열었다."
