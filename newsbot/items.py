"""The one item newsbot produces: a parsed news article.

Spiders fill the extracted fields; pipelines add the derived ones (canonical URL,
normalized text, ISO timestamps, WARC pointer).  Declared as a Scrapy ``Item`` so a
typo in a field name fails loudly instead of writing a silently empty field.
"""

import scrapy


class ArticleItem(scrapy.Item):
    # identity
    id = scrapy.Field()              # "<site>:<article_id>": stable across runs, re-parses, URL spellings
    content_digest = scrapy.Field()  # "sha256:..." of the article's content fields (see newsbot.identity)
    version = scrapy.Field()         # 1 for an article's first record, +1 when content_digest changes (state store)
    schema_version = scrapy.Field()  # of newsbot/schema/article.schema.json, e.g. "1.1"
    site = scrapy.Field()            # spider name, e.g. "gginews"
    url = scrapy.Field()             # URL as fetched (after redirects)
    canonical_url = scrapy.Field()   # see newsbot.urls.canonicalize_url
    article_id = scrapy.Field()      # the CMS's own id (idx, uid, ncode, wr_id, idxno)
    section = scrapy.Field()         # section/category as the CMS names it, if known
    # content
    title = scrapy.Field()
    subtitle = scrapy.Field()
    author = scrapy.Field()
    body = scrapy.Field()            # plain text, one paragraph per line
    body_en = scrapy.Field()         # machine translation some outlets append (never mixed into body)
    captions = scrapy.Field()        # photo captions, in page order
    images = scrapy.Field()          # absolute image URLs, in page order
    # time: ISO 8601 with offset, plus the raw text it came from
    published_at = scrapy.Field()
    published_at_raw = scrapy.Field()
    modified_at = scrapy.Field()
    modified_at_raw = scrapy.Field()
    crawled_at = scrapy.Field()
    # provenance
    warc_filename = scrapy.Field()
    warc_record_id = scrapy.Field()
    extraction_warnings = scrapy.Field()  # missing required fields and extraction doubts (docs/records.md)
    provenance = scrapy.Field()      # which extraction layer gave each field (newsbot.extract.layers)
    reparsed_at = scrapy.Field()     # when `scrapy reparse` made this record (None in a crawl's)
    # enrichment (newsbot.pipelines.enrich): who the article is about, what it is about
    regions = scrapy.Field()         # governments named, resolved by newsbot.regions
    topics = scrapy.Field()          # keyword-rule topic tags with their matched terms (newsbot.topics)
