"""뉴스스텝 (www.newsstep.co.kr): family C (ncode CMS; the family is a guess from page text)."""

from newsbot.spiders.families.family_c import FamilyCSpider


class NewsstepSpider(FamilyCSpider):
    name = "newsstep"
    outlet = "뉴스스텝"
    base_url = "http://www.newsstep.co.kr"
