"""The progress line, read from a real backfill crawl of a slow outlet: one line every
LOGSTATS_INTERVAL (Scrapy's own LogStats line no longer beside it) saying how far the run
is: pages, articles and rates, the queue, new/known/failed, the list page and the dates
it has reached, the share of the backfill's range and an ETA."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from newsbot.extensions.progress import backfill_share, duration
from newsbot.testing.generated_site import GeneratedSite

SITE = "gginews"
LINE = re.compile(
    r"\[newsbot\.extensions\.progress\] INFO: Progress: "
    r"(?P<pages>\d+) pages \((?P<page_rate>\d+)/min\), (?P<articles>\d+) articles \((?P<article_rate>\d+)/min\); "
    r"(?P<queued>\d+) queued, (?P<in_flight>\d+) in flight; "
    r"articles (?P<new>\d+) new, (?P<updated>\d+) updated, (?P<known>\d+) known, (?P<failed>\d+) failed, "
    r"(?P<out_of_range>\d+) out of range; (?P<mb>[\d.]+) MB archived"
    r"(?:; list page (?P<list_number>\d+) \((?P<list_url>[^)]+)\))?"
    r"(?:; dates (?P<newest>[\d-]{10})\.\.(?P<oldest>[\d-]{10}))?"
    r"; backfill (?P<share>\d+)% of (?P<since>[\d-]{10})\.\.(?P<until>[\d-]{10}), ETA (?P<eta>unknown|\d+ s|\d+ min|\d+ h \d+ min)$"
)


def test_a_backfill_logs_how_far_it_is_every_interval(crawl, tmp_path):
    # 60 articles, 5 hours apart: 12.5 days, of which the backfill wants the newest 10
    site = GeneratedSite(60, seed=12, per_page=10, delay=0.06)
    newest = site.published(site.newest_idx).date()
    since, until = newest - timedelta(days=9), newest
    in_range = [i for i in site.article_ids() if since <= site.published(i).date() <= until]
    with site.serve() as server:
        result = crawl(SITE, "-a", f"base_url={server.base_url}", "-a", f"since={since}", "-a", f"until={until}",
                       settings={"LOGSTATS_INTERVAL": "0.5"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Crawled " not in result.stderr and "scraped " not in result.stderr   # Scrapy's LogStats line is gone
    progress = [line for line in result.stderr.splitlines() if "Progress:" in line]
    parsed = [LINE.search(line) for line in progress]
    assert all(parsed), [line for line, match in zip(progress, parsed) if not match]
    lines = [{k: v for k, v in m.groupdict().items()} for m in parsed]
    assert len(lines) >= 4, progress   # the crawl takes seconds; a line every 0.5 s

    counts = [[int(line[k]) for k in ("pages", "articles", "new", "known", "failed")] for line in lines]
    for before, after in zip(counts, counts[1:]):
        assert all(a >= b for a, b in zip(after, before)), (before, after)   # counts only grow
    assert all((line["since"], line["until"]) == (str(since), str(until)) for line in lines)
    assert any(int(line["page_rate"]) > 0 for line in lines) and any(int(line["article_rate"]) > 0 for line in lines)
    assert any(int(line["queued"]) + int(line["in_flight"]) > 0 for line in lines)

    walking = [line for line in lines if line["list_url"]]
    assert walking, progress
    for line in walking:
        number = int(line["list_number"])
        expected = f"{server.base_url}/news/list.php" + ("" if number == 1 else f"?page={number}")
        assert line["list_url"] == expected
        # dates seen: list entries' and recorded articles', within the site's days
        assert site.published(site.first_idx).date() <= date.fromisoformat(line["oldest"]) \
            <= date.fromisoformat(line["newest"]) <= newest
        assert int(line["share"]) == round(100 * backfill_share(since, until, line["newest"], line["oldest"]))
    shares = [int(line["share"]) for line in walking]
    assert shares == sorted(shares) and shares[-1] > shares[0]
    assert any(line["eta"] != "unknown" for line in walking)

    # the last line agrees with the run's report, up to what happened after it
    (report_path,) = (result.output_dir / SITE / "reports").glob("*.json")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["new"] == len(in_range)
    last = lines[-1]
    assert int(last["new"]) <= report["new"] and int(last["pages"]) <= report["pages_fetched"]
    assert int(last["out_of_range"]) <= report["skipped_out_of_range"]


def test_backfill_share_and_eta_wording():
    since, until = date(2024, 1, 1), date(2024, 1, 10)
    assert backfill_share(since, until, None, None) == 0.0
    assert backfill_share(since, until, "2024-01-20", "2024-01-12") == 0.0      # not in the range yet
    assert backfill_share(since, until, "2024-01-10", "2024-01-10") == 0.1      # one day of ten
    assert backfill_share(since, until, "2024-01-10", "2024-01-06") == 0.5
    assert backfill_share(since, until, "2024-01-05", "2024-01-05") == 0.2      # nothing after the 5th: 1 of 5
    assert backfill_share(since, until, "2024-01-10", "2023-12-31") == 1.0      # walked past since: done
    assert [duration(s) for s in (0, 59, 89.4, 95, 3600, 5400, 7260)] == [
        "0 s", "59 s", "89 s", "2 min", "60 min", "1 h 30 min", "2 h 1 min"]
