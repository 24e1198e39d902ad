"""Extraction: one page-object class per CMS family (see :mod:`newsbot.extract.base`)."""

from newsbot.extract.base import ArticlePage
from newsbot.extract.family_a import FamilyAArticle

__all__ = ["ArticlePage", "FamilyAArticle"]
