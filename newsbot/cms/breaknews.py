"""Break News (family B): ``/sub_read.html?uid=N`` articles, ``/sub.html?page=N`` lists.

브레이크뉴스 and its regional editions.  Two skins (docs/cms.md): the modern one
(``h1.read_title``, ``div#textinput``, UTF-8) and the 2012-era one (``td.read_title``,
``td.read_body div#CLtag``, EUC-KR declared only in ``<meta>``).  Inside the modern body
container sit things that are not the article: a repeated headline (``.article_head``),
related-article boxes, the reporter box, the copyright line; photo tables carry the captions.

Regional editions append Google's English machine translation after the Korean text,
introduced by a fixed Korean notice line: everything after that line goes to ``body_en``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from newsbot.cms import Signature
from newsbot.extract.base import ArticlePage
from newsbot.spiders.base import NewsSpider
from newsbot.text import clean_line
from newsbot.urls import ArticleUrls

#: the notice line that introduces the machine translation ("아래는 위 기사를 '구글 번역'으로 ...")
TRANSLATION_NOTICE = re.compile(r"^아래는\s*위\s*기사를\s*['‘’\"]?구글\s*번역")
#: the notice's English twin, when it stands on its own line ("<*The following is [the full text] ...>")
TRANSLATION_NOTICE_EN = re.compile(r"^<?\*?\s*The following is \[?the full text", re.IGNORECASE)
_CAPTION_MARK = re.compile(r"^[▲△▶]\s*")
_SHORT_PATH = re.compile(r"/(\d+)")


class BreaknewsUrls(ArticleUrls):
    article_url_re = re.compile(r"sub_read\.html\?(?:[^#]*&)?uid=\d+|^(?:https?://[^/]+)?/\d+$")
    id_param = "uid"
    id_path_re = re.compile(r"^/(\d+)$")  # short form /N
    # section/section2 only say which menu the link came from: same uid, same article
    canonical_drop_params = frozenset({"section", "section2"})

    @classmethod
    def long_form(cls, url: str) -> str:
        # the short form /N names the same article as /sub_read.html?uid=N
        parts = urlsplit(url)
        short = _SHORT_PATH.fullmatch(parts.path)
        if short and not parts.query:
            return urlunsplit((parts.scheme, parts.netloc, "/sub_read.html", f"uid={short[1]}", ""))
        return url


class BreaknewsArticle(ArticlePage):
    urls = BreaknewsUrls
    section_param = "section"

    title_css = ("h1.read_title", "td.read_title")
    subtitle_css = ("h2.read_subtitle",)
    author_css = ("div.writer_time span.writer", ".writer", "td.read_writer")
    # "이귀선기자 | 입력 : 2024/04/08 [12:51]": split on "|" in date_texts
    date_css = ("div.writer_time", ".read_time", "td.read_date")
    body_css = ("div#textinput", "td.read_body div#CLtag", "td.read_body")
    body_exclude_css = (
        ".article_head", ".read_r_news", "#news_read_list", ".kija_intro", ".news_read_copyright",
        ".ad", "[class*=banner]",
    )
    photo_css = ("table.body_img_table", "figure")
    caption_css = ("p.body_img_caption", ".body_img_caption", "figcaption")

    def date_texts(self) -> list[str]:
        # The reporter and the date share one line: "이귀선기자 | 입력 : 2024/04/08 [12:51]".
        return [part for text in super().date_texts() for part in map(clean_line, text.split("|")) if part]

    def _split_translation(self) -> tuple[list[str], list[str]]:
        lines = super().body_lines()
        for index, line in enumerate(lines):
            if TRANSLATION_NOTICE.match(clean_line(line)):
                return lines[:index], lines[index + 1:]
        return lines, []

    def body_lines(self) -> list[str]:
        return self._split_translation()[0]

    def body_en(self) -> str | None:
        english = [line for line in map(clean_line, self._split_translation()[1])
                   if line and not TRANSLATION_NOTICE_EN.match(line)]
        return "\n".join(english) or None

    def captions(self) -> list[str]:
        # "▲ 시청 전경 © 이귀선 기자": the triangle is a bullet, not caption text
        return [_CAPTION_MARK.sub("", caption) for caption in super().captions()]


class BreaknewsSpider(NewsSpider):
    cms = "breaknews"
    urls = BreaknewsUrls
    article_page = BreaknewsArticle
    # all sections together; one section is /sub.html?section=scN (pass it with -a start_urls=)
    list_paths = ("/sub.html",)
    list_link_css = "div.sub_read_list_box dl dt a::attr(href)"
    # the all-sections RSS feed of Break News sites
    feeds = ("/rss/rss_news.php",)


#: what only this CMS writes: how ``scrapy detect`` recognises it (newsbot/detect.py)
SIGNATURES = (
    Signature("the modern skin's article body", css="div#textinput", weight=3),
    Signature("the 2012 skin's article body", css="#CLtag", weight=3),
    Signature("the article title", css="h1.read_title, td.read_title", weight=1),
    Signature("photo tables with captions", css="table.body_img_table, p.body_img_caption", weight=1),
    Signature("article images under /imgdata/", link=r"/imgdata/", weight=1),
    Signature("the RSS feed", link=r"/rss/rss_news\.php", weight=1),
)
