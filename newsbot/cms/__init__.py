"""One module per CMS: its URL rules, its page object and its spider base, side by side.

=============  ============================================================  ======================
module         CMS                                                           article URL
=============  ============================================================  ======================
``mcode``      the mcode CMS (family A: gginews, voicekorea)                 ``/news/view.php?idx=N``
``breaknews``  Break News and its regional editions (family B)               ``/sub_read.html?uid=N``
``ncode``      the ncode CMS (family C: newsstep)                            ``/news/newsview.php?ncode=N``
``gnuboard``   gnuboard5 boards (family D: firstnews)                        ``/bbs/board.php?bo_table=X&wr_id=N``
``ndsoft``     ND Soft (family E: idomin, kado, jejusori, most regionals)    ``/news/articleView.html?idxno=N``
``generic``    any other CMS: feeds, sitemaps, the article URL shape          learned per outlet
               learned from the home page, extraction by layers (b)-(d)
=============  ============================================================  ======================

An outlet names its CMS in the outlet registry (``cms`` in ``newsbot/data/outlets.toml``;
``generic`` for a CMS with no module here) and its spider is built on that CMS's spider
base (:func:`spider_base`).  A new CMS is a new module here with the three classes and its
``SIGNATURES`` (what ``scrapy detect`` recognises it by) (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

#: CMS name -> the family letter it was known by (docs and older notes say "family E");
#: ``generic`` (an outlet on a CMS newsbot has no module for) is no family: no letter
CMS_NAMES: dict[str, str | None] = {"mcode": "A", "breaknews": "B", "ncode": "C", "gnuboard": "D", "ndsoft": "E",
                                    "generic": None}


def cms_module(name: str):
    """The module of the CMS called ``name`` (``KeyError`` for a CMS newsbot does not know)."""
    if name not in CMS_NAMES:
        raise KeyError(name)
    return import_module(f"{__name__}.{name}")


#: the CMS an outlet names when newsbot has no module for its CMS: a generic spider
#: (``newsbot/cms/generic.py``) reads such outlets from their markup and feeds
GENERIC = "generic"
#: every CMS name an outlet may give (the registry's ``cms`` field)
KNOWN_CMS = tuple(dict.fromkeys((*CMS_NAMES, GENERIC)))


def spider_base(name: str):
    """The spider base of the CMS called ``name``: the ``NewsSpider`` subclass defined in
    ``newsbot.cms.<name>`` whose ``cms`` is ``name``.  ``None`` when that module does not
    exist (yet): ``generic`` is a known CMS before its module lands.  ``KeyError`` for a
    name that is no CMS at all."""
    if name not in KNOWN_CMS:
        raise KeyError(name)
    module_name = f"{__name__}.{name}"
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise  # the module exists but something it imports does not: a real error
        return None
    from newsbot.spiders.base import NewsSpider

    for value in vars(module).values():
        if (isinstance(value, type) and issubclass(value, NewsSpider)
                and value.__module__ == module_name and value.cms == name):
            return value
    return None


@dataclass(frozen=True)
class Signature:
    """One sign of a CMS: exactly one of ``css`` (an element that must be present),
    ``link`` (a pattern some ``href``/``src`` on the page matches) or ``text`` (a pattern
    in the raw HTML, e.g. a script global), or ``generator`` (``<meta name=generator>``)."""

    what: str
    css: str | None = None
    link: str | None = None
    text: str | None = None
    generator: str | None = None
    weight: int = 1
