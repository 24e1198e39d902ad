"""강원도민일보 (www.kado.net): ND Soft."""

from newsbot.cms.ndsoft import NdsoftSpider


class KadoSpider(NdsoftSpider):
    name = "kado"
    outlet = "강원도민일보"
    home_region = "강원특별자치도"  # settles shared district names (중구, 광주시 ...): docs/records.md
    base_url = "https://www.kado.net"
