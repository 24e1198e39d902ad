"""제주의소리 (www.jejusori.net): ND Soft."""

from newsbot.cms.ndsoft import NdsoftSpider


class JejusoriSpider(NdsoftSpider):
    name = "jejusori"
    outlet = "제주의소리"
    home_region = "제주특별자치도"  # settles shared district names (중구, 광주시 ...): docs/records.md
    base_url = "https://www.jejusori.net"
