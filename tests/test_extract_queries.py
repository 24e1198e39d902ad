"""How page objects run their queries (compiled XPath on the lxml tree, newsbot/extract/base.py):
the cases the family fixtures do not reach, with exact values."""

import pytest
from cssselect import SelectorSyntaxError

from newsbot.extract.base import ArticlePage, css_query
from newsbot.cms.mcode import McodeArticle
from newsbot.cms.gnuboard import GnuboardArticle

URL = "http://127.0.0.1/news/view.php?idx=7&mcode=m11"


def test_meta_first_tag_in_page_order_wins_even_when_blank():
    html = """<html><head>
      <meta property="og:title">
      <meta name="og:title" content="  ">
      <meta property="og:title" content="나중 제목">
      <meta name="article:published_time" content="2024-03-01T09:00:00+09:00">
      <meta property="article:published_time" content="2024-03-02T09:00:00+09:00">
      <meta property="article:modified_time" content=" 2024-03-03 \u00a0 10:00 ">
    </head><body><p>본문</p></body></html>"""
    page = McodeArticle.from_html(html, URL)
    # a <meta> without content is not a candidate; the first with content is, blank or not
    assert page.meta("og:title") is None
    assert page.meta("og:title", "article:published_time") == "2024-03-01T09:00:00+09:00"
    assert page.published_raw() == "2024-03-01T09:00:00+09:00"
    assert page.modified_raw() == "2024-03-03 10:00"
    assert page.title() is None


def test_photo_matched_by_two_selectors_is_one_caption_in_page_order():
    html = """<div id="viewContent">
      <figure><img src="/one.jpg"><figcaption>첫 사진</figcaption></figure>
      <p>본문 첫 문단</p>
      <table id="img_caption" class="photo"><tr><td><img src="/two.jpg"></td></tr>
        <tr><td class="caption">둘째 사진</td></tr></table>
      <span class="fr-img-caption"><img src="/three.jpg"><span class="fr-inner">셋째 사진</span></span>
      <div class="relation"><img src="/related.jpg"><a href="/news/view.php?idx=6">관련 기사</a></div>
      <p>본문 둘째 문단</p>
    </div>"""
    page = McodeArticle.from_html(html, URL)
    assert page.captions() == ["첫 사진", "둘째 사진", "셋째 사진"]
    assert [line for line in page.body_lines() if line.strip()] == ["본문 첫 문단", "본문 둘째 문단"]
    assert page.images() == ["http://127.0.0.1/one.jpg", "http://127.0.0.1/two.jpg", "http://127.0.0.1/three.jpg"]


def test_text_and_attribute_queries_return_strings():
    html = """<html><head><title>제목 &gt; 자유게시판 | 사이트</title></head><body>
      <div id="bo_v_img"><a><img src=" /data/file/a.jpg "></a><img src="/data/file/b.jpg"></div>
      <div id="bo_v_con"><p>본문</p></div></body></html>"""
    page = GnuboardArticle.from_html(html, "http://127.0.0.1/bbs/board.php?bo_table=free&wr_id=3")
    assert page.select("title::text") == ["제목 > 자유게시판 | 사이트"]
    assert page.select("#bo_v_img img::attr(src)") == [" /data/file/a.jpg ", "/data/file/b.jpg"]
    assert page.title() == "제목"
    assert page.images() == ["http://127.0.0.1/data/file/a.jpg", "http://127.0.0.1/data/file/b.jpg"]


def test_a_group_query_is_one_union_in_document_order():
    page = McodeArticle.from_html("<div><p class=b>1</p><figure>2</figure><p class=b>3</p></div>", URL)
    found = page.select("figure, p.b, .b")
    assert [node.text for node in found] == ["1", "2", "3"]
    assert css_query("figure, p.b, .b") is css_query("figure, p.b, .b")  # compiled once


def test_a_family_with_a_broken_selector_fails_when_defined():
    with pytest.raises(SelectorSyntaxError):
        class Broken(ArticlePage):  # noqa: F841
            body_css = ("div[id=",)
