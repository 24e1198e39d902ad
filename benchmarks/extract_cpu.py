"""Extraction CPU per article: the lxml parse of a response and the page object, alone.

    .venv/bin/python benchmarks/extract_cpu.py                 # 300 generated pages + every fixture article
    .venv/bin/python benchmarks/extract_cpu.py --pages 1000 --rounds 5

Thread CPU time, best of ``--rounds``, in one process (single-function timings are the
reliable before/after on a shared VM; end-to-end crawls drift), of:

* ``selector``: ``response.selector`` of a fresh response (decoding and lxml parse);
* ``to_dict``: the page object over an already parsed response;
* ``parse_article``: the spider's whole callback on a fresh response (parse + page
  object + item), as the crawl runs it;
* ``known to_dict``: ``to_dict`` over the pages the family's selectors fully read (title,
  date and body from ``selector``: the known-family path, where the later extraction layers
  only fill optional fields), with their count; the other pages of a fixture site are its
  deliberately drifted ones, where the label layer or trafilatura runs;
* ``generic to_dict``: the generic spider's page object (newsbot/cms/generic.py: no
  selectors, every field from the later layers) over the same parsed responses, its URL
  shape learned from the group's own URLs: what an outlet on an unknown CMS costs.

Pages: family A's older skin from benchmarks/sitegen.py (20-80 KB, like real pages) and
each fixture article of tests/fixtures under its outlet's spider.  The last line is a
digest of every ``to_dict()`` output: equal digests before and after a change mean the
change did not alter what any of these pages extracts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
sys.path[:0] = [str(REPO), str(BENCHMARKS)]

from scrapy.http import HtmlResponse, Request  # noqa: E402
from scrapy.spiderloader import SpiderLoader  # noqa: E402
from scrapy.utils.project import get_project_settings  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402

import sitegen  # noqa: E402
from newsbot.cms.generic import GenericArticle, GenericUrls  # noqa: E402
from newsbot.discovery.patterns import learn_shape  # noqa: E402
from newsbot.testing.localsite import load_routes  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures"


def generated_pages(count: int) -> list[tuple[str, bytes, str]]:
    return [(f"http://127.0.0.1/news/view.php?idx={idx}&mcode=m11", sitegen.article_page(idx),
             "text/html; charset=utf-8") for idx in range(1, count + 1)]


def fixture_pages(site: str) -> list[tuple[str, bytes, str]]:
    """The site's article pages (fixture files not named list*), as its routes serve them."""
    files = json.loads((FIXTURES / site / "routes.json").read_text(encoding="utf-8"))
    return [(f"http://127.0.0.1{target}", route.body, route.content_type)
            for target, route in load_routes(FIXTURES / site).items()
            if not files[target].get("file", "list").startswith("list")]


class Corpus:
    """(label, spider, pages as url/body/content type) groups; responses are rebuilt per round."""

    def __init__(self, generated: int):
        loader = SpiderLoader.from_settings(get_project_settings())
        self.groups = [("generated A", self.spider(loader, "gginews"), generated_pages(generated))]
        for site in sorted(p.name for p in FIXTURES.iterdir() if (p / "routes.json").exists()):
            if site in loader.list():
                self.groups.append((site, self.spider(loader, site), fixture_pages(site)))

    @staticmethod
    def spider(loader, name):
        crawler = get_crawler(loader.load(name))
        return crawler.spidercls.from_crawler(crawler)

    @staticmethod
    def responses(pages):
        return [HtmlResponse(url, body=body, headers={"Content-Type": ctype}, request=Request(url))
                for url, body, ctype in pages]


def known_family_path(spider, response) -> bool:
    """The family's selectors read title, date and body (no fallback layer needed for them)."""
    page = spider.article_page(response.url, response.selector)
    if page.not_an_article():
        return False
    provenance = page.to_dict()["provenance"]
    return all(provenance[field] == "selector" for field in ("title", "published_at", "body"))


def generic_page(pages) -> type[GenericArticle]:
    """The generic spider's page object for these pages, its URL shape learned from their URLs."""
    urls = GenericUrls.learned(learn_shape([], known_articles=[url for url, _, _ in pages], min_score=1))
    return type("BenchGenericArticle", (GenericArticle,), {"urls": urls})


def thread_cpu(function, items) -> float:
    start = time.thread_time()
    for item in items:
        function(item)
    return time.thread_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300, help="generated family-A pages (default 300)")
    parser.add_argument("--rounds", type=int, default=5, help="best of this many (default 5)")
    parser.add_argument("--fixture-repeat", type=int, default=40,
                        help="each fixture article this many times per round (default 40)")
    args = parser.parse_args()
    corpus = Corpus(args.pages)

    digest = hashlib.sha256()
    print(f"{'pages':<14}{'n':>6}{'selector ms':>14}{'to_dict ms':>13}{'parse_article ms':>19}"
          f"{'known n':>9}{'known to_dict ms':>18}{'generic to_dict ms':>20}")
    for label, spider, pages in corpus.groups:
        repeat = 1 if label == "generated A" else args.fixture_repeat
        best = {"selector": float("inf"), "to_dict": float("inf"), "parse_article": float("inf"),
                "known": float("inf"), "generic": float("inf")}
        generic = generic_page(pages)
        known = [page for page, response in zip(pages, corpus.responses(pages)) if known_family_path(spider, response)]
        for _ in range(args.rounds):
            responses = [r for _ in range(repeat) for r in corpus.responses(pages)]
            best["selector"] = min(best["selector"], thread_cpu(lambda r: r.selector, responses))
            page_objects = [spider.article_page(r.url, r.selector) for r in responses]
            best["to_dict"] = min(best["to_dict"], thread_cpu(lambda p: p.to_dict(), page_objects))
            fresh = [r for _ in range(repeat) for r in corpus.responses(pages)]
            best["parse_article"] = min(best["parse_article"],
                                        thread_cpu(lambda r: list(spider.parse_article(r)), fresh))
            known_objects = [spider.article_page(r.url, r.selector)
                             for r in [r for _ in range(repeat) for r in corpus.responses(known)]]
            best["known"] = min(best["known"], thread_cpu(lambda p: p.to_dict(), known_objects))
            generic_objects = [generic(r.url, r.selector) for r in [r for _ in range(repeat) for r in corpus.responses(pages)]]
            best["generic"] = min(best["generic"], thread_cpu(lambda p: p.to_dict(), generic_objects))
        for response in corpus.responses(pages):
            page = spider.article_page(response.url, response.selector)
            output = {"not_an_article": page.not_an_article(), **page.to_dict()}
            digest.update(json.dumps(output, ensure_ascii=False, sort_keys=True).encode())
        n = len(pages) * repeat
        n_known = len(known) * repeat
        print(f"{label:<14}{n:>6}" + "".join(f"{best[k] / n * 1000:>{w}.3f}"
                                           for k, w in (("selector", 14), ("to_dict", 13), ("parse_article", 19)))
              + f"{n_known:>9}{best['known'] / max(n_known, 1) * 1000:>18.3f}{best['generic'] / n * 1000:>20.3f}")
    print(f"outputs sha256 {digest.hexdigest()}")


if __name__ == "__main__":
    main()
