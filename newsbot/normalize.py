"""Raw extracted fields -> the normalized article record (pure functions).

Shared by every CMS family and by re-parsing: text cleaned by :mod:`newsbot.text`,
timestamps by :mod:`newsbot.dates`, and the list of required fields that came out
empty, so a layout change is reported instead of written as blanks.  Extraction's own
warnings (``published_at:disagrees_with_metadata``) come first, then the missing fields;
``provenance`` is kept, ``null`` for a field cleaning left empty.
"""

from __future__ import annotations

import re

from newsbot.dates import DateParseError, parse_kst, to_iso
from newsbot.text import clean_line, normalize_text

REQUIRED_FIELDS = ("title", "published_at", "body")

_EMAIL = re.compile(r"\S+@\S+")
_REPORTER_SUFFIX = re.compile(r"\s*(?:기자|특파원|통신원|객원기자|인턴기자)\s*$")


def clean_author(raw: str | None) -> str | None:
    """``홍길동 기자 hong@example.kr`` -> ``홍길동``; labels like ``작성자`` dropped."""
    if not raw:
        return None
    text = clean_line(_EMAIL.sub(" ", raw))
    # labels before the name: 작성자, 기자명, 글, 사진, 글·사진 (a byline "글·사진 홍길동 기자")
    # (글 and 사진 only as words of their own: 글로벌뉴스, 사진기자회 keep their first syllable)
    text = re.sub(r"^(?:(?:작성자|기자명)\s*[:：]?\s*|(?:글\s*[·・/]\s*사진|글|사진)(?:\s*[:：]\s*|\s+))", "", text)
    text = _REPORTER_SUFFIX.sub("", text).strip(" |/·,")
    return text or None


def normalize_article(raw: dict) -> dict:
    """Return a copy of ``raw`` with clean text, ISO timestamps and ``extraction_warnings``."""
    record = dict(raw)
    for field in ("title", "section"):
        record[field] = clean_line(raw.get(field) or "") or None
    record["subtitle"] = normalize_text(raw.get("subtitle") or "") or None
    record["author"] = clean_author(raw.get("author"))
    record["body"] = normalize_text(raw.get("body") or "")
    if raw.get("body_en") is not None:
        record["body_en"] = normalize_text(raw["body_en"]) or None
    record["captions"] = [c for c in (clean_line(c) for c in raw.get("captions") or []) if c]
    record["images"] = list(dict.fromkeys(raw.get("images") or []))

    warnings = list(raw.get("extraction_warnings") or [])
    for field in ("published_at", "modified_at"):
        text = raw.get(f"{field}_raw")
        record[f"{field}_raw"] = clean_line(text) if text else None
        record[field] = None
        if text:
            try:
                record[field] = to_iso(parse_kst(text))
            except DateParseError:
                pass  # reported below for published_at; a bad modified date is simply absent
    for field in REQUIRED_FIELDS:
        if not record.get(field) and field not in warnings:
            warnings.append(field)
    record["extraction_warnings"] = warnings
    if raw.get("provenance") is not None:
        # a field cleaning left empty (a body of furniture lines only) came from no layer
        record["provenance"] = {field: (source if record.get(field) else None)
                                for field, source in raw["provenance"].items()}
    return record
