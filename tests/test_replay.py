"""REPLAY_WARC: every request answered from the archive, nothing sent to the network."""

from .conftest import REPO

VOLATILE = ("crawled_at", "warc_filename", "warc_record_id")


def stable(records):
    return sorted(({k: v for k, v in r.items() if k not in VOLATILE} for r in records),
                  key=lambda r: r["article_id"])


def test_replay_of_a_crawl_gives_identical_records_and_no_requests(gginews_site, crawl, tmp_path):
    live = crawl("gginews", "-a", f"base_url={gginews_site.base_url}", output_dir=tmp_path / "live")
    assert live.returncode == 0, live.stderr[-3000:]
    requests_before = len(gginews_site.requests)

    replay = crawl("gginews", "-a", f"base_url={gginews_site.base_url}", output_dir=tmp_path / "replay",
                   settings={"REPLAY_WARC": str(tmp_path / "live" / "gginews" / "warc")})
    assert replay.returncode == 0, replay.stderr[-3000:]
    assert len(gginews_site.requests) == requests_before  # the live site was not asked anything
    assert len(replay.records("gginews")) == 5
    assert stable(replay.records("gginews")) == stable(live.records("gginews"))


def test_url_missing_from_the_archive_is_a_logged_counted_404(crawl):
    # idx=71404 is archived as ...?idx=71404&mcode=m11: found by its canonical URL
    sample = REPO / "samples" / "gginews-sample.warc.gz"
    result = crawl("gginews", "-a", "urls=http://www.gginews.kr/news/view.php?idx=1,http://www.gginews.kr/news/view.php?idx=71404",
                   settings={"REPLAY_WARC": str(sample)})
    assert result.returncode == 0, result.stderr[-3000:]
    assert [r["article_id"] for r in result.records("gginews")] == ["71404"]
    assert result.stats()["newsbot/replay/missing"] == 1
    assert "Not in the archive, answered 404: http://www.gginews.kr/news/view.php?idx=1" in result.stderr


def test_offline_demo_sample_archive_replays_every_fixture_article(crawl):
    result = crawl("gginews", settings={"REPLAY_WARC": str(REPO / "samples" / "gginews-sample.warc.gz")})
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(r["article_id"] for r in result.records("gginews")) == ["71401", "71402", "71403", "71404", "71405"]
    assert result.stats().get("newsbot/replay/missing", 0) == 0
    assert len(result.warcs("gginews")) == 1  # the demo writes its own archive, like a live run
