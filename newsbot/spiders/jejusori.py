"""제주의소리 (www.jejusori.net): family E, ND Soft."""

from newsbot.spiders.families.family_e import FamilyESpider


class JejusoriSpider(FamilyESpider):
    name = "jejusori"
    outlet = "제주의소리"
    base_url = "https://www.jejusori.net"
