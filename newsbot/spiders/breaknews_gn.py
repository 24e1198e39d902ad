"""브레이크뉴스 경기남부: Break News, regional edition with English translations."""

from newsbot.cms.breaknews import BreaknewsSpider


class BreaknewsGnSpider(BreaknewsSpider):
    name = "breaknews_gn"
    outlet = "브레이크뉴스 경기남부"
    home_region = "경기도"  # settles shared district names (중구, 광주시 ...): docs/records.md
    # Host not confirmed (no real page seen): a best guess; override with -a base_url=URL.
    base_url = "http://gn.breaknews.com"
