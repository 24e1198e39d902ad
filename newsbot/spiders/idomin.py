"""경남도민일보 (www.idomin.com): ND Soft."""

from newsbot.cms.ndsoft import NdsoftSpider


class IdominSpider(NdsoftSpider):
    name = "idomin"
    outlet = "경남도민일보"
    home_region = "경상남도"  # settles shared district names (중구, 광주시 ...): docs/records.md
    base_url = "https://www.idomin.com"
