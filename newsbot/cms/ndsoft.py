"""ND Soft (엔디소프트, family E): ``/news/articleView.html?idxno=N`` articles,
``/news/articleList.html?page=N`` lists.

The CMS behind a large share of Korean regional outlets.  Two skins are known
(docs/cms.md): the current one (``header.article-view-header``, ``h3.heading``,
``h2.subheading``, ``ul.infomation li`` with ``입력 2024.01.01 12:00`` / ``수정 …``, body
``#article-view-content-div``, ``figure.photo-layout``) and an older one
(``div.article-head-title``, ``.info-text li`` with ``승인 2019.11.21 10:10``).
"""

from __future__ import annotations

import re

from w3lib.url import add_or_replace_parameter

from newsbot.cms import Signature
from newsbot.extract.base import ArticlePage
from newsbot.spiders.base import NewsSpider
from newsbot.urls import ArticleUrls


class NdsoftUrls(ArticleUrls):
    article_url_re = re.compile(r"articleView\.html\?(?:[^#]*&)?idxno=\d+")
    id_param = "idxno"
    # list context some list pages append to article links
    canonical_drop_params = frozenset({
        "sc_section_code", "sc_sub_section_code", "sc_serial_code", "view_type", "page", "total",
        "list_type", "sc_area", "sc_level", "sc_word", "sc_order_by",
    })


class NdsoftArticle(ArticlePage):
    urls = NdsoftUrls

    title_css = (
        "header.article-view-header h3.heading", "header.article-view-header h1.heading",
        "header.article-view-header h1", "div.article-head-title", ".article-head-title",
    )
    subtitle_css = ("header.article-view-header h2.subheading", "h2.subheading", "div.article-head-sub")
    # the byline li reads "홍길동 기자" (current skin) or "기자명 홍길동" (older skin)
    author_css = ("ul.infomation li:contains('기자')", ".info-text li:contains('기자')", ".writer")
    date_css = ("ul.infomation li", ".info-text li")
    published_labels = ("입력", "승인", "기사승인", "등록", "기사입력")
    body_css = ("#article-view-content-div", "[itemprop=articleBody]")
    body_exclude_css = (
        ".view-copyright", ".view-editors", ".article-ad", "[class*=ad-template]", "[class*=banner]",
        ".relation", "#relation", ".view-relation", ".tag-group",
    )
    photo_css = ("figure.photo-layout", "figure", "div.IMGFLOATING")
    caption_css = ("figcaption", ".photo-caption")
    section_css = ("ul.breadcrumbs li:last-child", "nav.breadcrumbs li:last-child")
    section_param = "sc_section_code"


class NdsoftSpider(NewsSpider):
    cms = "ndsoft"
    urls = NdsoftUrls
    article_page = NdsoftArticle
    # every section, newest first, in the compact list view; one section: &sc_section_code=S1N1
    list_paths = ("/news/articleList.html?view_type=sm",)
    # current skin (#section-list ... .titles a) and older skin (div.list-titles a)
    list_link_css = "#section-list .titles a::attr(href), div.list-titles a::attr(href)"
    # every ND Soft site publishes its newest articles here (an outlet without it answers 404)
    feeds = ("/rss/allArticle.xml",)

    def list_start_urls(self) -> list[str]:
        # ND Soft filters lists by date (sc_sdate/sc_edate): a backfill starts inside its range,
        # and next_list_url keeps the filter on every further page.
        urls = super().list_start_urls()
        for name, day in (("sc_sdate", self.since), ("sc_edate", self.until)):
            if day:
                urls = [add_or_replace_parameter(url, name, day.isoformat()) for url in urls]
        return urls


#: what only this CMS writes: how ``scrapy detect`` recognises it (newsbot/detect.py)
SIGNATURES = (
    Signature("ND Soft's article body", css="#article-view-content-div", weight=3),
    Signature("ND Soft's body class, spelled as ND Soft spells it", css=".article-veiw-body", weight=2),
    Signature("the current skin's header and info list", css="header.article-view-header, ul.infomation", weight=1),
    Signature("ND Soft photo paths /news/photo/YYYYMM/<idxno>_<n>_<n>",
              link=r"/news/photo/\d{6}/\d+_\d+_\d+\.\w+", weight=2),
    Signature("section lists /news/articleList.html", link=r"/news/articleList\.html", weight=2),
    Signature("the RSS feed /rss/allArticle.xml", link=r"/rss/allArticle\.xml", weight=1),
)
