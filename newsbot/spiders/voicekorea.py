"""보이스코리아 (voicekorea.kr): the mcode CMS, newer skin (ul.info-text, bullet subtitles, div.fr-view)."""

from newsbot.cms.mcode import McodeSpider


class VoicekoreaSpider(McodeSpider):
    name = "voicekorea"
    outlet = "보이스코리아"
    base_url = "http://voicekorea.kr"
