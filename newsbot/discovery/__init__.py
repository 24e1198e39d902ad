"""Where article URLs come from besides a family's list selectors (pure functions, no crawler).

* :mod:`.feeds`: RSS/Atom feeds (feedparser), each entry's link and date;
* :mod:`.sitemaps`: XML sitemaps and sitemap indexes (Scrapy's sitemap reader), with the
  ``news:publication_date`` of Google News sitemaps, and ``Sitemap:`` lines of robots.txt;
* :mod:`.links`: article links in a page's main content region, not its navigation,
  header, footer or most-read/related/photo boxes (a list page whose markup the family's
  selectors no longer match);
* :mod:`.patterns`: an outlet's article URL shape learned from links (the generic spider,
  for a CMS nobody named).

The spiders use them through :mod:`newsbot.spiders.discovery`.
"""
