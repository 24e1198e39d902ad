"""경기인터넷뉴스 (www.gginews.kr): the mcode CMS, older skin."""

from newsbot.cms.mcode import McodeSpider


class GginewsSpider(McodeSpider):
    name = "gginews"
    outlet = "경기인터넷뉴스"
    home_region = "경기도"  # settles shared district names (중구, 광주시 ...): docs/records.md
    base_url = "http://www.gginews.kr"
