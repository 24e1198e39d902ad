"""경기인터넷뉴스 (www.gginews.kr): family A, older skin."""

from newsbot.spiders.families.family_a import FamilyASpider


class GginewsSpider(FamilyASpider):
    name = "gginews"
    outlet = "경기인터넷뉴스"
    base_url = "http://www.gginews.kr"
