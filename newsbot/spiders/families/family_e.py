"""Family E: ND Soft, ``/news/articleList.html?page=N`` lists, ``/news/articleView.html?idxno=N`` articles."""

import re

from w3lib.url import add_or_replace_parameter

from newsbot.extract.family_e import FamilyEArticle
from newsbot.spiders.base import NewsSpider


class FamilyESpider(NewsSpider):
    article_page = FamilyEArticle
    # every section, newest first, in the compact list view; one section: &sc_section_code=S1N1
    list_paths = ("/news/articleList.html?view_type=sm",)
    # current skin (#section-list ... .titles a) and older skin (div.list-titles a)
    list_link_css = "#section-list .titles a::attr(href), div.list-titles a::attr(href)"
    article_url_re = re.compile(r"articleView\.html\?(?:[^#]*&)?idxno=\d+")
    # list context some list pages append to article links
    canonical_drop_params = frozenset({
        "sc_section_code", "sc_sub_section_code", "sc_serial_code", "view_type", "page", "total",
        "list_type", "sc_area", "sc_level", "sc_word", "sc_order_by",
    })

    def list_start_urls(self) -> list[str]:
        # ND Soft filters lists by date (sc_sdate/sc_edate): a backfill starts inside its range,
        # and next_list_url keeps the filter on every further page.
        urls = super().list_start_urls()
        for name, day in (("sc_sdate", self.since), ("sc_edate", self.until)):
            if day:
                urls = [add_or_replace_parameter(url, name, day.isoformat()) for url in urls]
        return urls
