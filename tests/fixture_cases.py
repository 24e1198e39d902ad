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
      "stats": {                       # the report's final stats (its "stats" object), compared
        "newsbot/items_written": 3,    # exactly; null: the stat must be absent (never counted)
        "newsbot/items_duplicate": null
      },
      "requests": ["/robots.txt", "/news/..."],  # every request target the site saw, each as
                                       # often as listed, nothing else (order free)
      "requested": ["/news/..."],      # request targets the site must have seen
      "not_requested": ["/news/..."],  # ... and must not have seen
      "request_order": ["/list?page=1", "/list?page=2"],  # these targets, each once, in this order
      "log": ["Layout check: ..."],    # text the crawl's log must contain
      "log_lines": {                   # every log line holding the key, from the key to the
        "Layout check: ": ["Layout check: title missing on 1 article(s), e.g. {base}/..."]
      },                               # line's end: exactly these (order free)
      "pages": [                       # page objects alone, in-process, no crawl:
        {"file": "view_900101.html", "url": "https://www.idomin.com/news/articleView.html?idxno=900101",
         "headers": {"Content-Type": "text/html; charset=euc-kr"},   # default text/html, no charset
         "encoding": "cp949",          # optional: the encoding the response settles on
         "not_an_article": null,       # what page.not_an_article() says (default null: an article)
         "expected": {"title": "..."}}  # fields of the normalized record
      ]
    }

A folder with ``routes.json`` is also crawled end to end (:mod:`tests.test_fixture_crawls`:
``records``, ``report``, ``stats``, the request and log keys; plus, for every crawl, what
any crawl must give: records in the schema's key order, each pointing at its WARC response
record, WARC digests that check, a latest view holding the records, files named after the
site and time only);
its ``pages`` (and those of a folder without routes, e.g. a skin seen on no outlet of
ours, or a page cut down to one edge case) run through the spider's page object and
normalization (:mod:`tests.test_fixture_pages`).  ``{base}`` in any expected string is
the local site's base URL (in ``args`` too).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: keys a page case may have
PAGE_KEYS = {"file", "url", "headers", "encoding", "not_an_article", "expected"}


@dataclass
class FixtureCase:
    folder: Path
    spider: str
    args: list[str] = field(default_factory=list)
    exit_status: int = 0
    records: dict[str, dict] | None = None
    report: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)
    requests: list[str] | None = None
    requested: list[str] = field(default_factory=list)
    not_requested: list[str] = field(default_factory=list)
    request_order: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    log_lines: dict[str, list[str]] = field(default_factory=dict)
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
    for page in spec.get("pages", []):
        if set(page) - PAGE_KEYS or not {"file", "url", "expected"} <= set(page):
            raise ValueError(f"{folder / 'expected.json'}: page {page.get('file')!r} needs file, url, expected "
                             f"and has only keys of {sorted(PAGE_KEYS)}")
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


def log_lines(log: str, key: str) -> list[str]:
    """Every line of ``log`` holding ``key``, from ``key`` to the line's end, sorted."""
    return sorted(line[line.index(key):].rstrip() for line in log.splitlines() if key in line)
