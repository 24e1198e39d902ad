"""newsbot: a Scrapy crawler and WARC archiver for Korean local-government news."""

__version__ = "0.1.0"
