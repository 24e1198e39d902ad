"""The generated family-A site: deterministic, paginated newest first, rendered lazily."""

import hashlib
import urllib.request

from newsbot.cms.mcode import McodeArticle
from newsbot.testing.generated_site import GeneratedSite


def test_same_seed_serves_same_bytes_and_other_seed_differs():
    one, two, other = GeneratedSite(50, seed=1), GeneratedSite(50, seed=1), GeneratedSite(50, seed=2)
    assert one.article_html(1020) == two.article_html(1020)
    assert one.list_html(2) == two.list_html(2)
    assert one.article_html(1020) != other.article_html(1020)


def test_list_pages_are_newest_first_and_cover_every_article_once():
    site = GeneratedSite(45, per_page=20)
    assert site.page_count == 3
    assert site.page_ids(1)[:3] == [1045, 1044, 1043]
    assert site.page_ids(3) == [1005, 1004, 1003, 1002, 1001]
    assert site.page_ids(4) == []
    every = [i for p in range(1, 4) for i in site.page_ids(p)]
    assert sorted(every) == list(site.article_ids())
    published = [site.published(i) for i in site.article_ids()]
    assert published == sorted(published) and len(set(published)) == 45


def test_article_page_extracts_to_expected_fields():
    site = GeneratedSite(30, seed=5)
    for idx in site.article_ids():
        page = McodeArticle.from_html(site.article_html(idx), f"http://x/news/view.php?idx={idx}").to_dict()
        assert page["title"] == site.expected(idx)["title"]
        assert page["article_id"] == str(idx)


def test_publish_and_modify_change_what_is_served():
    site = GeneratedSite(20)
    before = site.expected(1010)
    assert site.publish(3) == [1021, 1022, 1023]
    assert site.page_ids(1)[:4] == [1023, 1022, 1021, 1020]
    site.modify(1010)
    after = site.expected(1010)
    assert after["title"] == before["title"] and after["published_at"] == before["published_at"]
    assert after["modified_at"] != before["modified_at"]
    assert after["body"].startswith(before["body"]) and after["body"].endswith("1차 후속 조치를 내놓았다.")


def test_large_site_renders_on_request_over_http():
    site = GeneratedSite(50_000, seed=9)
    with site.serve() as server:
        with urllib.request.urlopen(server.url("/news/list.php?page=2500")) as response:
            listing = response.read().decode("utf-8")
        with urllib.request.urlopen(server.url("/news/view.php?idx=1001")) as response:
            oldest = response.read()
    assert 'href="/news/view.php?idx=1001&mcode=' in listing
    assert hashlib.sha256(oldest).hexdigest() == hashlib.sha256(site.article_html(1001).encode()).hexdigest()
    assert site.published(1001).year == 1995  # 50,000 articles, one per ~5 hours
    assert server.requests == ["/news/list.php?page=2500", "/news/view.php?idx=1001"]
