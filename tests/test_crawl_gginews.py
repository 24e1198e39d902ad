"""gginews end to end: real scrapy crawl -> local fixture site -> JSON Lines + WARC."""

import subprocess
import sys

from warcio.archiveiterator import ArchiveIterator

EXPECTED_IDS = ["71401", "71402", "71403", "71404", "71405"]


def test_crawl_writes_each_article_once_with_exact_fields(gginews_site, crawl):
    result = crawl("gginews", "-a", f"base_url={gginews_site.base_url}")
    assert result.returncode == 0, result.stderr[-3000:]
    records = result.records("gginews")
    assert sorted(r["article_id"] for r in records) == EXPECTED_IDS  # none missing, none twice

    by_id = {r["article_id"]: r for r in records}
    first = by_id["71401"]
    base = gginews_site.base_url
    assert first["site"] == "gginews"
    assert first["id"] == "gginews:71401"
    assert first["content_digest"].startswith("sha256:") and len(first["content_digest"]) == 71
    assert first["canonical_url"] == f"{base}/news/view.php?idx=71401"
    assert first["url"] == f"{base}/news/view.php?idx=71401&mcode=m11"
    assert first["title"] == "하남시, 청렴 실천 다짐대회 열어…부서별 실천과제 공유"
    assert first["subtitle"] is None
    assert first["author"] == "김하늘"
    assert first["published_at"] == "2024-08-06T07:38:57+09:00"
    assert first["published_at_raw"] == "기사등록 2024-08-06 07:38:57"
    assert first["modified_at"] == "2024-08-06T10:02:11+09:00"
    assert first["body"] == (
        "하남시가 시청 대회의실에서 ‘청렴 실천 다짐대회’를 열고 부서별 청렴 실천과제를 공유했다고 6일 밝혔다.\n"
        "이날 행사에는 시장과 부시장, 국·소장 등 간부 공무원 40여 명이 참석했으며,\n"
        "참석자들은 부패 취약분야 점검 결과를 함께 살펴봤다.\n"
        "시 관계자는 \"작은 관행부터 바로잡아 시민이 신뢰하는 행정을 만들겠다\"고 말했다."
    )
    assert first["captions"] == ["하남시 간부 공무원들이 청렴 실천 다짐문을 낭독하고 있다."]
    assert first["images"] == [f"{base}/data/news/2024/08/06/71401_1.jpg"]
    assert first["section"] == "m11"
    assert first["extraction_warnings"] == []

    assert by_id["71402"]["author"] is None and by_id["71402"]["modified_at"] is None
    assert by_id["71403"]["body"].splitlines() == [
        "이천시는 시민과 전문가 7명으로 구성된 청렴 외부 자문단을 위촉했다고 4일 밝혔다.",
        "자문단은 계약과 인허가 등 부패 취약분야의 업무 절차를 점검하고 개선안을 제시한다.",
    ]
    assert by_id["71403"]["images"] == []
    assert by_id["71404"]["subtitle"] == "공직자 누구나 온라인으로 위반 여부 확인"
    # layout drift is kept, flagged and counted, not dropped
    assert by_id["71405"]["body"] == "" and by_id["71405"]["extraction_warnings"] == ["body"]
    stats = result.stats()
    assert stats["newsbot/items_written"] == 5
    # 71401 is linked twice under two spellings: one canonical URL, so it is requested once
    assert stats["newsbot/article_requests/new"] == 5
    assert "newsbot/items_duplicate" not in stats
    assert stats["newsbot/extraction_warnings/body"] == 1
    assert "Extraction warning: body missing on" in result.stderr
    assert f"{base}/news/view.php?idx=71405" in result.stderr


def test_json_records_point_at_their_warc_response_record(gginews_site, crawl):
    result = crawl("gginews", "-a", f"base_url={gginews_site.base_url}")
    assert result.returncode == 0, result.stderr[-3000:]
    (warc,) = result.warcs("gginews")
    responses = {}
    with warc.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                responses[record.rec_headers.get_header("WARC-Record-ID")] = record.rec_headers.get_header(
                    "WARC-Target-URI"
                )
    for record in result.records("gginews"):
        assert record["warc_filename"] == warc.name
        assert responses[record["warc_record_id"]] == record["url"]


def test_second_run_records_nothing_new(gginews_site, crawl, tmp_path):
    out = tmp_path / "shared-output"
    first = crawl("gginews", "-a", f"base_url={gginews_site.base_url}", output_dir=out)
    second = crawl("gginews", "-a", f"base_url={gginews_site.base_url}", output_dir=out)
    assert first.returncode == second.returncode == 0
    assert len(first.records("gginews")) == 5  # both runs' files together
    # incremental: recorded articles are not requested again (newsbot/spiders/walk.py)
    assert "newsbot/article_requests/new" not in second.stats()
    # page 1 holds nothing new, page 2 is the overlap (71401 again, 71404, 71405), then it stops
    assert second.stats()["newsbot/skipped_already_recorded"] == 6
    assert second.stats()["newsbot/list_pages"] == 2


def test_urls_argument_fetches_exactly_those_articles(gginews_site, crawl):
    base = gginews_site.base_url
    result = crawl("gginews", "-a", f"base_url={base}",
                   "-a", f"urls={base}/news/view.php?idx=71402,{base}/news/view.php?idx=71404")
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(r["article_id"] for r in result.records("gginews")) == ["71402", "71404"]
    assert not any("list.php" in target for target in gginews_site.requests)


def test_start_urls_argument_begins_listing_there(gginews_site, crawl):
    result = crawl("gginews", "-a", f"base_url={gginews_site.base_url}",
                   "-a", f"start_urls={gginews_site.url('/news/list.php?page=2')}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(r["article_id"] for r in result.records("gginews")) == ["71401", "71404", "71405"]


def test_warcio_check_passes(gginews_site, crawl):
    result = crawl("gginews", "-a", f"base_url={gginews_site.base_url}")
    (warc,) = result.warcs("gginews")
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(warc)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout
    assert "digest fail" not in check.stdout
