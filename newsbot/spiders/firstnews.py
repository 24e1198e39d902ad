"""퍼스트신문 (Paju): a gnuboard5 board."""

from newsbot.cms.gnuboard import GnuboardSpider


class FirstnewsSpider(GnuboardSpider):
    name = "firstnews"
    outlet = "퍼스트신문"
    home_region = "경기도 파주시"  # settles shared district names (중구, 광주시 ...): docs/records.md
    # Host and board not confirmed (no real URL seen): best guesses; override with
    # -a base_url=URL and -a board=NAME.
    base_url = "http://www.firstnews.co.kr"
    board = "firstnews"
