"""Extraction: the page-object base (:mod:`newsbot.extract.base`); each CMS's page object
lives in its module under :mod:`newsbot.cms`."""

from newsbot.extract.base import ArticlePage

__all__ = ["ArticlePage"]
