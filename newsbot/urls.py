"""Canonical URLs: one spelling per article, so dedupe and ids agree across runs.

w3lib's ``canonicalize_url`` sorts the query and drops the fragment; on top of it we
drop tracking parameters and normalize the host (lower case, no ``www.`` difference is
*not* assumed: two hosts are two sites unless a spider says otherwise).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as _w3lib_canonicalize

TRACKING_PARAMS = frozenset(
    {
        "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id",
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "ref", "referer", "from", "share", "sns", "_ga",
    }
)


def canonicalize_url(url: str, drop_params: frozenset[str] | set[str] = frozenset()) -> str:
    """Sorted query, no fragment, no tracking (or ``drop_params``) parameters."""
    return _canonicalize(url, drop_params if isinstance(drop_params, frozenset) else frozenset(drop_params))


# Every article URL is canonicalized twice: when its list page is planned and when its
# record is made (and w3lib's canonicalize_url is ~0.08 ms).  Bounded: a few MB at most.
@lru_cache(maxsize=4096)
def _canonicalize(url: str, drop_params: frozenset[str]) -> str:
    parts = urlsplit(url.strip())
    dropped = TRACKING_PARAMS | set(drop_params)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in dropped]
    cleaned = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), ""))
    return _w3lib_canonicalize(cleaned)


def is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
