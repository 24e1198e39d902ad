"""One spider class per outlet of the registry (``newsbot/data/outlets.toml``), built at
import on the spider base of the outlet's CMS, so Scrapy's spider loader lists them like
hand-written ones (``scrapy list``, ``scrapy crawl <site>``).

A class written by hand in another module of this package wins over a registry entry of
the same name (the entry is then documentation only): write one when an outlet needs code.
Entries whose CMS has no spider base yet are skipped: ``generic`` ones until
``newsbot/cms/generic.py`` exists (then they become spiders with no change here).
An entry the registry checks reject (``scrapy outlets --check``) is skipped with a warning,
so one bad edit cannot stop every crawl.  (:func:`newsbot.registry.build_spiders`)
"""

from __future__ import annotations

import logging

from newsbot.registry import build_spiders

globals().update(build_spiders(__name__, log=logging.getLogger(__name__)))
