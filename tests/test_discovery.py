"""Discovery besides a family's list selectors (issue 15, part 3), in-process: feeds, sitemaps,
the main-content list fallback, article URL shapes, and how their entries go through the
run's list walk."""

from __future__ import annotations

import gzip
from datetime import date

import pytest
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.test import get_crawler

from newsbot.discovery.feeds import NotAFeed, feed_entries
from newsbot.discovery.links import main_content_links, page_links
from newsbot.discovery.patterns import UrlShape, learn_shape
from newsbot.discovery.sitemaps import NotASitemap, SitemapEntry, read_sitemap
from newsbot.cms.ncode import NcodeUrls
from newsbot.cms.ndsoft import NdsoftUrls
from newsbot.spiders.walk import ListEntry, ListWalk
from newsbot.state.sqlite import SqliteStateStore

BASE = "http://www.namgang.example"


# -- feeds ----------------------------------------------------------------------------------------
RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>http://a.example/</link>
<item><title>a</title><link>http://a.example/news/articleView.html?idxno=5</link><pubDate>2024-01-02 23:20:00</pubDate></item>
<item><title>b</title><link>/news/articleView.html?idxno=6</link><pubDate>Tue, 02 Jan 2024 15:20:00 +0000</pubDate></item>
<item><title>c</title><link>http://a.example/news/articleView.html?idxno=5</link></item>
<item><title>d</title><link>http://a.example/news/articleView.html?idxno=4</link></item>
</channel></rss>""".encode()

ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>x</title><link rel="alternate" href="https://b.example/article/77"/><id>tag:b.example,2024:77</id>
<published>2024-05-01T00:30:00+09:00</published></entry>
<entry><title>y</title><id>https://b.example/article/78</id><updated>2024-04-30T16:00:00Z</updated></entry>
</feed>""".encode()


def test_rss_entries_keep_feed_order_resolve_links_and_date_them_in_korea():
    entries = feed_entries(RSS, "http://a.example/rss/allArticle.xml")
    assert [(e.url, e.day) for e in entries] == [
        # "2024-01-02 23:20:00" (no offset): KST, not UTC as feedparser would take it
        ("http://a.example/news/articleView.html?idxno=5", date(2024, 1, 2)),
        # 15:20 UTC is 00:20 the next day in Korea
        ("http://a.example/news/articleView.html?idxno=6", date(2024, 1, 3)),
        ("http://a.example/news/articleView.html?idxno=4", None),
    ]


def test_atom_entries_take_the_alternate_link_or_an_id_that_is_a_url():
    entries = feed_entries(ATOM, "https://b.example/feed")
    assert [(e.url, e.day) for e in entries] == [("https://b.example/article/77", date(2024, 5, 1)),
                                                 ("https://b.example/article/78", date(2024, 5, 1))]


@pytest.mark.parametrize("body", [b"", b"<html><body><h1>404 Not Found</h1></body></html>", b"\x00\xff garbage"])
def test_what_is_no_feed_says_so(body):
    with pytest.raises(NotAFeed):
        feed_entries(body, "http://a.example/rss/allArticle.xml")


# -- sitemaps -------------------------------------------------------------------------------------
NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>http://a.example/news/articleView.html?idxno=9</loc><lastmod>2024-03-09T10:00:00+09:00</lastmod>
  <news:news><news:publication><news:name>A</news:name><news:language>ko</news:language></news:publication>
  <news:publication_date>2024-03-01T00:10:00+09:00</news:publication_date><news:title>t</news:title></news:news></url>
<url><loc>http://a.example/news/articleView.html?idxno=8</loc><lastmod>2024-02-28T20:00:00Z</lastmod></url>
<url><loc>http://a.example/news/articleView.html?idxno=7</loc></url>
<url><loc>relative/not-a-url</loc></url>
</urlset>"""


def test_news_sitemap_dates_come_from_the_publication_date_else_lastmod():
    kind, entries = read_sitemap(NEWS_SITEMAP)
    assert kind == "urlset"
    assert entries == [
        SitemapEntry("http://a.example/news/articleView.html?idxno=9", date(2024, 3, 1), news=True),
        SitemapEntry("http://a.example/news/articleView.html?idxno=8", date(2024, 2, 29), news=False),
        SitemapEntry("http://a.example/news/articleView.html?idxno=7", None, news=False),
    ]
    assert read_sitemap(gzip.compress(NEWS_SITEMAP)) == (kind, entries)


def test_sitemap_index_lists_its_children():
    index = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>http://a.example/sitemap-1.xml</loc><lastmod>2024-01-31</lastmod></sitemap>
      <sitemap><loc>http://a.example/sitemap-2.xml</loc></sitemap></sitemapindex>"""
    assert read_sitemap(index) == ("sitemapindex", [SitemapEntry("http://a.example/sitemap-1.xml", date(2024, 1, 31)),
                                                    SitemapEntry("http://a.example/sitemap-2.xml")])


@pytest.mark.parametrize("body", [b"", b"<html><body>x</body></html>", b"not xml", b"\x1f\x8b broken gzip",
                                  b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>'])
def test_what_is_no_sitemap_says_so(body):
    with pytest.raises(NotASitemap):
        read_sitemap(body)


# -- the main content region of a list page ----------------------------------------------------------
# A family-C (ncode) list in markup its list_link_css ("div.cate_list dl dt a", "ul.art_list
# li .tit a") does not name, surrounded by the boxes every regional site has.
NCODE_DRIFTED_LIST = """<html><head><meta charset="utf-8"><title>전체기사</title></head><body>
<div id="header"><a href="/news/newsview.php?ncode=1065000000000900">오늘의 주요뉴스</a></div>
<nav><a href="/news/cate/1">정치</a> <a href="/news/newsview.php?ncode=1065000000000901">메뉴 속 기사</a></nav>
<div id="wrap">
 <div id="contents">
  <div class="news_list_area">
   <div class="item"><p class="subject"><a href="/news/newsview.php?ncode=1065000000000003&amp;dt=m">셋째 기사</a></p>
     <a class="thumb" href="/news/newsview.php?ncode=1065000000000003"><img src="/t.jpg"></a></div>
   <div class="item"><p class="subject"><a href="/news/view/1065000000000002">둘째 기사</a></p></div>
   <div class="item"><p class="subject"><a href="/news/newsview.php?ncode=1065000000000001">첫째 기사</a></p></div>
  </div>
  <div class="paging"><a href="/news/cate/?dtype=blog&amp;pagenum=1">2</a></div>
 </div>
 <div class="side_r">
  <div class="box"><h3>많이 본 기사</h3><ul><li><a href="/news/newsview.php?ncode=1065000000000800">인기 1</a></li>
    <li><a href="/news/newsview.php?ncode=1065000000000801">인기 2</a></li></ul></div>
 </div>
 <div class="box2"><h4>포토뉴스</h4><a href="/news/newsview.php?ncode=1065000000000700">사진 기사</a></div>
 <div><h3>관련기사</h3><a href="/news/newsview.php?ncode=1065000000000600">관련 1</a></div>
</div>
<footer><a href="/news/newsview.php?ncode=1065000000000500">회사 공지</a></footer>
</body></html>"""


def root_of(html: str, url: str = "http://127.0.0.1/news/cate/?dtype=blog"):
    return HtmlResponse(url, body=html.encode(), encoding="utf-8").selector.root


def test_list_fallback_takes_the_list_not_the_menus_and_boxes():
    links = main_content_links(root_of(NCODE_DRIFTED_LIST), "http://127.0.0.1/news/cate/?dtype=blog",
                               NcodeUrls.is_article)
    assert links == ["http://127.0.0.1/news/newsview.php?ncode=1065000000000003&dt=m",
                     "http://127.0.0.1/news/newsview.php?ncode=1065000000000003",
                     "http://127.0.0.1/news/view/1065000000000002",
                     "http://127.0.0.1/news/newsview.php?ncode=1065000000000001"]


def test_list_fallback_reads_a_list_named_like_a_box_by_its_tags_alone():
    html = """<html><body><nav><a href="/news/articleView.html?idxno=1">menu</a></nav>
      <div class="photo-list"><a href="/news/articleView.html?idxno=31">a</a><a href="/news/articleView.html?idxno=30">b</a></div>
      <footer><a href="/news/articleView.html?idxno=2">f</a></footer></body></html>"""
    assert main_content_links(root_of(html), "http://x.example/", NdsoftUrls.is_article) == [
        "http://x.example/news/articleView.html?idxno=31", "http://x.example/news/articleView.html?idxno=30"]


def test_a_page_without_article_links_has_no_list():
    assert main_content_links(root_of("<html><body><p>없음</p></body></html>"), "http://x/", NdsoftUrls.is_article) == []


def test_page_links_leave_out_nav_and_footer_elements_only():
    links = page_links(root_of(NCODE_DRIFTED_LIST), "http://127.0.0.1/")
    assert links[:2] == ["http://127.0.0.1/news/newsview.php?ncode=1065000000000900",  # a div, not <header>
                         "http://127.0.0.1/news/newsview.php?ncode=1065000000000003&dt=m"]
    assert not {"http://127.0.0.1/news/newsview.php?ncode=1065000000000901",
                "http://127.0.0.1/news/newsview.php?ncode=1065000000000500"} & set(links)


# -- article URL shapes ----------------------------------------------------------------------------
@pytest.mark.parametrize(("links", "shape", "ids"), [
    # URL shapes of real regional outlets on CMSes no module here names (the registry's evidence)
    (["https://www.busan.example/view/busan/view.php?code=2025092115023940664",
      "https://www.busan.example/view/busan/view.php?code=2025092115023940665&sec=01",
      "https://www.busan.example/view/busan/view.php?code=2025092115023940666",
      "https://www.busan.example/list.php?code=01", "https://www.busan.example/list.php?code=02"],
     "/view/busan/view.php?code=<id>", ["2025092115023940664", "2025092115023940665", "2025092115023940666"]),
    (["https://k.example/news2011/asp/newsbody.asp?code=0300&key=20260508.22016001868",
      "https://k.example/news2011/asp/newsbody.asp?code=0300&key=20260508.22016001869",
      "https://k.example/news2011/asp/newsbody.asp?code=0100&key=20260508.22016001870"],
     "/news2011/asp/newsbody.asp?key=<id>", ["20260508.22016001868", "20260508.22016001869", "20260508.22016001870"]),
    (["https://m.example/page/view/2023042610365543000", "https://m.example/page/view/2023042610365543001",
      "https://m.example/page/view/2023042610365543002", "https://m.example/page/list/1", "https://m.example/page/list/2"],
     "/page/view/<id>", ["2023042610365543000", "2023042610365543001", "2023042610365543002"]),
    (["http://g.example/article.php?aid=1784592000801402141", "http://g.example/article.php?aid=1784592000801402142",
      "http://g.example/article.php?aid=1784592000801402143"],
     "/article.php?aid=<id>", ["1784592000801402141", "1784592000801402142", "1784592000801402143"]),
    (["http://w.example/2024/05/01/12345/", "http://w.example/2024/05/02/12346/", "http://w.example/2024/05/03/12347/"],
     "/<n>/<n>/<n>/<id>", ["12345", "12346", "12347"]),
    (["http://s.example/news/12345-a-slug", "http://s.example/news/12346-b", "http://s.example/news/12347_c",
      "http://s.example/img/1.jpg", "http://s.example/img/2.jpg", "http://s.example/img/3.jpg"],
     "/news/<id>-<slug>", ["12345", "12346", "12347"]),
])
def test_article_shapes_of_unnamed_cms(links, shape, ids):
    learned = learn_shape(links)
    assert learned.describe() == shape
    assert [learned.article_id(u) for u in links[: len(ids)]] == ids


def test_menus_categories_and_paging_are_no_article_shape():
    menus = [f"http://x.example/news/list.html?cat={n}&page={p}" for n in range(1, 9) for p in range(1, 4)]
    menus += [f"http://x.example/news/cate/{n}" for n in range(1, 9)] + ["http://x.example/rss/1", "http://x.example/tag/5"]
    assert learn_shape(menus) is None
    articles = [f"http://x.example/news/article.html?no={n}" for n in (101, 102, 103)]
    assert learn_shape(menus + articles).describe() == "/news/article.html?no=<id>"


def test_feed_entries_outweigh_a_page_of_other_links():
    page = [f"http://x.example/board/read.php?id={n}" for n in range(10, 17)]       # 7 board posts
    feed = [f"http://x.example/news/view.php?nid={n}" for n in range(500, 503)]     # 3 feed articles
    assert learn_shape(page, known_articles=feed).describe() == "/news/view.php?nid=<id>"
    assert learn_shape(page).describe() == "/board/read.php?id=<id>"


def test_shapes_only_from_the_outlet_hosts_and_kept_as_data():
    links = [f"http://other.example/a/{n}" for n in range(100, 110)] + [f"http://mine.example/n/{n}" for n in (1, 2, 3)]
    shape = learn_shape(links, hosts=["mine.example"])
    assert shape == UrlShape("/n/{id}") and UrlShape.from_dict(shape.to_dict()) == shape
    assert shape.matches("http://mine.example/n/77/") and not shape.matches("http://mine.example/n/x")


# -- feed and sitemap entries share the list walk's plan --------------------------------------------
def test_feed_entries_fetched_first_never_end_an_incremental_walk_early(tmp_path):
    from scrapy.settings import Settings

    store = SqliteStateStore(tmp_path / "state.sqlite3", "x")
    store.mark_recorded("http://x.example/news/articleView.html?idxno=1", "1", "2024-01-01T00:00:00+09:00")
    walk = ListWalk(store, Settings({"NEWSBOT_OVERLAP_PAGES": 0}), NdsoftUrls.canonicalize)
    url = "http://x.example/news/articleView.html?idxno={}".format
    feed = walk.plan([ListEntry(url(3)), ListEntry(url(2)), ListEntry(url(1))], source="feed")
    assert ([u for u, _ in feed.fetch], feed.stop) == ([url(3), url(2)], None)
    # the list's first page shows the same articles: nothing to fetch, yet the feed's were new
    page = walk.plan([ListEntry(url(3) + "&page=1"), ListEntry(url(2)), ListEntry(url(1))])
    assert (page.fetch, page.fed, page.stop) == ([], 2, None)
    # a page of only recorded articles ends the walk as before (overlap 0)
    assert walk.plan([ListEntry(url(1))]).stop is not None
    store.close()


# -- the list fallback in a spider ------------------------------------------------------------------
def spider_for(spidercls, tmp_path, **arguments):
    crawler = get_crawler(spidercls, {"OUTPUT_DIR": str(tmp_path), "EXTENSIONS": {"newsbot.state.CrawlState": 0},
                                      "NEWSBOT_STATE_STORE": "newsbot.state.sqlite.SqliteStateStore"})
    crawler.spider = spidercls.from_crawler(crawler, **arguments)
    crawler._apply_settings()
    return crawler.spider


def test_family_c_list_in_unknown_markup_is_read_by_the_fallback_and_counted(tmp_path):
    from newsbot.spiders.registry import NewsstepSpider

    spider = spider_for(NewsstepSpider, tmp_path, base_url="http://127.0.0.1", site="drift", outlet="표류뉴스")
    url = "http://127.0.0.1/news/cate/?dtype=blog"
    requests = list(spider.parse_list(HtmlResponse(url, body=NCODE_DRIFTED_LIST.encode(), encoding="utf-8")))
    articles = [r.url for r in requests if r.callback == spider.parse_article]
    # the two spellings of 1065000000000003 are one article; the next list page is asked for
    assert articles == ["http://127.0.0.1/news/newsview.php?ncode=1065000000000003&dt=m",
                        "http://127.0.0.1/news/view/1065000000000002",
                        "http://127.0.0.1/news/newsview.php?ncode=1065000000000001"]
    assert [r.url for r in requests if r.callback == spider.parse_list] == [url + "&pagenum=1"]
    stats = spider.crawler.stats
    assert (stats.get_value("newsbot/list_fallback/pages"), stats.get_value("newsbot/list_fallback/links")) == (1, 4)
    assert stats.get_value("newsbot/list_fallback/example") == url
    # past the end the CMS shows only the boxes again: no list, the walk ends, nothing counted
    past = NCODE_DRIFTED_LIST.replace('<div class="news_list_area">', '<div class="news_list_area"><!--').replace(
        '<div class="paging">', '--><div class="paging">')
    past += '<a href="/news/newsview.php?ncode=1065000000000001">첫째 기사</a>'  # an old one in a box
    assert list(spider.parse_list(HtmlResponse(url + "&pagenum=1", body=past.encode(), encoding="utf-8"))) == []
    assert stats.get_value("newsbot/list_fallback/pages") == 1


def test_a_list_the_selectors_read_never_runs_the_fallback(tmp_path, monkeypatch):
    from newsbot.spiders import discovery
    from newsbot.spiders.registry import IdominSpider

    from .conftest import fixture_html

    monkeypatch.setattr(discovery, "main_content_links", lambda *a: pytest.fail("fallback ran"))
    spider = spider_for(IdominSpider, tmp_path, base_url="http://127.0.0.1")
    response = HtmlResponse("http://127.0.0.1/news/articleList.html?view_type=sm",
                            body=fixture_html("idomin", "list_1.html").encode(), encoding="utf-8")
    assert len(spider.list_entries(response)) == 2


def test_feed_responses_plan_articles_and_a_missing_feed_is_one_counted_line(tmp_path):
    from newsbot.spiders.registry import IdominSpider

    spider = spider_for(IdominSpider, tmp_path, base_url="http://a.example", site="ahn", outlet="안뉴스")
    assert spider.feed_urls() == ["http://a.example/rss/allArticle.xml"]
    feed = TextResponse("http://a.example/rss/allArticle.xml", body=RSS, headers={"Content-Type": "application/rss+xml"})
    spider.list_walk()
    requests = list(spider.parse_feed(feed))
    assert [r.url for r in requests] == [f"http://a.example/news/articleView.html?idxno={n}" for n in (5, 6, 4)]
    assert all(r.callback == spider.parse_article for r in requests)
    missing = TextResponse("http://a.example/rss/allArticle.xml", status=404, body=b"<html>no</html>")
    assert list(spider.parse_feed(missing)) == []
    stats = spider.crawler.stats
    assert (stats.get_value("newsbot/discovery/feed_articles_found"), stats.get_value("newsbot/discovery/feed_unavailable")) == (3, 1)


def test_gnuboard_reads_its_board_feed_except_in_an_id_walk_backfill(tmp_path):
    from newsbot.spiders.registry import FirstnewsSpider

    incremental = spider_for(FirstnewsSpider, tmp_path, base_url="http://g.example", board="news", site="g")
    assert [(r.url, r.callback) for r in incremental.discovery_requests()] == [
        ("http://g.example/bbs/rss.php?bo_table=news", incremental.parse_feed)]
    # the backfill walks every wr_id: a feed would only race the walk for the same URLs
    backfill = spider_for(FirstnewsSpider, tmp_path / "b", base_url="http://g.example", board="news", site="g",
                          since="2024-01-01")
    assert backfill.discovery_requests() == []


def test_backfills_read_robots_sitemaps_incremental_runs_only_given_ones(tmp_path):
    from newsbot.spiders.registry import IdominSpider

    incremental = spider_for(IdominSpider, tmp_path, base_url="http://a.example", site="a", sitemaps="/news.xml")
    assert [r.url for r in incremental.discovery_requests()] == [
        "http://a.example/rss/allArticle.xml", "http://a.example/news.xml"]
    backfill = spider_for(IdominSpider, tmp_path / "b", base_url="http://a.example", site="a", since="2024-01-01",
                          feeds="https://feeds.a.example/all.xml")
    assert [r.url for r in backfill.discovery_requests()] == ["https://feeds.a.example/all.xml",
                                                              "http://a.example/robots.txt"]
    assert "feeds.a.example" in backfill.allowed_domains
