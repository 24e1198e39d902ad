"""Outlet spiders: one per entry of the outlet registry (``newsbot/data/outlets.toml``,
built by :mod:`newsbot.spiders.registry`), plus a hand-written class here for an outlet
that needs code (it wins over the entry of the same name; docs/outlets.md).

Adding an outlet on a known CMS is one registry entry (docs/adding-an-outlet.md).  The CMS
bases live in :mod:`newsbot.cms` (one module per CMS); what every spider shares is in
:mod:`newsbot.spiders.base`.
"""
