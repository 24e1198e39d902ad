"""The ncode CMS (family C): ``/news/newsview.php?ncode=1065…`` (or ``/news/view/1065…``) articles,
``/news/cate/…?pagenum=N`` lists (0-based).

뉴스스텝 is believed to run on it (a guess from its page text, docs/cms.md).  The reporter
and the approval time share one ``dd``: ``최선경 기자 / 기사승인 : 2024-07-10 08:15:43``.
Inside ``#viewConts``: ad blocks ``div[id^=articleBody]`` and captions ``#imgcap_N`` (``▲ …``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from newsbot.cms import Signature
from newsbot.extract.base import ArticlePage
from newsbot.spiders.base import NewsSpider
from newsbot.text import clean_line
from newsbot.urls import ArticleUrls

_CAPTION_MARK = re.compile(r"^[▲△▶]\s*")
# " / " separates reporter and date; a bare "/" could be inside a date (2024/07/10)
_FIELD_SEPARATOR = re.compile(r"\s+/\s+|\s*\|\s*")
_SHORT_PATH = re.compile(r"/news/view/(\d+)")


class NcodeUrls(ArticleUrls):
    article_url_re = re.compile(r"newsview\.php\?(?:[^#]*&)?ncode=\d+|/news/view/\d+")
    id_param = "ncode"
    id_path_re = _SHORT_PATH
    canonical_drop_params = frozenset({"dt", "dtype", "pagenum"})

    @classmethod
    def long_form(cls, url: str) -> str:
        # /news/view/N names the same article as /news/newsview.php?ncode=N
        parts = urlsplit(url)
        short = _SHORT_PATH.fullmatch(parts.path)
        if short:
            return urlunsplit((parts.scheme, parts.netloc, "/news/newsview.php", f"ncode={short[1]}", ""))
        return url


class NcodeArticle(ArticlePage):
    urls = NcodeUrls

    title_css = (".viewTitle h3", ".viewTitle h2", "h3.view_title")
    subtitle_css = (".viewTitle .subtitle", ".subtitle")
    author_css = ("div.viewTitle dl dd",)
    date_css = ("div.viewTitle dl dd",)
    body_css = ("#viewConts", "div.viewConts", "#news_body_area")
    body_exclude_css = ("div[id^=articleBody]", ".ad", "[class*=banner]", ".relation_news")
    photo_css = ("[id^=imgcap_]", "figure")
    caption_css = ("figcaption",)
    section_css = (".naviLink a:last-child", ".naviLink")

    def _dd_parts(self) -> list[str]:
        return [part for text in super().date_texts() for part in map(clean_line, _FIELD_SEPARATOR.split(text)) if part]

    def date_texts(self) -> list[str]:
        return self._dd_parts()

    def author(self) -> str | None:
        # the part of the byline that is not a dated label: "최선경 기자"
        for part in self._dd_parts():
            if not any(part.replace(" ", "").startswith(label)
                       for label in (*self.published_labels, *self.modified_labels)):
                return part
        return None

    def captions(self) -> list[str]:
        return [_CAPTION_MARK.sub("", caption) for caption in super().captions()]


class NcodeSpider(NewsSpider):
    cms = "ncode"
    urls = NcodeUrls
    article_page = NcodeArticle
    # the all-articles list in blog view; a category is /news/cate/<id>?dtype=blog
    list_paths = ("/news/cate/?dtype=blog",)
    # list markup not seen on a real page: both known list views
    list_link_css = "div.cate_list dl dt a::attr(href), ul.art_list li .tit a::attr(href)"
    page_param = "pagenum"
    first_page = 0  # pagenum=0 is the newest page


#: what only this CMS writes: how ``scrapy detect`` recognises it (newsbot/detect.py)
SIGNATURES = (
    Signature("the article body", css="#viewConts", weight=3),
    Signature("photo captions #imgcap_N", css="[id^=imgcap_]", weight=1),
    Signature("category lists", link=r"/news/cate/", weight=1),
)
