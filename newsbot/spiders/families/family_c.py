"""Family C: the ``ncode`` CMS, ``/news/cate/…?pagenum=N`` lists (0-based), ``newsview.php?ncode=`` articles."""

import re
from urllib.parse import urlsplit, urlunsplit

from newsbot.extract.family_c import FamilyCArticle
from newsbot.spiders.base import NewsSpider


class FamilyCSpider(NewsSpider):
    article_page = FamilyCArticle
    # the all-articles list in blog view; a category is /news/cate/<id>?dtype=blog
    list_paths = ("/news/cate/?dtype=blog",)
    # list markup not seen on a real page (reference: [guess]); both known list views
    list_link_css = "div.cate_list dl dt a::attr(href), ul.art_list li .tit a::attr(href)"
    article_url_re = re.compile(r"newsview\.php\?(?:[^#]*&)?ncode=\d+|/news/view/\d+")
    page_param = "pagenum"
    first_page = 0  # pagenum=0 is the newest page
    canonical_drop_params = frozenset({"dt", "dtype", "pagenum"})

    def canonicalize(self, url: str) -> str:
        # /news/view/N names the same article as /news/newsview.php?ncode=N
        parts = urlsplit(url)
        short = re.fullmatch(r"/news/view/(\d+)", parts.path)
        if short:
            url = urlunsplit((parts.scheme, parts.netloc, "/news/newsview.php", f"ncode={short[1]}", ""))
        return super().canonicalize(url)
