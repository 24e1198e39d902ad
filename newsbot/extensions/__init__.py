"""Scrapy extensions of newsbot (``EXTENSIONS`` in settings)."""
