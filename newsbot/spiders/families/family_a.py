"""Family A: ``/news/list.php`` lists, ``/news/view.php?idx=N`` articles."""

import re

from newsbot.extract.family_a import FamilyAArticle
from newsbot.spiders.base import NewsSpider


class FamilyASpider(NewsSpider):
    article_page = FamilyAArticle
    list_paths = ("/news/list.php",)
    list_link_css = "div.basicList ul li dt.title a::attr(href)"
    # each entry prints its date (dd.registDate, YYYY-MM-DD): backfills skip by it unfetched
    list_item_css = "div.basicList ul li"
    list_item_link_css = "dt.title a::attr(href)"
    list_item_date_css = "dd.registDate::text"
    article_url_re = re.compile(r"view\.php\?(?:[^#]*&)?idx=\d+")
    # mcode only says which section menu the link came from: same idx, same article
    canonical_drop_params = frozenset({"mcode"})
