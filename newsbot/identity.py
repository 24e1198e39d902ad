"""Stable identity of an article record (pure functions).

``id`` names the article (``<site>:<article_id>``), whatever URL spelling or run found it.
``content_digest`` names its content: two records with one digest are the same version,
so a consumer (or the state store) can tell an update from a duplicate.  Only content
fields count: crawl time, URL spelling and WARC pointers do not.
"""

from __future__ import annotations

import hashlib
import json

CONTENT_FIELDS = ("title", "subtitle", "author", "published_at", "modified_at", "body", "body_en",
                  "captions", "images")


def article_key(site: str, article_id: str | None, canonical_url: str) -> str:
    if article_id:
        return f"{site}:{article_id}"
    # No CMS id on the page or URL: the canonical URL is the next most stable name.
    return f"{site}:url:{hashlib.sha1(canonical_url.encode()).hexdigest()[:16]}"


def content_digest(record: dict) -> str:
    content = {field: record.get(field) for field in CONTENT_FIELDS}
    data = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()
