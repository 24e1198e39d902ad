"""newsbot leans on a few private APIs of Scrapy, each isolated in one small adapter with
a comment saying which public API is missing.  These tests fail, naming what to re-check,
on a Scrapy version that changes what an adapter copied or relies on: a new Scrapy then
breaks a test here, not a crawl in production.

A fingerprint is the SHA-256 (first 16 hex digits) of the upstream function's source with
comments, blank lines and indentation dropped, taken from the version each adapter was
written against.  When one changes: read the upstream change, update the adapter, then
the fingerprint (``fingerprint(...)`` below prints it).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect

import pytest
import scrapy

#: (upstream function, the newsbot adapter that copies or wraps it, fingerprint of the
#: upstream source the adapter was written against)
COPIED = {
    "scrapy.core.downloader.Downloader._process_queue":
        ("newsbot/downloader.py (PoliteDownloader._process_queue)", "a72e09319482da86"),
    "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler.download_request":
        ("newsbot/warc/handler.py (WireHTTP11DownloadHandler.download_request)", "67924524048ed7b5"),
    "scrapy.core.downloader.handlers.http11._ScrapyAgent._cb_bodyready":
        ("newsbot/warc/handler.py (_ReasonKeepingAgent._cb_bodyready)", "52c0a59b22e15d06"),
}


def resolve(path: str):
    """``package.module.Class.function`` -> the function (the longest importable prefix is the module)."""
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            target = getattr(target, name)
        return target
    raise ImportError(path)


def fingerprint(function) -> str:
    lines = (line.strip() for line in inspect.getsource(function).splitlines())
    source = "\n".join(line for line in lines if line and not line.startswith("#"))
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


@pytest.mark.parametrize("upstream", sorted(COPIED))
def test_upstream_code_an_adapter_copies_is_unchanged(upstream):
    adapter, expected = COPIED[upstream]
    assert fingerprint(resolve(upstream)) == expected, (
        f"Scrapy {scrapy.__version__} changed {upstream}: re-check {adapter} against it, then update "
        f"the fingerprint in {__file__}"
    )


def test_the_private_names_the_adapters_use_exist():
    from scrapy.core.downloader import Downloader, Slot
    from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler, _ScrapyAgent
    from scrapy.utils.defer import _schedule_coro  # noqa: F401  (newsbot/downloader.py)

    assert callable(Downloader._wait_for_download) and callable(Downloader._latercall)
    slot_init = inspect.getsource(Slot.__init__)
    assert all(f"self.{name}" in slot_init for name in ("queue", "transferring", "latercall", "lastseen"))
    assert list(inspect.signature(_ScrapyAgent._cb_bodyready).parameters) == ["self", "txresponse", "request"]
    inits = "".join(inspect.getsource(cls.__init__) for cls in HTTP11DownloadHandler.__mro__
                    if "__init__" in vars(cls) and cls is not object)
    for attribute in ("_contextFactory", "_bind_address", "_pool", "_default_maxsize", "_default_warnsize",
                      "_fail_on_dataloss", "_crawler", "_tls_verbose_logging", "_fail_on_dataloss_warned"):
        assert f"self.{attribute}" in inits, attribute


def test_the_engine_still_tracks_requests_in_progress():
    """newsbot/distributed/scheduler.py releases a lease once the engine is done with its
    request, read from the engine's slot (Scrapy has no public "done with this request"
    signal); without it leases are released only when a worker is idle (still correct)."""
    from scrapy.core.engine import _Slot

    assert "inprogress" in inspect.getsource(_Slot.__init__)
