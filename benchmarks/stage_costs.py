"""Thread CPU time per article of each newsbot stage after the fetch, in one process.

End-to-end crawls on a shared VM drift by up to 30 % between runs; single stages timed
with ``time.thread_time()`` over the same generated pages in one process do not.  This
runs the real components (capture middleware, metadata middleware, every item pipeline
in ``ITEM_PIPELINES`` order, writing real WARC / JSON Lines / SQLite files under a
temporary folder) over N generated family-A pages (:mod:`benchmarks.sitegen`) and
prints each stage's CPU milliseconds per article::

    .venv/bin/python benchmarks/stage_costs.py --articles 500

Nothing is fetched: each page becomes a Scrapy ``HtmlResponse`` as the downloader would
hand it over (the request/response headers a crawl sends and receives).
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

import sitegen  # noqa: E402
from scrapy import Request  # noqa: E402
from scrapy.http import Headers, HtmlResponse  # noqa: E402
from scrapy.settings import Settings  # noqa: E402
from scrapy.utils.misc import load_object  # noqa: E402
from scrapy.utils.reactor import install_reactor  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402

from newsbot.spiders.registry import GginewsSpider  # noqa: E402
from newsbot.warc.capture import WarcCaptureMiddleware  # noqa: E402
from newsbot.warc.metadata import WarcMetadataMiddleware  # noqa: E402

BASE = "http://www.gginews.kr"
ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def exchange(idx: int) -> tuple[Request, HtmlResponse]:
    url = f"{BASE}/news/view.php?idx={idx}&mcode=m11"
    request = Request(url, headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Language": "ko", "User-Agent": "newsbot/0.1 (+contact)", "Accept-Encoding": "gzip, deflate",
    })
    body = sitegen.article_page(idx)
    headers = Headers({"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body)),
                       "Server": "sitegen", "Date": "Sun, 22 Nov 2026 03:00:00 GMT"})
    response = HtmlResponse(url, status=200, headers=headers, body=body, request=request, protocol="HTTP/1.1")
    return request, response


def run(articles: int, output_dir: Path, items: list | None = None) -> dict[str, float]:
    """CPU ms per article of each stage; ``items`` (if given) receives the finished items."""
    install_reactor(ASYNCIO_REACTOR)  # what the project's TWISTED_REACTOR setting asks for
    settings = Settings()
    settings.setmodule("newsbot.settings", priority="project")
    settings.setdict({"OUTPUT_DIR": str(output_dir), "LOG_ENABLED": False}, priority="cmdline")
    crawler = get_crawler(GginewsSpider, settings.copy_to_dict())
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    capture = WarcCaptureMiddleware.from_crawler(crawler)
    metadata = WarcMetadataMiddleware.from_crawler(crawler)
    pipelines = []
    for path, _ in sorted(crawler.settings.getdict("ITEM_PIPELINES").items(), key=lambda kv: kv[1]):
        cls = load_object(path)
        pipeline = cls.from_crawler(crawler) if hasattr(cls, "from_crawler") else cls()
        pipelines.append((cls.__name__, pipeline))
    spent: dict[str, float] = defaultdict(float)
    clock = time.thread_time
    for idx in range(1, articles + 1):
        request, response = exchange(idx)
        started = clock()
        response = capture.process_response(request, response)
        spent["WARC capture"] += clock() - started
        started = clock()
        (item,) = crawler.spider.parse_article(response)
        spent["parse_article"] += clock() - started
        started = clock()
        metadata.get_processed_item(item, response)
        spent["WARC metadata record"] += clock() - started
        for name, pipeline in pipelines:
            started = clock()
            item = pipeline.process_item(item)
            spent[name] += clock() - started
        if items is not None:
            items.append(item)
    for _, pipeline in pipelines:
        if hasattr(pipeline, "close_spider"):
            pipeline.close_spider()
    capture.spider_closed(crawler.spider)
    return {stage: seconds * 1000 / articles for stage, seconds in spent.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--gc", action="store_true", help="leave the cyclic garbage collector on")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        run(min(args.articles, 50), Path(tmp) / "warmup")  # imports, compiled patterns, caches
        if not args.gc:
            # The cyclic GC runs when allocations pile up, and is charged to whichever stage
            # tips it over: off, each stage is charged its own work only.
            gc.collect()
            gc.disable()
        costs = run(args.articles, Path(tmp) / "measured")
        gc.enable()
    width = max(map(len, costs))
    for stage, ms in costs.items():
        print(f"{stage:<{width}}  {ms:7.3f} ms/article")
    print(f"{'after the fetch, all':<{width}}  {sum(costs.values()):7.3f} ms/article")
    return 0


if __name__ == "__main__":
    sys.exit(main())
