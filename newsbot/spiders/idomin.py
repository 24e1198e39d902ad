"""경남도민일보 (www.idomin.com): family E, ND Soft."""

from newsbot.spiders.families.family_e import FamilyESpider


class IdominSpider(FamilyESpider):
    name = "idomin"
    outlet = "경남도민일보"
    base_url = "https://www.idomin.com"
