"""Family B (Break News) page object on HTML: no crawler involved."""

from scrapy.http import HtmlResponse

from newsbot.cms.breaknews import BreaknewsArticle
from newsbot.normalize import normalize_article

from .conftest import FIXTURES, fixture_html

URL = "http://gn.breaknews.com/sub_read.html?uid={}&section=sc1"


def extract(html, uid="20401"):
    return normalize_article(BreaknewsArticle.from_html(html, URL.format(uid)).to_dict())


def test_translation_goes_to_body_en_never_into_body():
    record = extract(fixture_html("breaknews_gn", "read_20401.html"))
    assert record["body"].splitlines() == [
        "[브레이크뉴스경기남부=평택 정하윤기자] 평택시는 9일 시청 대회의실에서 신규 공직자 청렴 서약식을 열었다고 밝혔다.",
        "서약식에 참여한 신규 임용자 35명은 부패 신고 절차에 대한 교육도 받았다.",
    ]
    # the Korean notice and its English twin introduce the translation; neither is part of it
    assert record["body_en"].splitlines() == [
        "[Break News Southern Gyeonggi = Pyeongtaek Reporter Ha-yoon Jeong] Pyeongtaek City held an integrity "
        "pledge ceremony for new public officials on the 9th.",
        "The 35 new appointees also received training on how to report corruption.",
    ]
    assert "구글" not in record["body"] + record["body_en"]


def test_photo_table_caption_related_boxes_reporter_box_and_copyright_leave_the_body():
    record = extract(fixture_html("breaknews_gn", "read_20401.html"))
    assert record["captions"] == ["신규 공직자들이 청렴 서약서에 서명하고 있다. © 정하윤 기자"]
    assert record["images"] == ["http://gn.breaknews.com/imgdata/gn/202404/20401_1.jpg"]  # not the reporter photo
    for furniture in ("관련기사", "다른 기사", "저작권자", "이전 기사", "서명하고"):
        assert furniture not in record["body"]
    assert record["body"].count("평택시, 공직자 청렴 서약식 개최") == 0  # the repeated .article_head
    assert (record["title"], record["subtitle"]) == ("평택시, 공직자 청렴 서약식 개최", "신규 임용자 35명 참여…부패 신고 절차 교육도")


def test_reporter_and_date_share_one_line():
    record = extract(fixture_html("breaknews_gn", "read_20401.html"))
    assert record["author"] == "정하윤"
    assert record["published_at_raw"] == "입력 : 2024/04/09 [10:20]"
    assert record["published_at"] == "2024-04-09T10:20:00+09:00"
    assert record["article_id"] == "20401" and record["section"] == "sc1"


def test_article_without_translation_or_author():
    record = extract(fixture_html("breaknews_gn", "read_20403.html"), "20403")
    assert (record["author"], record["body_en"]) == (None, None)
    assert record["published_at"] == "2022-04-18T22:47:00+09:00"
    assert record["extraction_warnings"] == []


def test_euc_kr_declared_only_in_meta_decodes_right():
    body = (FIXTURES / "breaknews_gn" / "read_20402_euckr.html").read_bytes()
    response = HtmlResponse(URL.format("20402"), body=body, headers={"Content-Type": "text/html"})
    assert response.encoding == "cp949"  # from <meta>: the header names no charset
    record = normalize_article(BreaknewsArticle(response.url, response.selector).to_dict())
    assert record["title"] == "오산시, 2012년 청렴 실천 결의"
    assert record["body"] == "오산시 공무원 200여 명이 시청 광장에서 청렴 실천을 결의했다.\n시는 매달 청렴 점검의 날을 운영한다."
    assert record["published_at"] == "2012-08-02T10:36:00+09:00"


def test_short_url_form_gives_the_id():
    page = BreaknewsArticle.from_html("<html></html>", "http://gn.breaknews.com/20411")
    assert page.article_id() == "20411"
