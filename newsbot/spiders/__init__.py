"""Outlet spiders: one short file per outlet, on the spider base of its CMS.

Look here first when adding an outlet: copy the smallest outlet file of the same CMS.
The CMS bases live in :mod:`newsbot.cms` (one module per CMS); what every spider shares
is in :mod:`newsbot.spiders.base`.
"""
