"""The outlet registry: every outlet newsbot knows, as data (``newsbot/data/outlets.toml``).

One ``[[outlet]]`` table per outlet (docs/outlets.md has the format and the generated
list).  Spiders for registry outlets are built from it (:mod:`newsbot.spiders.registry`);
``scrapy crawlall`` selects from it (all, by 시·도, by CMS, a list); ``scrapy detect``
prints a new entry; ``scrapy outlets`` lists, checks and documents it.

This module is pure: loading, validation, selection and the TOML/Markdown forms of an
entry.  Building spider classes lives in :func:`spider_class` (it imports the CMS's spider
base only when asked).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REGISTRY_FILE = "outlets.toml"
#: a site id names folders and record ids (the same rule as newsbot.spiders.base.SITE_ID,
#: repeated here so that reading the registry needs no spider code)
SITE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_BOARD_NAME = re.compile(r"^[A-Za-z0-9_]+$")  # gnuboard's own rule for bo_table
GENERIC = "generic"


class RegistryError(ValueError):
    """The registry file cannot be read (not TOML, wrong shape); ``problems`` lists why."""

    def __init__(self, source: str, problems: Sequence[str]):
        self.source, self.problems = source, list(problems)
        super().__init__(f"{source}: {self.problems[0]}" + (f" (and {len(self.problems) - 1} more)"
                                                           if len(self.problems) > 1 else ""))


@dataclass(frozen=True)
class Outlet:
    """One registry entry (docs/outlets.md, "The format")."""

    site: str                            # id: records "<site>:<article id>", folder OUTPUT_DIR/<site>/
    name: str                            # the outlet's own name
    base_url: str                        # scheme://host[:port]; "" while the host is unconfirmed
    cms: str                             # a module of newsbot.cms, or "generic"
    home_region: str = ""                # "경상남도" or "경상남도 김해시"; "" for a national outlet
    list_paths: tuple[str, ...] = ()     # list pages (default: the CMS's)
    feeds: tuple[str, ...] = ()          # RSS/Atom feeds seen for the outlet
    board: str = ""                      # gnuboard: the board (bo_table) holding the articles
    verified: bool = False               # host and CMS seen in public material (evidence)
    evidence: tuple[str, ...] = ()       # where the host and the CMS were seen
    notes: str = ""                      # anything a reader should know (moved host, doubts)

    @property
    def sido(self) -> str:
        """The 시·도 part of ``home_region`` ("" for a national outlet)."""
        return self.home_region.split()[0] if self.home_region.strip() else ""

    @property
    def sigungu(self) -> str:
        parts = self.home_region.split()
        return parts[1] if len(parts) > 1 else ""

    @property
    def scheduled(self) -> bool:
        """In the default selection of ``scrapy crawlall``: verified, with a confirmed host."""
        return self.verified and bool(self.base_url)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "" if self.base_url else ""


_FIELDS = {f.name: f for f in fields(Outlet)}
_REQUIRED = ("site", "name", "base_url", "cms")
_LISTS = ("list_paths", "feeds", "evidence")


# -- reading ------------------------------------------------------------------------------
def packaged_text() -> str:
    return resources.files("newsbot").joinpath("data", REGISTRY_FILE).read_text(encoding="utf-8")


def parse(text: str, source: str = REGISTRY_FILE) -> list[Outlet]:
    """The outlets of a registry file's text; :class:`RegistryError` when it is not one.

    Shape errors (not TOML, a field of the wrong type, an unknown field) stop here;
    everything about the *values* (ids, URLs, CMS, regions) is :func:`validate`'s."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(source, [f"not TOML: {exc}"]) from None
    unknown_top = set(data) - {"outlet"}
    tables = data.get("outlet", [])
    problems = [f"unknown top-level key(s) {', '.join(sorted(unknown_top))} (only [[outlet]] tables)"] if unknown_top else []
    if not isinstance(tables, list):
        raise RegistryError(source, ["'outlet' must be an array of tables ([[outlet]])"])
    outlets = []
    for number, table in enumerate(tables, 1):
        where = f"outlet #{number} ({table.get('site', '?')})"
        unknown = set(table) - set(_FIELDS)
        missing = [name for name in _REQUIRED if name not in table]
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        if missing:
            problems.append(f"{where}: missing field(s) {', '.join(missing)}")
        values = {}
        for name, value in table.items():
            if name not in _FIELDS:
                continue
            if name in _LISTS:
                if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                    problems.append(f"{where}: {name} must be a list of strings")
                    continue
                value = tuple(value)
            elif name == "verified":
                if not isinstance(value, bool):
                    problems.append(f"{where}: verified must be true or false")
                    continue
            elif not isinstance(value, str):
                problems.append(f"{where}: {name} must be a string")
                continue
            values[name] = value
        if not unknown and not missing and len(values) == len(table):
            outlets.append(Outlet(**values))
    if problems:
        raise RegistryError(source, problems)
    return outlets


def load(path: str | Path | None = None) -> list[Outlet]:
    """The outlets of ``path``, or of the registry newsbot ships (not validated: see
    :func:`validate`)."""
    if path is None:
        return list(_packaged())
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(str(path), [f"cannot read it ({exc})"]) from None
    return parse(text, str(path))


@lru_cache(maxsize=1)
def _packaged() -> tuple[Outlet, ...]:
    return tuple(parse(packaged_text(), f"newsbot/data/{REGISTRY_FILE}"))


# -- validation ---------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _gazetteer():
    from newsbot.regions import Gazetteer

    return Gazetteer.load()


def known_cms() -> tuple[str, ...]:
    from newsbot.cms import KNOWN_CMS

    return KNOWN_CMS


def region_problem(home_region: str) -> str | None:
    """Why ``home_region`` is not a region of the gazetteer, or None.  Accepted: a 시·도's
    official name (``경상남도``) or a 시·군·구's full name (``경상남도 김해시``), as the
    gazetteer has it on any date (``전라남도 광양시`` stays valid after 2026-07-01)."""
    if not home_region.strip():
        return None
    gazetteer = _gazetteer()
    names = {g.full_name for g in gazetteer.governments}
    if " ".join(home_region.split()) in names:
        return None
    sidos = {g.name for g in gazetteer.sidos}
    first = home_region.split()[0]
    if first not in sidos:
        return f"home_region {home_region!r}: {first!r} is not a 시·도 of the gazetteer (e.g. 경상남도)"
    return f"home_region {home_region!r}: no such 시·군·구 in {first} in the gazetteer"


def outlet_problems(outlet: Outlet) -> list[str]:
    """What is wrong with one entry, as lines a person can act on (empty: nothing)."""
    problems = []
    if not SITE_ID.match(outlet.site):
        problems.append(f"site {outlet.site!r}: not a site id (letters, digits, _ and -, starting with a letter or digit)")
    if not outlet.name.strip():
        problems.append("name is empty")
    if outlet.base_url:
        parts = urlsplit(outlet.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"base_url {outlet.base_url!r}: not an absolute http(s) URL")
        elif parts.path not in ("",) or parts.query or parts.fragment:
            problems.append(f"base_url {outlet.base_url!r}: scheme and host only (no path, query or trailing slash)")
    elif outlet.verified:
        problems.append("verified, but base_url is empty (an unconfirmed host is verified = false)")
    if outlet.cms not in known_cms():
        problems.append(f"cms {outlet.cms!r}: not a known CMS ({', '.join(known_cms())})")
    problem = region_problem(outlet.home_region)
    if problem:
        problems.append(problem)
    for path in outlet.list_paths:
        if not path.startswith("/"):
            problems.append(f"list_paths {path!r}: a path on the outlet's host, starting with /")
    for feed in outlet.feeds:
        parts = urlsplit(feed)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"feeds {feed!r}: not an absolute http(s) URL")
    if outlet.cms == "gnuboard":
        if not _BOARD_NAME.match(outlet.board):
            problems.append(f"board {outlet.board!r}: a gnuboard outlet needs its board (bo_table: letters, digits, _)")
        if outlet.list_paths:  # GnuboardSpider lists the board; list_paths would be ignored
            problems.append("list_paths: a gnuboard outlet's list is its board's (give board instead)")
    elif outlet.board:
        problems.append(f"board {outlet.board!r}: only gnuboard outlets have a board")
    if outlet.verified and not outlet.evidence:
        problems.append("verified, but no evidence says where the host and the CMS were seen")
    elif outlet.verified and outlet.host and not any(_bare_host(outlet.host) in line for line in outlet.evidence):
        problems.append(f"verified, but no evidence line quotes a URL on its host {outlet.host}")
    if any(not line.strip() for line in outlet.evidence):
        problems.append("evidence has an empty line")
    return problems


def _bare_host(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def validate(outlets: Iterable[Outlet]) -> list[str]:
    """Every problem of a registry, ``"<site>: <problem>"`` per line (empty: a good registry)."""
    problems, seen = [], {}
    for outlet in outlets:
        key = outlet.site.lower()  # case-insensitive file systems: Idomin and idomin are one folder
        if key in seen:
            problems.append(f"{outlet.site}: duplicate site id (also {seen[key]!r})")
        seen.setdefault(key, outlet.site)
        problems += [f"{outlet.site}: {problem}" for problem in outlet_problems(outlet)]
    return problems


# -- selection ----------------------------------------------------------------------------
class SelectionError(ValueError):
    """A selection that names what the registry does not have (one line for the user)."""


def _sido_codes(name: str, day: str) -> set[str]:
    return _gazetteer().sido_codes_named(name, day)


@dataclass(frozen=True)
class Selection:
    """Which outlets a run takes: ``--sites``, ``--region``, ``--cms`` (AND across kinds,
    OR within one), verified ones only unless named or ``include_unverified``."""

    sites: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    cms: tuple[str, ...] = ()
    include_unverified: bool = False
    shard: tuple[int, int] | None = None      # (k, n): the k-th of n shares (1-based)

    def describe(self) -> dict:
        return {"sites": list(self.sites), "regions": list(self.regions), "cms": list(self.cms),
                "include_unverified": self.include_unverified,
                "shard": f"{self.shard[0]}/{self.shard[1]}" if self.shard else None}


def _region_matcher(region: str, day: str):
    """``경상남도`` / ``경남`` -> outlets of that 시·도; ``경기도 파주시`` -> that 시·군·구's
    outlets and its 시·도's province-wide ones.  Names are read as of ``day``."""
    words = region.split()
    if not words or len(words) > 2:
        raise SelectionError(f"--region {region!r}: a 시·도 (경상남도, 경남) or a 시·도 and 시·군·구 (경기도 파주시)")
    codes = _sido_codes(words[0], day)
    if not codes and len(words) == 1:  # a 시·군·구 alone ("파주시"), when only one government has that name
        named = {g.full_name for g in _gazetteer().governments if g.level == "sigungu" and g.name == words[0]
                 and g.valid_on(day)}
        if len(named) == 1:
            return _region_matcher(named.pop(), day)
        if named:
            raise SelectionError(f"--region {region!r}: several 시·군·구 are called so ({', '.join(sorted(named))}): "
                                 f"name the 시·도 too")
    if not codes:
        raise SelectionError(f"--region {region!r}: {words[0]!r} is not a 시·도 (e.g. 경상남도, 경남, 제주)")
    district = words[1] if len(words) > 1 else ""
    if district and not any(g.name == district and g.sido_code in codes for g in _gazetteer().governments):
        raise SelectionError(f"--region {region!r}: no 시·군·구 {district!r} in {words[0]}")

    def matches(outlet: Outlet) -> bool:
        if not outlet.sido or not (_sido_codes(outlet.sido, day) & codes):
            return False
        return not district or not outlet.sigungu or outlet.sigungu == district

    return matches


def shard_of(site: str, shards: int) -> int:
    """Which of ``shards`` shares (1-based) an outlet falls in: a stable hash of its id, so
    every machine computes the same split with no coordination (docs/cluster.md)."""
    import zlib

    return zlib.crc32(site.encode("utf-8")) % shards + 1


def select(outlets: Sequence[Outlet], selection: Selection, day: str | None = None) -> list[Outlet]:
    """The outlets a selection takes, in registry order; :class:`SelectionError` for a name
    the registry or the gazetteer does not know."""
    day = day or date.today().isoformat()
    by_site = {o.site: o for o in outlets}
    unknown = [s for s in selection.sites if s not in by_site]
    if unknown:
        raise SelectionError(f"--sites: not in the registry: {', '.join(unknown)}")
    for cms in selection.cms:
        if cms not in known_cms():
            raise SelectionError(f"--cms {cms!r}: not a known CMS ({', '.join(known_cms())})")
    region_tests = [_region_matcher(r, day) for r in selection.regions]
    named = set(selection.sites)
    chosen = []
    for outlet in outlets:
        if named and outlet.site not in named:
            continue
        if not (outlet.site in named or outlet.scheduled or (selection.include_unverified and outlet.base_url)):
            continue
        if region_tests and not any(test(outlet) for test in region_tests):
            continue
        if selection.cms and outlet.cms not in selection.cms:
            continue
        if selection.shard and shard_of(outlet.site, selection.shard[1]) != selection.shard[0]:
            continue
        chosen.append(outlet)
    return chosen


# -- writing: an entry as TOML, the registry as a Markdown table ----------------------------
def _toml_string(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes; no \/ is ever written),
    # so no TOML writer is needed for the only value types an entry has.
    return json.dumps(value, ensure_ascii=False)


def outlet_toml(outlet: Outlet, comments: dict[str, str] | None = None) -> str:
    """One ``[[outlet]]`` table, fields in the registry's order, empty optional ones left
    out; ``comments`` adds ``# ...`` after a field (``scrapy detect`` marks what to fill in)."""
    comments = comments or {}
    lines = ["[[outlet]]"]
    for name in _FIELDS:
        value = getattr(outlet, name)
        if name in ("list_paths", "feeds", "board", "notes") and not value and name not in comments:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, tuple):
            if len(value) > 1 or (value and len(value[0]) > 60):
                text = "[\n" + "".join(f"  {_toml_string(v)},\n" for v in value) + "]"
            else:
                text = "[" + ", ".join(_toml_string(v) for v in value) + "]"
        else:
            text = _toml_string(value)
        comment = f"  # {comments[name]}" if name in comments else ""
        lines.append(f"{name} = {text}{comment}")
    return "\n".join(lines) + "\n"


DOCS_BEGIN = "<!-- outlets table: generated by `scrapy outlets --write-docs docs/outlets.md`; do not edit by hand -->"
DOCS_END = "<!-- end of generated outlets table -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(outlets: Sequence[Outlet]) -> str:
    """Every outlet with its CMS, region, host, status and evidence, grouped by 시·도."""
    order = {g.name: i for i, g in enumerate(_gazetteer().sidos)}
    counts: dict[str, list[int]] = {}
    for outlet in outlets:
        count = counts.setdefault(outlet.sido or "(national)", [0, 0])
        count[0 if outlet.scheduled else 1] += 1
    lines = [
        f"{len(outlets)} outlets, {sum(o.scheduled for o in outlets)} verified "
        f"(in `scrapy crawlall`'s default selection).",
        "",
        "| 시·도 | verified | unverified |",
        "|---|---|---|",
    ]
    for sido in sorted(counts, key=lambda s: order.get(s, len(order))):
        lines.append(f"| {sido} | {counts[sido][0]} | {counts[sido][1]} |")
    by_cms: dict[str, list[int]] = {}
    for outlet in outlets:
        by_cms.setdefault(outlet.cms, [0, 0])[0 if outlet.scheduled else 1] += 1
    lines += ["", "| CMS | verified | unverified |", "|---|---|---|"]
    for cms in known_cms():
        if cms in by_cms:
            lines.append(f"| `{cms}` | {by_cms[cms][0]} | {by_cms[cms][1]} |")
    lines += ["", "| site | outlet | CMS | home region | host | status | evidence |", "|---|---|---|---|---|---|---|"]
    for outlet in sorted(outlets, key=lambda o: (order.get(o.sido, len(order)), o.home_region, o.site)):
        status = "verified" if outlet.scheduled else "**unverified**"
        if outlet.notes:
            status += f": {_cell(outlet.notes)}"
        evidence = "<br>".join(_cell(line) for line in outlet.evidence) or "none"
        lines.append(
            f"| `{outlet.site}` | {_cell(outlet.name)} | `{outlet.cms}` | {outlet.home_region or '(national)'} "
            f"| {outlet.host or '(not confirmed)'} | {status} | {evidence} |"
        )
    return "\n".join(lines) + "\n"


def docs_with_table(document: str, outlets: Sequence[Outlet]) -> str:
    """``document`` with the text between the generated-table markers replaced."""
    start, end = document.find(DOCS_BEGIN), document.find(DOCS_END)
    if start < 0 or end < start:
        raise ValueError(f"the document has no generated-table markers ({DOCS_BEGIN} ... {DOCS_END})")
    return document[: start + len(DOCS_BEGIN)] + "\n\n" + markdown_table(outlets) + "\n" + document[end:]


# -- spider classes -----------------------------------------------------------------------
def class_name(site: str) -> str:
    """``busan_breaknews`` -> ``BusanBreaknewsSpider`` (a Python identifier in any case)."""
    name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[_-]+", site) if part) + "Spider"
    return name if name[0].isalpha() else "Site" + name


def spider_class(outlet: Outlet, module: str = __name__):
    """A spider class for ``outlet`` on its CMS's spider base, or None when that CMS has no
    spider base yet (``generic`` until ``newsbot/cms/generic.py`` exists: then its entries
    become spiders with no change here).  ``module`` is where Scrapy's spider loader will
    find it (it lists only classes whose ``__module__`` is the module it walks)."""
    from newsbot.cms import spider_base

    base = spider_base(outlet.cms)
    if base is None:
        return None
    attributes = {
        "__module__": module,
        "__doc__": f"{outlet.name} ({outlet.host or 'host not confirmed'}): {outlet.cms}, from the outlet registry.",
        "name": outlet.site,
        "outlet": outlet.name,
        "home_region": outlet.home_region or None,
        "base_url": outlet.base_url,
        "registry_outlet": outlet,
    }
    if outlet.feeds:
        # on the outlet's own host, as paths: they follow -a base_url (a mirror, a moved host,
        # a test site) instead of pointing back at the registered host
        attributes["feeds"] = tuple(_relative_to(feed, outlet.base_url) for feed in outlet.feeds)
    if outlet.list_paths:
        attributes["list_paths"] = outlet.list_paths
    if outlet.board:
        attributes["board"] = outlet.board
    return type(class_name(outlet.site), (RegistryOutletMixin, base), attributes)


def _relative_to(url: str, base_url: str) -> str:
    """``url`` as a path when it is on ``base_url``'s host (any scheme), else as it is."""
    parts, base = urlsplit(url), urlsplit(base_url)
    if base.hostname and parts.hostname == base.hostname:
        return urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return url


class RegistryOutletMixin:
    """What every registry-built spider adds to its CMS's spider: a clear refusal to start
    without a host (an entry whose host is unconfirmed has ``base_url = ""``)."""

    registry_outlet: Outlet

    def __init__(self, *args, **kwargs):
        if not (kwargs.get("base_url") or self.base_url):
            from scrapy.exceptions import UsageError

            raise UsageError(f"outlet {self.name!r} has no confirmed host in the registry: "
                             f"give it with -a base_url=URL (and correct newsbot/data/{REGISTRY_FILE})")
        super().__init__(*args, **kwargs)


def hand_written_spider_names(package: str, skip: Iterable[str] = ()) -> set[str]:
    """Names of the spider classes written by hand in ``package`` (every module but
    ``skip``): a hand-written class wins over a registry entry of the same name."""
    import pkgutil
    from importlib import import_module

    from scrapy.utils.spider import iter_spider_classes

    names = set()
    root = import_module(package)
    for info in pkgutil.iter_modules(root.__path__):
        if info.name in skip:
            continue
        module = import_module(f"{package}.{info.name}")
        names.update(cls.name for cls in iter_spider_classes(module))
    return names


def build_spiders(module: str, outlets: Iterable[Outlet] | None = None, log=None) -> dict[str, type]:
    """Spider classes for ``outlets`` (default: the packaged registry), to be placed in
    ``module`` (``newsbot.spiders.registry``): class name -> class.  Skipped: an outlet whose
    site is a hand-written spider of ``module``'s package (the hand-written class wins), an
    entry :func:`outlet_problems` rejects (logged: one bad edit must not stop every crawl),
    and an entry whose CMS has no spider base yet (``generic`` until its module lands)."""
    package, _, own = module.rpartition(".")
    hand_written = hand_written_spider_names(package, skip=(own,))
    built: dict[str, type] = {}
    for outlet in load() if outlets is None else outlets:
        if outlet.site in hand_written:
            continue
        problems = outlet_problems(outlet)
        if problems:
            if log is not None:
                log.warning("Registry outlet %s skipped: %s", outlet.site, "; ".join(problems))
            continue
        spidercls = spider_class(outlet, module=module)
        if spidercls is not None:
            built[spidercls.__name__] = spidercls
    return built
