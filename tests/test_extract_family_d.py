"""Family D (gnuboard5) page object on HTML: no crawler involved."""

import pytest

from newsbot.dates import DateParseError, parse_kst
from newsbot.cms.gnuboard import GnuboardArticle
from newsbot.normalize import normalize_article

from .conftest import fixture_html

BASE = "http://www.firstnews.co.kr"


def extract(name, path):
    return normalize_article(GnuboardArticle.from_html(fixture_html("firstnews", name), BASE + path).to_dict())


def test_current_basic_skin():
    record = extract("view_118.html", "/bbs/board.php?bo_table=firstnews&wr_id=118")
    assert record["title"] == "파주시, 청렴 시책 보고회 열어"  # not the category label beside it
    assert record["author"] == "퍼스트신문"
    assert record["published_at"] == "2024-03-05T13:33:00+09:00"
    assert record["images"] == [f"{BASE}/data/file/firstnews/118_a.jpg"]  # #bo_v_img sits outside the body
    assert record["body"].splitlines() == [
        "퍼스트신문 / 파주뉴스",
        "파주시가 시청 상황실에서 올해 청렴 시책 보고회를 열었다.",
        "보고회에서는 부서별 청렴 실천 계획 14건이 발표됐다.",
    ]
    assert (record["article_id"], record["section"]) == ("118", "firstnews")


def test_two_digit_year_of_the_older_skin():
    record = extract("view_117.html", "/bbs/board.php?bo_table=firstnews&wr_id=117")
    assert record["published_at_raw"] == "작성일 21-07-17 13:33"
    assert record["published_at"] == "2021-07-17T13:33:00+09:00"
    assert record["author"] == "퍼스트신문"


def test_list_dates_have_no_year_and_are_never_trusted():
    # what td.td_datetime shows: a time today, a month-day otherwise
    for shown in ("13:33", "07-17"):
        with pytest.raises(DateParseError):
            parse_kst(shown)


def test_title_falls_back_to_the_page_title():
    html = "<html><head><title>마을 정비 &gt; 퍼스트뉴스 | 퍼스트신문</title></head><body></body></html>"
    assert GnuboardArticle.from_html(html, BASE + "/firstnews/9").title() == "마을 정비"


def test_alert_page_is_not_an_article():
    page = GnuboardArticle.from_html(fixture_html("firstnews", "alert_missing.html"), BASE + "/bbs/board.php?wr_id=116")
    assert page.not_an_article() == "gnuboard alert page"
    article = GnuboardArticle.from_html(fixture_html("firstnews", "view_118.html"), BASE + "/bbs/board.php?wr_id=118")
    assert article.not_an_article() is None


def test_short_url_gives_id_and_board():
    page = GnuboardArticle.from_html("<html></html>", BASE + "/firstnews/115")
    assert (page.article_id(), page.section()) == ("115", "firstnews")
