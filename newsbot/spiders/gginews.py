"""경기인터넷뉴스 (www.gginews.kr): family A, older skin."""

from newsbot.spiders.families.family_a import FamilyASpider


class GginewsSpider(FamilyASpider):
    name = "gginews"
    outlet = "경기인터넷뉴스"
    home_region = "경기도"  # settles shared district names (중구, 광주시 ...): docs/records.md
    base_url = "http://www.gginews.kr"
