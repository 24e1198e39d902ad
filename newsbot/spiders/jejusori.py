"""제주의소리 (www.jejusori.net): family E, ND Soft."""

from newsbot.spiders.families.family_e import FamilyESpider


class JejusoriSpider(FamilyESpider):
    name = "jejusori"
    outlet = "제주의소리"
    home_region = "제주특별자치도"  # settles shared district names (중구, 광주시 ...): docs/records.md
    base_url = "https://www.jejusori.net"
