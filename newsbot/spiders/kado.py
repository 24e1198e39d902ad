"""강원도민일보 (www.kado.net): family E, ND Soft."""

from newsbot.spiders.families.family_e import FamilyESpider


class KadoSpider(FamilyESpider):
    name = "kado"
    outlet = "강원도민일보"
    base_url = "https://www.kado.net"
