"""Fixture folders as test data: a new outlet or skin needs a folder, not test code.

Every folder under ``tests/fixtures/`` that holds an ``expected.json`` is a case:

``expected.json``::

    {
      "spider": "idomin",              # default: the folder's name
      "args": ["-a", "max_pages=2"],   # extra scrapy crawl arguments (base_url is always given;
                                       # "-a site=ID": another outlet on the spider's CMS, read from OUTPUT_DIR/ID)
      "exit_status": 0,                # of the crawl (default 0)
      "records": {                     # by article_id: the exact set of records the crawl writes,
        "900101": {"title": "...", "canonical_url": "{base}/news/..."}   # each with the fields given
      },
      "report": {"new": 3},            # fields of the crawl report JSON, compared exactly
      "requested": ["/news/..."],      # request targets the site must have seen
      "not_requested": ["/news/..."],  # ... and must not have seen
      "log": ["Layout check: ..."],    # lines the crawl's log must contain
      "pages": [                       # page objects alone, in-process, no crawl:
        {"file": "view_900101.html", "url": "https://www.idomin.com/news/articleView.html?idxno=900101",
         "headers": {"Content-Type": "text/html; charset=euc-kr"},
         "expected": {"title": "..."}}  # fields of the normalized record
      ]
    }

A folder with ``routes.json`` is also crawled end to end (:mod:`tests.test_fixture_crawls`,
``records``/``report``/``requested``/``log``); its ``pages`` (and those of a folder without
routes, e.g. a skin seen on no outlet of ours) run through the spider's page object and
normalization (:mod:`tests.test_fixture_pages`).  ``{base}`` in any expected string is
the local site's base URL (in ``args`` too).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class FixtureCase:
    folder: Path
    spider: str
    args: list[str] = field(default_factory=list)
    exit_status: int = 0
    records: dict[str, dict] | None = None
    report: dict = field(default_factory=dict)
    requested: list[str] = field(default_factory=list)
    not_requested: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    pages: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def site(self) -> str:
        """The outlet id the crawl writes under: its ``-a site=`` or the spider's name."""
        given = [arg[len("site="):] for arg in self.args if arg.startswith("site=")]
        return given[-1] if given else self.spider

    @property
    def crawls(self) -> bool:
        return (self.folder / "routes.json").exists() and self.records is not None


def load_case(folder: Path) -> FixtureCase:
    spec = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    unknown = set(spec) - (set(FixtureCase.__dataclass_fields__) - {"folder"})
    if unknown:
        raise ValueError(f"{folder / 'expected.json'}: unknown keys {sorted(unknown)}")
    return FixtureCase(folder=folder, spider=spec.pop("spider", folder.name), **spec)


def fixture_cases() -> list[FixtureCase]:
    return [load_case(path.parent) for path in sorted(FIXTURES.glob("*/expected.json"))]


def with_base(value, base: str):
    """``value`` with ``{base}`` replaced in every string inside it."""
    if isinstance(value, str):
        return value.replace("{base}", base)
    if isinstance(value, list):
        return [with_base(v, base) for v in value]
    if isinstance(value, dict):
        return {k: with_base(v, base) for k, v in value.items()}
    return value
