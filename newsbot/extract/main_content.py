"""Layer (d): the article text of a page whose body the family's selectors did not find.

trafilatura (``bare_extraction``) reads the page's own parsed tree (it copies it first, so
the tree the other layers read is untouched), with comments and layout tables left out
(old Korean pages are table layouts: as tables, the whole page came out as one grid) and
images kept.  One setting differs from trafilatura's defaults: ``MIN_EXTRACTED_SIZE`` 100
instead of 250 characters, the length under which it distrusts its main extraction and
falls back to other algorithms.  250 is sized for Latin text; Korean says as much in
about half the characters, and on short Korean articles the fallback returned the whole
text as one line, with captions and related-article links (benchmarks/main_content.py:
line recall 0.80 with the default, 0.98 with 100).

Why trafilatura (benchmarks/main_content.py, the 22 fixture and skin pages): precision
0.51 / recall 0.98 of body lines, against 0.51 / 0.96 for readability-lxml; it is slower
(about 4 ms a page against 1 ms) but runs only on pages the family could not read, and it
reports the images inside the text, which readability's HTML summary would need parsing
for.  Its ``<figure>`` images are not reported (only ``<img>`` in text blocks).

Runs only when the family found no body: it costs milliseconds where the family's
selectors cost a tenth of one.  ``fast=True`` skips trafilatura's own second opinions
(readability and jusText when its first extraction looks short or unclean): on the 22
pages above the same recall (0.98), precision 0.495 instead of 0.510, 1.4 ms a page instead
of 4.9; on 20-80 KB pages with long menus (benchmarks/extract_cpu.py, the generic spider's
path) 18 ms instead of 28.  Every page of an outlet on an unknown CMS pays it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import urljoin

import trafilatura
from lxml import etree
from trafilatura.settings import use_config
from trafilatura.utils import image_src as trafilatura_image_src

from newsbot.extract.base import image_source

logger = logging.getLogger(__name__)


class _Demoted(logging.Filter):
    """trafilatura's WARNINGs on a page where it finds no article ("discarding data: …") as
    DEBUG: that page's outcome is newsbot's to report (a layer that found nothing, a record's
    extraction warning), not a second, unexplained log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


# Filters run for the records of the logger they are on only: trafilatura logs its extraction
# warnings on trafilatura.core.
logging.getLogger("trafilatura.core").addFilter(_Demoted())

EXTRACTOR = "trafilatura"
#: trafilatura's settings with one change (see the module doc)
CONFIG = use_config()
CONFIG.set("DEFAULT", "MIN_EXTRACTED_SIZE", "100")


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
            with_metadata=False, config=CONFIG, fast=True,
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
    if images:
        images = _loaded_photos(root, url, images)
    return MainContent(lines, list(dict.fromkeys(images)))


def _loaded_photos(root: etree._Element, url: str, images: list[str]) -> list[str]:
    """trafilatura's image addresses as the photos the page shows once loaded: it reads
    ``data-src`` or ``src`` only, so a lazy loader's ``data-original`` behind a placeholder
    GIF came out as the placeholder.  Each address is traced back to the page's ``<img>``
    trafilatura took it from, and that element's photo is taken as every page object takes it
    (:func:`newsbot.extract.base.image_source`)."""
    # in document order, each address matched to the next <img> that gave it: a placeholder
    # many lazy photos share names a different photo each time
    page = [(urljoin(url, taken.strip()), urljoin(url, found)) for img in root.iter("img")
            if (taken := trafilatura_image_src(img)) and (found := image_source(img))]
    loaded, position = [], 0
    for image in images:
        match = next((i for i in range(position, len(page)) if page[i][0] == image), None)
        if match is None:
            loaded.append(image)
        else:
            loaded.append(page[match][1])
            position = match + 1
    return loaded
