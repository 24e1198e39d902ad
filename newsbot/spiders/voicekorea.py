"""보이스코리아 (voicekorea.kr): family A, newer skin (ul.info-text, bullet subtitles, div.fr-view)."""

from newsbot.spiders.families.family_a import FamilyASpider


class VoicekoreaSpider(FamilyASpider):
    name = "voicekorea"
    outlet = "보이스코리아"
    base_url = "http://voicekorea.kr"
