"""Outlet spiders: one short file per outlet, on a base class per CMS family.

Look here first when adding an outlet: copy the smallest outlet file of the same family.
The family bases live in :mod:`newsbot.spiders.families`; what every spider shares is in
:mod:`newsbot.spiders.base`.
"""
