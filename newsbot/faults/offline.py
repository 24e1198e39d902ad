"""Nothing escapes: a crawl talks to the sites it crawls and to nothing else.

Scrapy's cookie middleware asks ``tldextract`` whether a cookie's domain is a public
suffix; on a cold cache tldextract then downloads the Public Suffix List from
publicsuffix.org (and GitHub), logging tracebacks when offline.  Scrapy offers no
setting for this, so this extension swaps in an extractor that uses the snapshot
tldextract ships and never fetches (and writes no cache under ``~/.cache``).
"""

from __future__ import annotations

from tldextract import TLDExtract


class OfflineSuffixList:
    def __init__(self, crawler):
        from scrapy.downloadermiddlewares import cookies

        if hasattr(cookies, "_split_domain"):
            cookies._split_domain = TLDExtract(
                cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True, include_psl_private_domains=True
            )

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)
