"""The mcode CMS (family A): ``/news/view.php?idx=N[&mcode=m…]`` articles, ``/news/list.php`` lists.

Outlets: gginews (older skin), voicekorea (newer skin), and others on the same CMS.
Two skins are known (docs/cms.md): the older one (``div.titleWrap``,
``div.registModifyDate``, ``#viewContent``) and the newer one (``ul.info-text``,
bullet-list subtitles, ``div.fr-view``).  Selectors for both are listed; the first that
matches wins.
"""

from __future__ import annotations

import re

from newsbot.cms import Signature
from newsbot.extract.base import ArticlePage
from newsbot.spiders.base import NewsSpider
from newsbot.urls import ArticleUrls


class McodeUrls(ArticleUrls):
    article_url_re = re.compile(r"view\.php\?(?:[^#]*&)?idx=\d+")
    id_param = "idx"
    # mcode only says which section menu the link came from: same idx, same article
    canonical_drop_params = frozenset({"mcode"})


class McodeArticle(ArticlePage):
    urls = McodeUrls
    section_param = "mcode"

    title_css = ("div.titleWrap strong", "div.titleWrap h2", "h1.viewTitle")
    subtitle_css = ("div.titleWrap .subTitle", "div.subTitle", "ul.subTitle li")
    # newer skin: the byline is a plain li ("송호영 기자") next to "등록 …"
    author_css = ("div.titleWrap div.else-area p", "div.else-area p.writer", "ul.info-text li.writer",
                  "ul.info-text li:contains('기자')")
    date_css = ("div.registModifyDate ul li", "ul.info-text li")
    # div.fr-view first: in the newer skin it is the article text inside a wider container
    body_css = ("div.fr-view", "div#viewContent", "div.viewContent")
    body_exclude_css = (".ad", ".adsbygoogle", "[class*=banner]", ".relation", ".related", "#relationList")
    # newer skin's Froala editor puts a captioned photo inline, mid-sentence: span.fr-img-caption
    photo_css = ("[id=img_caption]", "figure", "table.photo", "span.fr-img-caption")
    caption_css = (".caption", "figcaption", "td.caption", "span.fr-inner")
    section_css = ("div.location .current", "div.navi .current")


class McodeSpider(NewsSpider):
    cms = "mcode"
    urls = McodeUrls
    article_page = McodeArticle
    list_paths = ("/news/list.php",)
    list_link_css = "div.basicList ul li dt.title a::attr(href)"
    # each entry prints its date (dd.registDate, YYYY-MM-DD): backfills skip by it unfetched
    list_item_css = "div.basicList ul li"
    list_item_link_css = "dt.title a::attr(href)"
    list_item_date_css = "dd.registDate::text"


#: what only this CMS writes: how ``scrapy detect`` recognises it (newsbot/detect.py)
SIGNATURES = (
    Signature("the older skin's 기사등록/기사수정 box", css="div.registModifyDate", weight=3),
    Signature("the older skin's title box", css="div.titleWrap", weight=1),
    Signature("the article body", css="#viewContent, div.viewContent", weight=1),
    Signature("section lists named by mcode", link=r"/news/list\.php\?(?:[^#]*&)?mcode=", weight=2),
)
