"""Only for ``scrapyd-deploy`` (docs/scheduling.md), which builds its egg with
``python setup.py bdist_egg`` and, when this file is missing, writes one of its own into
the checkout (name "project", version "1.0", clashing with pyproject.toml).

Everything comes from pyproject.toml: metadata, packages, package data and the ``scrapy``
entry point that tells Scrapyd the settings module.
"""

from setuptools import setup

setup()
