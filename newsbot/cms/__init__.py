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

An outlet names its CMS (a spider class on the CMS's spider base); a new CMS is a new
module here with the three classes (docs/architecture.md).
"""

from __future__ import annotations

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
