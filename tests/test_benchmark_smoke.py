"""The benchmark script runs end to end on a tiny site and reports every number it promises.

Not a timed test: rates are not asserted, only that each crawl fetched exactly the
generated site and that the report carries each headline number.
"""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "benchmarks" / "pipeline_vs_bare.py"

ARTICLES = 30  # two list pages of 20 and 10, then an empty third one that ends the walk
PAGES = ARTICLES + 3 + 1  # articles, three list pages, robots.txt


def test_benchmark_runs_every_crawl_over_the_whole_site(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--articles", str(ARTICLES), "--concurrency", "4",
         "--workdir", str(tmp_path / "work"), "--json", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "WARNING" not in proc.stdout, proc.stdout

    results = json.loads(out.read_text())
    for mode in ("fetch", "bare", "full", "stack"):
        assert results[mode]["pages"] == PAGES, mode
        assert results[mode]["articles"] == ARTICLES, mode
        assert results[mode]["finish_reason"] == "finished"
    assert results["full"]["items_duplicate"] == 0
    assert results["full"]["extraction_warnings"] == 0
    assert results["reparse"]["articles"] == ARTICLES
    assert results["reparse"]["processes"] == 1     # 30 articles: not worth a second process

    summary = results["summary"]
    assert set(summary) == {
        "articles", "fetch_pages_per_s", "bare_pages_per_s", "full_pages_per_s", "ratio_full_to_bare",
        "cpu_ratio_full_to_bare", "fetch_cpu_s_per_1000", "bare_cpu_s_per_1000", "full_cpu_s_per_1000",
        "extraction_ms_per_article", "fetch_peak_rss_mb", "bare_peak_rss_mb", "full_peak_rss_mb",
        "reparse_articles_per_s", "reparse_cpu_s_per_1000", "reparse_peak_rss_mb",
        "stack_pages_per_s", "stack_cpu_s_per_1000", "stack_peak_rss_mb", "cpu_ratio_stack_to_full",
        "full_body_recall", "full_body_precision", "full_body_exact",
        "stack_body_recall", "stack_body_precision", "stack_body_exact",
    }
    assert all(value > 0 for key, value in summary.items() if key != "stack_body_exact"), summary
    # The quality score reads the generated bodies back: newsbot's are exactly the article's
    # paragraphs; the peer (trafilatura's defaults) finds the text and a good deal else.
    assert (summary["full_body_recall"], summary["full_body_precision"], summary["full_body_exact"]) == (1, 1, 1)
    assert summary["stack_body_recall"] > 0.9 and summary["stack_body_precision"] < 0.9
    assert results["stack"]["body_quality"]["records"] == ARTICLES
    for label in ("pages/s", "full / bare throughput:", "CPU s per 1,000 articles", "extraction ms/article",
                  "peak RSS MB", "re-parse from WARC", "body recall", "the peer (Scrapy + trafilatura"):
        assert label in proc.stdout

    # The full crawl archived every page it fetched and wrote one JSON line per article.
    jsonl = list((tmp_path / "work" / "full" / "gginews" / "jsonl").glob("*.jsonl"))
    records = [json.loads(line) for path in jsonl for line in path.read_text(encoding="utf-8").splitlines()]
    assert sorted(int(r["article_id"]) for r in records) == list(range(1, ARTICLES + 1))

    # The peer archived each article (a request and a response record) with warcio's writer.
    from warcio.archiveiterator import ArchiveIterator

    with open(tmp_path / "work" / "stack" / "stack.warc.gz", "rb") as stream:
        types = [record.rec_type for record in ArchiveIterator(stream)]
    assert types.count("response") == types.count("request") == ARTICLES


def test_benchmark_measures_requisites_on_and_off_on_the_same_site(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--articles", str(ARTICLES), "--concurrency", "4", "--full-only",
         "--requisites", "--workdir", str(tmp_path / "work"), "--json", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "WARNING" not in proc.stdout, proc.stdout
    results = json.loads(out.read_text())
    off, on = results["full"], results["full-req"]
    assert off["pages"] == on["pages"] == PAGES and off["articles"] == on["articles"] == ARTICLES
    # a photo per article, and the stylesheet, its import, its font and its logo once
    assert (off["requisites"], on["requisites"], on["requisites_failed"]) == (0, ARTICLES + 4, 0)
    assert on["responses"] == PAGES + ARTICLES + 4
    summary = results["summary"]
    assert summary["req_on_warc_bytes_per_article"] > summary["req_off_warc_bytes_per_article"] + 96 * 1024
    for label in ("page requisites, same site", "WARC bytes per article", "pages/s", "articles/s"):
        assert label in proc.stdout
