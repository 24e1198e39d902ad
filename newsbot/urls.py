"""Canonical URLs: one spelling per article, so dedupe and ids agree across runs.

w3lib's ``canonicalize_url`` sorts the query and drops the fragment; on top of it we
drop tracking parameters and normalize the host (lower case, no ``www.`` difference is
*not* assumed: two hosts are two sites unless a spider says otherwise).

Query values are never decoded: a value is bytes the server reads in its own charset
(an EUC-KR ``sca`` category on a gnuboard board is ``%B0%E6%B1%E2``), so parameters are
dropped on the raw query string, comparing only their decoded *names*, and w3lib, which
keeps percent-encoded bytes as they are, does the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import ClassVar
from urllib.parse import parse_qs, unquote_plus, urlsplit, urlunsplit

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
    query = drop_query_params(parts.query, TRACKING_PARAMS | drop_params)
    cleaned = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))
    return _w3lib_canonicalize(cleaned)


def drop_query_params(query: str, names: frozenset[str]) -> str:
    """``query`` without the parameters named in ``names`` (lower case), every other
    ``name=value`` kept byte for byte.  parse_qsl/urlencode would decode each value as
    UTF-8 and replace what does not decode (an EUC-KR value became ``%EF%BF%BD...``)."""
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        # the name decoded only to be compared (its bytes, if not UTF-8, match no name here)
        if unquote_plus(pair.partition("=")[0]).lower() in names:
            continue
        kept.append(pair)
    return "&".join(kept)


def canonical_rule(spider) -> Callable[[str], str]:
    """The spider's canonical-URL rule (its CMS's :meth:`ArticleUrls.canonicalize`), or the
    generic :func:`canonicalize_url` for a spider without one: the one lookup every
    component uses."""
    return getattr(spider, "canonicalize", None) or canonicalize_url


def is_http_url(url: str) -> bool:
    """An absolute http(s) URL with a host name and, if any, a port that is a port number."""
    try:
        parts = urlsplit(url)
        parts.port   # noqa: B018 -- raises ValueError for a port that is no number in 0-65535
    except ValueError:   # also a malformed IPv6 address
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> str | None:
    """``scheme://host:port`` of an http(s) URL (the port always written), None for
    anything else: what requests and redirects must share with the outlet."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in DEFAULT_PORTS or not host:
        return None
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port or DEFAULT_PORTS[scheme]}"


def on_origins(url: str, origins) -> bool:
    """``url`` is on one of ``origins`` (as :func:`origin` writes them), without user-info.

    The one allowance: ``https://host:443`` where ``http://host:80`` is allowed, the same
    site over TLS (outlets move to https and redirect there; never the other way)."""
    found = origin(url)
    if found is None or has_credentials(url):
        return False
    if found in origins:
        return True
    host_port = found.removeprefix("https://")
    return found.startswith("https://") and host_port.endswith(":443") \
        and f"http://{host_port[:-len(':443')]}:80" in origins


def has_credentials(url: str) -> bool:
    """A URL with user-info (``user:password@``, or a user alone) before its host."""
    return _USERINFO.match(url.strip()) is not None


_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/?#@:]*)(?::[^/?#@]*)?@")


def redact_credentials(url: str) -> str:
    """``url`` with the password in its user-info replaced by ``***``, for messages: works on
    strings no URL parser accepts (a bad port, a broken IPv6 address), as those are the
    ones an error message must show."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@" if m.group(0).count(":") > 1
                         else f"{m['scheme']}{m['user']}@", url, count=1)


class ArticleUrls:
    """A CMS's URL rules, as pure class-level code: which URLs are articles, the one
    spelling of each, and the CMS's own article id.

    Every CMS module (``newsbot/cms/``) subclasses it; spiders, the page objects, the
    pipelines, replay and re-parse all ask the same class, so no rule needs a spider
    instance (``SomeCmsUrls.canonicalize(url)`` works anywhere).
    """

    #: which hrefs are articles of this CMS (links elsewhere on a list page are ignored)
    article_url_re: ClassVar[re.Pattern] = re.compile(r"$^")
    #: query parameters that do not change which article a URL names (e.g. a section code)
    canonical_drop_params: ClassVar[frozenset[str]] = frozenset()
    #: query parameter holding the CMS's article id, or a path pattern with one group
    id_param: ClassVar[str | None] = None
    id_path_re: ClassVar[re.Pattern | None] = None

    @classmethod
    def is_article(cls, url: str) -> bool:
        return bool(cls.article_url_re.search(url))

    @classmethod
    def long_form(cls, url: str) -> str:
        """A short spelling the CMS also serves (``/N``), rewritten to its long form."""
        return url

    @classmethod
    def canonicalize(cls, url: str) -> str:
        """The one spelling of an article URL that dedupe and ids use."""
        return canonicalize_url(cls.long_form(url), cls.canonical_drop_params)

    @classmethod
    def article_id(cls, url: str) -> str | None:
        """The CMS's own id of the article at ``url``, from its query or its path."""
        parts = urlsplit(url)
        if cls.id_param:
            values = parse_qs(parts.query).get(cls.id_param)
            if values and values[0]:
                return values[0]
        if cls.id_path_re is not None:
            match = cls.id_path_re.search(parts.path)
            if match:
                return match.group(1)
        return None
