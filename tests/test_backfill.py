"""Backfills: -a since= -a until= walks back to since and keeps only articles inside the range."""

from datetime import timedelta, timezone

import pytest

from newsbot.testing.generated_site import GeneratedSite

SITE = "gginews"
KST = timezone(timedelta(hours=9))


@pytest.mark.parametrize("args, message", [
    (["since=2024-13-01"], "-a since: no such date: '2024-13-01'"),
    (["since=2024-05-02", "until=2024-05-01"], "-a until: 2024-05-01 is before since 2024-05-02"),
    (["since=2999-01-01"], "-a since: 2999-01-01 is in the future"),
    (["until=last week"], "-a until: not a date in YYYY-MM-DD form: 'last week'"),
])
def test_bad_range_exits_at_once_writing_nothing(crawl, tmp_path, args, message):
    out = tmp_path / "out"
    result = crawl(SITE, "-a", "base_url=http://127.0.0.1:9", *[a for arg in args for a in ("-a", arg)],
                   output_dir=out)
    assert result.returncode != 0
    assert message in result.stderr
    assert not out.exists()  # no state file, no empty JSONL/WARC, no report


def test_backfill_keeps_only_the_range_and_stops_at_since(crawl, tmp_path):
    site = GeneratedSite(300, seed=4, per_page=20)
    since, until = site.published(1120).date(), site.published(1180).date()
    in_range = [i for i in site.article_ids() if since <= site.published(i).date() <= until]
    pages_walked = next(p for p in range(1, site.page_count + 1)
                        if min(site.published(i).date() for i in site.page_ids(p)) < since)
    listed = [i for p in range(1, pages_walked + 1) for i in site.page_ids(p)]
    with site.serve() as server:
        result = crawl(SITE, "-a", f"base_url={server.base_url}", "-a", f"since={since}", "-a", f"until={until}",
                       output_dir=tmp_path / "out")
        requests = list(server.requests)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(int(r["article_id"]) for r in result.records(SITE)) == in_range
    assert all(since.isoformat() <= r["published_at"][:10] <= until.isoformat() for r in result.records(SITE))
    # list dates decide: nothing outside the range is fetched, and paging stops at since
    assert sorted(int(t.split("idx=")[1].split("&")[0]) for t in requests if "view.php" in t) == in_range
    assert len([t for t in requests if "list.php" in t]) == pages_walked
    stats = result.stats()
    assert stats["newsbot/skipped_out_of_range"] == len(listed) - len(in_range)
    assert f"reached entries older than since={since}" in result.stderr


def test_backfill_does_not_stop_at_pages_already_recorded(crawl, tmp_path):
    """Recorded articles in the middle of a range do not end a backfill early."""
    site = GeneratedSite(120, seed=4, per_page=20)
    out = tmp_path / "out"
    with site.serve() as server:
        base = ["-a", f"base_url={server.base_url}"]
        recent = crawl(SITE, *base, "-a", f"since={site.published(1081).date()}", output_dir=out)
        assert recent.returncode == 0
        whole = crawl(SITE, *base, "-a", f"since={site.published(1001).date()}", output_dir=out)
    assert whole.returncode == 0, whole.stderr[-3000:]
    ids = sorted(int(r["article_id"]) for r in whole.records(SITE))
    assert ids == list(site.article_ids())  # both runs together: each article exactly once
    assert whole.stats()["newsbot/items_new"] == len([i for i in site.article_ids()
                                                     if site.published(i).date() < site.published(1081).date()])


def test_nd_soft_backfill_starts_with_the_cms_date_filter():
    from newsbot.spiders.registry import KadoSpider

    spider = KadoSpider(since="2023-01-01", until="2023-06-30", base_url="http://127.0.0.1:9")
    assert spider.list_start_urls() == [
        "http://127.0.0.1:9/news/articleList.html?view_type=sm&sc_sdate=2023-01-01&sc_edate=2023-06-30"
    ]
    assert KadoSpider(base_url="http://127.0.0.1:9").list_start_urls() == [
        "http://127.0.0.1:9/news/articleList.html?view_type=sm"
    ]
