"""Layer (d): the article text of a page whose body the family's selectors did not find.

trafilatura (``bare_extraction``) reads the page's own parsed tree (it copies it first, so
the tree the other layers read is untouched), with comments and layout tables left out
(old Korean pages are table layouts: as tables, the whole page came out as one grid) and
images kept.  benchmarks/main_content.py compares it with readability-lxml on the fixture
pages; the numbers and the choice are in docs/records.md.

Runs only when the family found no body: it costs milliseconds where the family's
selectors cost a tenth of one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import urljoin

import trafilatura
from lxml import etree

logger = logging.getLogger(__name__)

EXTRACTOR = "trafilatura"


@dataclass
class MainContent:
    lines: list[str]
    images: list[str] = field(default_factory=list)


def extract_main_content(root: etree._Element, url: str) -> MainContent | None:
    """The main text of the page as lines, and the images inside it; None when the
    extractor finds nothing (or fails on the page)."""
    try:
        document = trafilatura.bare_extraction(
            root, url=url, include_comments=False, include_tables=False, include_images=True,
            with_metadata=False,
        )
    except Exception as exc:  # a library failing on one odd page must not lose the page
        logger.warning("Main-content extraction failed on %s: %s: %s", url, type(exc).__name__, exc)
        return None
    if document is None or not document.text:
        return None
    # trafilatura renders images inline as markdown ("![alt](src)"): they are not text
    lines = [line for line in document.text.split("\n") if not line.lstrip().startswith("![")]
    images = []
    body = getattr(document, "body", None)
    if body is not None:
        for graphic in body.iter("graphic"):
            src = (graphic.get("src") or "").strip()
            if src and not src.startswith("data:"):
                images.append(urljoin(url, src))
    return MainContent(lines, list(dict.fromkeys(images)))
