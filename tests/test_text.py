from parsel import Selector

from newsbot.text import element_lines, normalize_text
from newsbot.urls import canonicalize_url


def test_normalize_keeps_paragraphs_and_drops_furniture():
    lines = [
        "기사 메일전송", "  첫 문단입니다.\u00a0\u00a0공백이   많다. ", "", "\u3000", "기사수정",
        "둘째 문단.", "0", "<저작권자 ⓒ 브레이크뉴스 경기남부 무단전재 및 재배포 금지>",
        "[저작권자ⓒ 뉴스스텝. 무단전재-재배포 금지]", "저작권자 © 하남신문 무단전재 및 재배포 금지",
        "다른 곳에 퍼가실 때는 아래 고유 링크 주소를 출처로 사용해주세요.", "나도 한마디",
        "많이 본 뉴스더보기", "모바일 버전 바로가기",
    ]
    assert normalize_text(lines) == "첫 문단입니다. 공백이 많다.\n둘째 문단."


def test_normalize_is_nfc():
    decomposed = "\u1112\u1161\u11ab"  # 한 as conjoining jamo
    assert normalize_text(decomposed) == "한"


def test_element_lines_breaks_blocks_and_skips_excluded_without_mutating():
    sel = Selector(text="<div id=b><p>하나<br>둘</p><div class=ad>광고</div><p>셋 <b>굵게</b> 끝</p><script>x()</script></div>")
    body = sel.css("#b")[0]
    ad = body.css(".ad")
    assert [l for l in element_lines(body, exclude=ad) if l.strip()] == ["하나", "둘", "셋 굵게 끝"]
    assert body.css(".ad::text").get() == "광고"  # tree untouched


def test_canonical_url_sorts_query_and_drops_tracking_and_fragment():
    assert canonicalize_url("HTTP://WWW.Example.kr/news/view.php?mcode=m1&idx=5&utm_source=naver#top") == (
        "http://www.example.kr/news/view.php?idx=5&mcode=m1"
    )
    assert canonicalize_url("http://example.kr/news/view.php?idx=5&mcode=m1", {"mcode"}) == (
        "http://example.kr/news/view.php?idx=5"
    )


def test_identity_is_stable_and_digest_ignores_crawl_details():
    from newsbot.identity import article_key, content_digest

    a = {"title": "제목", "body": "본문", "url": "http://x/?idx=1", "crawled_at": "2026-01-01T00:00:00+00:00"}
    b = dict(a, url="http://x/?idx=1&mcode=m1", crawled_at="2026-02-02T00:00:00+00:00")
    assert content_digest(a) == content_digest(b)
    assert content_digest(a) != content_digest(dict(a, body="본문 수정"))
    assert article_key("gginews", "71401", "http://x/?idx=71401") == "gginews:71401"
