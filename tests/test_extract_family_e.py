"""Family E (ND Soft) page object on HTML: no crawler involved."""

from newsbot.cms.ndsoft import NdsoftArticle
from newsbot.normalize import normalize_article

from .conftest import fixture_html

URL = "https://www.idomin.com/news/articleView.html?idxno={}"


def extract(idxno):
    html = fixture_html("idomin", f"view_{idxno}.html")
    return normalize_article(NdsoftArticle.from_html(html, URL.format(idxno)).to_dict())


def test_current_skin_all_fields():
    record = extract(900101)
    assert record["title"] == "창원시, 청렴 옴부즈만 2기 위촉"  # h3.heading, not og:title with the outlet name
    assert record["subtitle"] == "시민·변호사·회계사 7명 참여\n인허가 민원 고충 직접 조사"
    assert record["author"] == "송지민"
    assert record["published_at_raw"] == "입력 2024.01.02 11:20"
    assert (record["published_at"], record["modified_at"]) == ("2024-01-02T11:20:00+09:00", "2024-01-02T14:05:00+09:00")
    assert record["section"] == "행정"
    assert record["extraction_warnings"] == []


def test_figure_caption_ad_related_box_and_copyright_leave_the_body():
    record = extract(900101)
    assert record["body"].splitlines() == [
        "창원시가 시민과 전문가 7명으로 청렴 옴부즈만 2기를 꾸렸다.",
        "옴부즈만은 인허가 민원 고충을 직접 조사하고 시정을 권고한다.",
        "임기는 2년이다.",
    ]
    # matched by both "figure.photo-layout" and "figure": listed once
    assert record["captions"] == ["창원시 청렴 옴부즈만 위촉식. /창원시"]
    assert record["images"] == ["https://cdn.idomin.com/news/photo/202401/900101_1_1120.jpg"]


def test_older_skin():
    record = extract(700202)
    assert record["title"] == "통영시, 섬 주민 여객선 운임 지원"
    assert record["author"] == "최현우"  # "기자명 최현우"
    assert record["published_at"] == "2019-11-21T10:10:00+09:00"
    assert record["captions"] == ["통영항 여객선터미널."]


def test_article_without_author():
    record = extract(900103)
    assert record["author"] is None and record["modified_at"] is None
    assert record["extraction_warnings"] == []


def test_captions_in_page_order_across_selectors():
    html = """<div id="article-view-content-div">
      <div class="IMGFLOATING"><img src="/a.jpg"><p class="photo-caption">첫째</p></div>
      <figure class="photo-layout"><img src="/b.jpg"><figcaption>둘째</figcaption></figure>
      <p>본문</p></div>"""
    page = NdsoftArticle.from_html(html, URL.format(1))
    assert page.captions() == ["첫째", "둘째"]
    assert normalize_article(page.to_dict())["body"] == "본문"
