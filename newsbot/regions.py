"""Which local government an article is about: names in the text -> gazetteer entries.

The gazetteer (``newsbot/data/local_governments.csv``) lists every 광역 (시·도) and 기초
(시·군·자치구) government with its 5-digit code and the dates it existed, so an article is
resolved against the governments of its own publication date (a 2024 article about
인천 서구 is about 28260; one from August 2026 about 서해구 is about 28275).

Resolution (see docs/records.md, "regions"):

* a 시·군·구 name is matched whole (``하남시``, ``마포구``), never as the tail of another word;
* a name several governments share (중구, 동구, 서구, 남구, 북구, 강서구, 고성군, and 광주시
  = 경기도 광주시 or 광주광역시) is settled, in this order, by the 시·도 written right before it
  (``서울 중구``), by the 시·도 the rest of the article mentions, by the outlet's home area;
  when none of these singles out one government it stays **ambiguous**, with its candidates;
* a 시·도 mentioned on its own (``경기도``) is a region only if none of its 시·군·구 is.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

GAZETTEER_FILE = "local_governments.csv"

#: words that start with a district name but are not about a district
NOT_A_DISTRICT = {
    "서구": ("식", "적", "화", "권", "문명", "사회", "열강", "인"),   # 서구식 = Western-style
    "중구": ("난방",),                                                  # 중구난방 (idiom)
    "북구": ("유럽", "3국"),                                            # Nordic countries
    "동구": ("권", "밭"),                                               # 동구권 = Eastern bloc
}

#: how strongly a mention was resolved, strongest first (an entry keeps its strongest)
RESOLVED_BY_ORDER = ("prefix", "unique", "context", "home_region")


@dataclass(frozen=True)
class Government:
    code: str             # 5 digits: 시군구 code (first 5 of the 법정동코드); a 시·도 is <sido_code>000
    sido_code: str        # 2 digits
    level: str            # "sido" or "sigungu"
    name: str             # 하남시 / 경기도
    full_name: str        # 경기도 하남시 / 경기도
    kind: str             # 특별시, 광역시, 도, 시, 군, 자치구, 행정시 ...
    valid_from: str       # ISO date or "" (since before 2023)
    valid_to: str         # ISO date (exclusive) or "" (current)
    forms: tuple[str, ...]     # 시·도 only: names that stand alone in text (서울특별시, 서울시)
    prefixes: tuple[str, ...]  # 시·도 only: short names used only before a 시·군·구 (서울 중구)
    source: str

    def valid_on(self, day: str) -> bool:
        return (not self.valid_from or self.valid_from <= day) and (not self.valid_to or day < self.valid_to)

    def as_candidate(self) -> dict:
        return {"name": self.full_name, "code": self.code}


class Gazetteer:
    def __init__(self, governments: Iterable[Government], version: str = ""):
        self.governments = list(governments)
        self.version = version
        self.by_code = {g.code: g for g in self.governments}
        self.sidos = [g for g in self.governments if g.level == "sido"]

    @classmethod
    def load(cls, path=None) -> Gazetteer:
        if path is None:
            text = resources.files("newsbot").joinpath("data", GAZETTEER_FILE).read_text(encoding="utf-8")
        else:
            text = open(path, encoding="utf-8").read()
        lines = text.splitlines()
        version = ""
        for line in lines:
            match = re.search(r"version:\s*([\w.-]+)", line) if line.startswith("#") else None
            if match:
                version = match.group(1).rstrip(".")
                break
        rows = csv.DictReader(line for line in lines if line and not line.startswith("#"))
        governments = [
            Government(
                code=row["code"], sido_code=row["sido_code"], level=row["level"], name=row["name"],
                full_name=row["full_name"], kind=row["kind"], valid_from=row["valid_from"],
                valid_to=row["valid_to"], forms=tuple(filter(None, row["forms"].split("|"))),
                prefixes=tuple(filter(None, row["prefixes"].split("|"))), source=row["source"],
            )
            for row in rows
        ]
        return cls(governments, version)

    def current(self, day: str | None = None) -> list[Government]:
        day = day or date.today().isoformat()
        return [g for g in self.governments if g.valid_on(day)]

    def sido_codes_named(self, name: str, day: str) -> set[str]:
        """시·도 codes a written name (``경기도``, ``서울``, ``전라남도``) stands for on ``day``."""
        name = name.strip()
        return {g.sido_code for g in self.sidos
                if g.valid_on(day) and (name == g.name or name in g.forms or name in g.prefixes)}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _district_alternation(names: Iterable[str]) -> str:
    """The flat form of the district alternation (the tests' reference for the matcher)."""
    parts = []
    for name in sorted(set(names), key=len, reverse=True):
        stop = NOT_A_DISTRICT.get(name)
        parts.append(re.escape(name) + (f"(?!{_alternation(stop)})" if stop else ""))
    return "|".join(parts)


def _trie_alternation(words: Iterable[str], stops: dict[str, tuple[str, ...]] | None = None) -> str:
    """The alternation of ``words`` as a prefix tree (``서(?:구(?!식|...)|울(?:시|특별시|))``), a
    word's ``stops`` as a negative lookahead after it.  Matches what the flat longest-first
    alternation matches: the words that fit at a position lie on one path of the tree, tried
    longest first.  ``re`` tests a flat alternation's ~260 words one by one at every
    position that passes the lookahead; the tree tests one letter per level (a third
    less time finding mentions)."""
    stops = stops or {}
    tree: dict = {}
    for word in set(words):
        node = tree
        for letter in word:
            node = node.setdefault(letter, {})
        node[""] = word  # a word ends here

    def expression(node: dict) -> str:
        branches = [re.escape(letter) + expression(child) for letter, child in sorted(node.items()) if letter]
        if "" in node:  # after every longer word through this node: the shorter one ends here
            stop = stops.get(node[""])
            branches.append(f"(?!{_alternation(stop)})" if stop else "")
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return expression(tree)


def _first_letters(names: Iterable[str]) -> str:
    """A lookahead every match passes: its first two letters are a first and a second letter
    of some name.  ``re`` tries each of the ~260 alternatives at every position of the text;
    this turns most positions away after two character-class tests (3x faster, same matches)."""
    names = list(names)

    def letters(i: int) -> str:
        return "[" + "".join(map(re.escape, sorted({n[i] for n in names}))) + "]"

    return f"(?={letters(0)}{letters(1) if min(map(len, names)) > 1 else ''})"


class RegionResolver:
    """Finds the governments an article is about.  Build once (patterns are compiled here)."""

    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer
        self.by_surface: dict[str, list[Government]] = {}   # a 시·군·구 name -> every government so written
        self.sido_by_form: dict[str, list[Government]] = {}
        self.sido_by_prefix: dict[str, list[Government]] = {}
        # Per article, every 시·도 name and the home region were looked up in the whole
        # gazetteer; the answers depend on (name, day) only, so they are kept per process.
        self._sido_codes_named = lru_cache(maxsize=4096)(
            lambda name, day: frozenset(gazetteer.sido_codes_named(name, day)))
        self._sido_of_code: dict[str, Government] = {}
        for g in gazetteer.sidos:
            self._sido_of_code.setdefault(g.sido_code, g)  # the first listed, as a scan finds
        for g in gazetteer.governments:
            if g.level == "sigungu":
                self.by_surface.setdefault(g.name, []).append(g)
        for g in gazetteer.sidos:
            for form in (g.name, *g.forms):
                self.sido_by_form.setdefault(form, []).append(g)
            for form in (g.name, *g.forms, *g.prefixes):
                self.sido_by_prefix.setdefault(form, []).append(g)
        # A 시·도 form that is also a 시·군·구 name (광주시) is matched as the district name,
        # with the 시·도 among its candidates, so context can choose between them.
        for form, sidos in self.sido_by_form.items():
            if form in self.by_surface:
                self.by_surface[form].extend(sidos)
        hangul_before = r"(?<![가-힣])"
        self.pattern = re.compile(
            _first_letters([*self.sido_by_prefix, *self.by_surface, *self.sido_by_form])
            + f"{hangul_before}(?:(?:(?P<prefix>{_trie_alternation(self.sido_by_prefix)})\\s*)?"
            f"(?P<district>{_trie_alternation(self.by_surface, NOT_A_DISTRICT)})"
            f"|(?P<sido>{_trie_alternation(self.sido_by_form)}))"
        )

    # -- public ----------------------------------------------------------------
    def resolve(self, title: str | None, body: str | None, home_region: str | Iterable[str] | None = None,
                day: str | None = None) -> list[dict]:
        """The ``regions`` of an article (see the module docstring and docs/records.md)."""
        day = day or date.today().isoformat()
        mentions = self._mentions(title or "", body or "")
        context = self._context_sidos(mentions, day)
        home = self._home_sidos(home_region, day)

        entries: dict[str, dict] = {}
        mentioned_sidos: dict[str, dict] = {}
        # An article repeats its names: each (district, prefix) is resolved once, and an
        # entry is built only for its first mention.
        resolved: dict[tuple[str, str | None], tuple] = {}
        for mention in mentions:
            if mention["sido"]:
                for g in self.sido_by_form[mention["sido"]]:
                    if g.valid_on(day):
                        mentioned_sidos.setdefault(g.code, {"gov": g, "mentions": []})["mentions"].append(mention)
                continue
            written = (mention["district"], mention["prefix"])
            if written not in resolved:
                resolved[written] = self._resolve_district(mention, day, context, home)
            government, resolved_by, candidates = resolved[written]
            if government is not None:
                key = government.code
                entry = entries.get(key)
                if entry is None:
                    entry = entries[key] = self._entry(government, resolved_by)
                elif RESOLVED_BY_ORDER.index(resolved_by) < RESOLVED_BY_ORDER.index(entry["resolved_by"]):
                    entry["resolved_by"] = resolved_by
            else:
                key = "?" + mention["district"] + ":" + ",".join(c.code for c in candidates)
                entry = entries.get(key)
                if entry is None:
                    entry = entries[key] = self._ambiguous_entry(mention["district"], candidates)
            self._count(entry, mention)

        resolved_sidos = {e["sido_code"] for e in entries.values() if e["sido_code"]}
        for code, seen in mentioned_sidos.items():
            g = seen["gov"]
            if g.sido_code not in resolved_sidos:
                entry = entries.setdefault(code, self._entry(g, "unique"))
                for mention in seen["mentions"]:
                    self._count(entry, mention)
        ordered = sorted(entries.values(), key=lambda e: (not e["in_title"], -e["mentions"], e.pop("_first")))
        return ordered

    # -- steps -------------------------------------------------------------------
    def _mentions(self, title: str, body: str) -> list[dict]:
        found = []
        for field, offset, text in (("title", 0, title), ("body", len(title) + 1, body)):
            for match in self.pattern.finditer(text):
                found.append({
                    "field": field, "position": offset + match.start(), "text": match.group(0),
                    "prefix": match.group("prefix"), "district": match.group("district"),
                    "sido": match.group("sido"),
                })
        return found

    def _context_sidos(self, mentions: list[dict], day: str) -> set[str]:
        """시·도 the article itself names: written 시·도, and districts only one government has."""
        sidos: set[str] = set()
        seen: set[str] = set()   # names already counted: a repeated name adds nothing
        for mention in mentions:
            for name in filter(None, (mention["sido"], mention["prefix"])):
                if name not in seen:
                    seen.add(name)
                    sidos |= self._sido_codes_named(name, day)
            district = mention["district"]
            if district and ("\0" + district) not in seen:
                seen.add("\0" + district)
                valid = [g for g in self.by_surface[district] if g.valid_on(day)]
                if len(valid) == 1:
                    sidos.add(valid[0].sido_code)
        return sidos

    def _home_sidos(self, home_region, day: str) -> set[str]:
        if not home_region:
            return set()
        names = [home_region] if isinstance(home_region, str) else list(home_region)
        # "경기도 파주시" -> the 시·도 part; only the 시·도 takes part in resolution
        return set().union(*(self._sido_codes_named(n.split()[0], day) for n in names if n.strip()))

    def _resolve_district(self, mention, day, context, home):
        everyone = self.by_surface[mention["district"]]
        candidates = [g for g in everyone if g.valid_on(day)]
        if mention["prefix"]:
            prefix_sidos = {g.sido_code for g in self.sido_by_prefix[mention["prefix"]]}
            named = [g for g in candidates if g.sido_code in prefix_sidos]
            if not named:
                # "인천 중구" after 2026-07-01: the district the text names is the former one
                named = [g for g in everyone if g.sido_code in prefix_sidos]
            if len(named) == 1:
                return named[0], "prefix", named
        if len(candidates) == 1:
            return candidates[0], "unique", candidates
        for rule, sidos in (("context", context), ("home_region", home)):
            narrowed = [g for g in candidates if g.sido_code in sidos]
            if len(narrowed) == 1:
                return narrowed[0], rule, candidates
        return None, None, candidates

    def _entry(self, g: Government, resolved_by: str) -> dict:
        sido = g if g.level == "sido" else self._sido_of_code.get(g.sido_code)
        return {
            "name": g.full_name, "code": g.code, "level": g.level,
            "sido": sido.name if sido else None, "sido_code": g.sido_code,
            "matched": [], "mentions": 0, "in_title": False,
            "resolved_by": resolved_by, "ambiguous": False, "candidates": [], "_first": None,
        }

    @staticmethod
    def _ambiguous_entry(name: str, candidates: list[Government]) -> dict:
        return {
            "name": name, "code": None, "level": "sigungu", "sido": None, "sido_code": None,
            "matched": [], "mentions": 0, "in_title": False, "resolved_by": None,
            "ambiguous": True, "candidates": [c.as_candidate() for c in candidates], "_first": None,
        }

    @staticmethod
    def _count(entry: dict, mention: dict) -> None:
        entry["mentions"] += 1
        entry["in_title"] = entry["in_title"] or mention["field"] == "title"
        if mention["text"] not in entry["matched"]:
            entry["matched"].append(mention["text"])
        if entry["_first"] is None:
            entry["_first"] = mention["position"]


@lru_cache(maxsize=1)
def default_resolver() -> RegionResolver:
    return RegionResolver(Gazetteer.load())


def resolve_regions(title: str | None, body: str | None, home_region=None, day: str | None = None) -> list[dict]:
    return default_resolver().resolve(title, body, home_region, day)
