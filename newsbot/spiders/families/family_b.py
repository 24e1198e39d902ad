"""Family B: Break News CMS, ``/sub.html?page=N`` lists, ``/sub_read.html?uid=N`` articles."""

import re
from urllib.parse import urlsplit, urlunsplit

from newsbot.extract.family_b import FamilyBArticle
from newsbot.spiders.base import NewsSpider


class FamilyBSpider(NewsSpider):
    article_page = FamilyBArticle
    # all sections together; one section is /sub.html?section=scN (pass it with -a start_urls=)
    list_paths = ("/sub.html",)
    list_link_css = "div.sub_read_list_box dl dt a::attr(href)"
    article_url_re = re.compile(r"sub_read\.html\?(?:[^#]*&)?uid=\d+|^(?:https?://[^/]+)?/\d+$")
    # section/section2 only say which menu the link came from: same uid, same article
    canonical_drop_params = frozenset({"section", "section2"})

    def canonicalize(self, url: str) -> str:
        # the short form /N names the same article as /sub_read.html?uid=N
        parts = urlsplit(url)
        short = re.fullmatch(r"/(\d+)", parts.path)
        if short and not parts.query:
            url = urlunsplit((parts.scheme, parts.netloc, "/sub_read.html", f"uid={short[1]}", ""))
        return super().canonicalize(url)
