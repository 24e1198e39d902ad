"""Any outlet on a CMS newsbot has no module for (newsbot/cms/generic.py):

    scrapy crawl generic -a base_url='https://www.example.kr' -a site=example -a outlet='예시신문' \
        -a home_region='경상남도 김해시'
"""

from newsbot.cms.generic import GenericSpider as GenericCmsSpider


class GenericSpider(GenericCmsSpider):
    name = "generic"
