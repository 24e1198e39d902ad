"""Family A: the ``/news/view.php?idx=N`` CMS (gginews, voicekorea, ...).

Two skins are known (../shared/reference/cms-families.md): the older one
(``div.titleWrap``, ``div.registModifyDate``, ``#viewContent``) and the newer one
(``ul.info-text``, bullet-list subtitles, ``div.fr-view``).  Selectors for both are
listed; the first that matches wins.
"""

from __future__ import annotations

from newsbot.extract.base import ArticlePage


class FamilyAArticle(ArticlePage):
    id_param = "idx"
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
