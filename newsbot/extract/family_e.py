"""Family E: ND Soft (엔디소프트) news CMS, ``/news/articleView.html?idxno=N``.

The CMS behind a large share of Korean regional outlets.  Two skins are known
(../shared/reference/cms-families.md): the current one (``header.article-view-header``,
``h3.heading``, ``h2.subheading``, ``ul.infomation li`` with ``입력 2024.01.01 12:00`` /
``수정 …``, body ``#article-view-content-div``, ``figure.photo-layout``) and an older one
(``div.article-head-title``, ``.info-text li`` with ``승인 2019.11.21 10:10``).
"""

from __future__ import annotations

from newsbot.extract.base import ArticlePage


class FamilyEArticle(ArticlePage):
    id_param = "idxno"

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
