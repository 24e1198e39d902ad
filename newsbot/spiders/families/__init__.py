"""Base spiders, one per CMS family.  A new family = a page object + a base here."""
