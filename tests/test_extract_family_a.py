"""Family A page object on HTML strings: no crawler involved."""

from newsbot.cms.mcode import McodeArticle
from newsbot.normalize import normalize_article

from .conftest import fixture_html

URL = "http://www.gginews.kr/news/view.php?idx={}&mcode=m11"


def extract(article_id):
    html = fixture_html("gginews", f"view_{article_id}.html")
    return normalize_article(McodeArticle.from_html(html, URL.format(article_id)).to_dict())


def test_older_skin_article_all_fields():
    record = extract(71401)
    assert record["article_id"] == "71401"
    assert record["title"] == "하남시, 청렴 실천 다짐대회 열어…부서별 실천과제 공유"
    assert record["author"] == "김하늘"
    assert (record["published_at"], record["modified_at"]) == ("2024-08-06T07:38:57+09:00", "2024-08-06T10:02:11+09:00")
    assert record["captions"] == ["하남시 간부 공무원들이 청렴 실천 다짐문을 낭독하고 있다."]
    assert record["images"] == ["http://www.gginews.kr/data/news/2024/08/06/71401_1.jpg"]
    assert "낭독하고" not in record["body"]  # the caption is not body text
    assert record["extraction_warnings"] == []


def test_bare_modify_button_is_not_a_date():
    record = extract(71402)
    assert record["modified_at"] is None and record["modified_at_raw"] is None
    assert record["author"] is None
    assert record["extraction_warnings"] == []  # author is optional


def test_ads_related_boxes_and_copyright_leave_the_body():
    record = extract(71403)
    assert record["author"] == "박도윤"  # e-mail and 기자 dropped
    assert record["body"] == (
        "이천시는 시민과 전문가 7명으로 구성된 청렴 외부 자문단을 위촉했다고 4일 밝혔다.\n"
        "자문단은 계약과 인허가 등 부패 취약분야의 업무 절차를 점검하고 개선안을 제시한다."
    )
    assert record["images"] == []  # the ad banner is not an article image


def test_missing_body_is_flagged_not_blank():
    record = extract(71405)
    assert record["body"] == ""
    assert record["extraction_warnings"] == ["body"]


def test_empty_page_flags_every_required_field():
    record = normalize_article(McodeArticle.from_html("<html><body></body></html>", URL.format(1)).to_dict())
    assert record["extraction_warnings"] == ["title", "published_at", "body"]
    assert record["article_id"] == "1"
