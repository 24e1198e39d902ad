"""뉴스스텝 (www.newsstep.co.kr): the ncode CMS (a guess from page text)."""

from newsbot.cms.ncode import NcodeSpider


class NewsstepSpider(NcodeSpider):
    name = "newsstep"
    outlet = "뉴스스텝"
    base_url = "http://www.newsstep.co.kr"
