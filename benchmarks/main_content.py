"""Main-content extractors on newsbot's fixture pages: how much of each article body they find.

    .venv/bin/pip install -e ".[bench]"        # readability-lxml, the alternative
    .venv/bin/python benchmarks/main_content.py

The expected body of a page is the one the tests assert: what the CMS family's selectors
extract from each fixture article (tests/fixtures/<site>, exact in tests/test_extract_*),
and the bodies written with the skin pages (tests/fixtures/skins, SKINS in
tests/test_extract_layers.py).  Each extractor reads the whole page; its output and the
expected body are cleaned the same way (newsbot.text.normalize_text: furniture and blank
lines dropped) and compared line by line:

* precision: extracted lines that are lines of the body / extracted lines;
* recall: body lines the extractor found / body lines;

summed over all pages (micro), with the pages where an extractor found nothing, and its
thread CPU per page (after one untimed pass over the pages).  trafilatura runs with the options newsbot uses
(newsbot.extract.main_content); readability-lxml with its defaults (``Document.summary``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
sys.path[:0] = [str(REPO), str(BENCHMARKS)]

from lxml import html as lxml_html  # noqa: E402
from scrapy.http import HtmlResponse  # noqa: E402
from scrapy.spiderloader import SpiderLoader  # noqa: E402
from scrapy.utils.project import get_project_settings  # noqa: E402

from newsbot.extract.main_content import extract_main_content  # noqa: E402
from newsbot.testing.localsite import load_routes  # noqa: E402
from newsbot.text import clean_line, element_lines, normalize_text  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures"


def fixture_cases() -> list[tuple[str, HtmlResponse, list[str]]]:
    """(label, response, expected body lines) of every fixture article the family extracts
    a body from, and of the skin pages."""
    loader = SpiderLoader.from_settings(get_project_settings())
    cases = []
    for site in sorted(p.name for p in FIXTURES.iterdir() if (p / "routes.json").exists()):
        if site not in loader.list():
            continue
        spider = loader.load(site)
        files = json.loads((FIXTURES / site / "routes.json").read_text(encoding="utf-8"))
        seen = set()
        for target, route in load_routes(FIXTURES / site).items():
            name = files[target].get("file", "list")
            if name.startswith("list") or name in seen:
                continue
            seen.add(name)
            url = f"http://127.0.0.1{target}"
            response = HtmlResponse(url, body=route.body, headers={"Content-Type": route.content_type})
            page = spider.article_page(url, response.selector)
            lines = normalize_text(page.body_lines()).splitlines()
            if lines and not page.not_an_article():
                cases.append((f"{site}/{name}", response, lines))
    sys.path.insert(0, str(REPO))
    from tests.test_extract_layers import SKINS

    for name, (_, url, expected) in SKINS.items():
        response = HtmlResponse(url, body=(FIXTURES / "skins" / name).read_bytes(), headers={"Content-Type": "text/html"})
        cases.append((f"skins/{name}", response, expected["body"].splitlines()))
    return cases


def trafilatura_lines(response: HtmlResponse) -> list[str]:
    found = extract_main_content(response.selector.root, response.url)
    return found.lines if found else []


def readability_lines(response: HtmlResponse) -> list[str]:
    from readability import Document

    summary = Document(response.text, url=response.url).summary(html_partial=True)
    return element_lines(lxml_html.fragment_fromstring(summary, create_parent="div")) if summary else []


EXTRACTORS = {"trafilatura": trafilatura_lines, "readability-lxml": readability_lines}


def score(extracted: list[str], expected: list[str]) -> tuple[int, int, int]:
    """(extracted lines that are body lines, body lines found, extracted lines)."""
    got = normalize_text(extracted).splitlines()
    want = [clean_line(line) for line in expected]
    return sum(line in want for line in got), sum(line in got for line in want), len(got)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", action="store_true", help="also print each page's scores")
    args = parser.parse_args()
    cases = fixture_cases()
    expected_lines = sum(len(lines) for _, _, lines in cases)
    print(f"{len(cases)} pages, {expected_lines} body lines")
    print(f"{'extractor':<18}{'precision':>10}{'recall':>8}{'empty':>7}{'ms/page':>9}")
    for name, extract in EXTRACTORS.items():
        try:
            for _, response, _ in cases:  # warm up: first calls load word lists and models
                extract(response)
        except ImportError as exc:
            print(f"{name:<18}not installed ({exc}); pip install -e '.[bench]'")
            continue
        right = found = total = empty = 0
        cpu = 0.0
        rows = []
        for label, response, expected in cases:
            start = time.thread_time()
            lines = extract(response)
            cpu += time.thread_time() - start
            r, f, t = score(lines, expected)
            right, found, total, empty = right + r, found + f, total + t, empty + (t == 0)
            rows.append(f"  {label:<46} {r:>3}/{t:<3} right, {f:>3}/{len(expected):<3} found")
        precision = right / total if total else 0.0
        print(f"{name:<18}{precision:>10.3f}{found / expected_lines:>8.3f}{empty:>7}{cpu / len(cases) * 1000:>9.2f}")
        if args.pages:
            print("\n".join(rows))


if __name__ == "__main__":
    main()
