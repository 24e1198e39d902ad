"""The outlet registry (newsbot/data/outlets.toml) without fixtures: the file is valid, the
first eight outlets keep their ids, every 시·도 is covered, selection and checks say exactly
what they should, spiders are built from entries, docs/outlets.md is current."""

from __future__ import annotations

import subprocess
import sys

import pytest
from scrapy.exceptions import UsageError
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from newsbot import registry
from newsbot.cms import spider_base
from newsbot.regions import Gazetteer
from newsbot.registry import Outlet, Selection

from .conftest import FIXTURES, REPO
from .fixture_cases import fixture_cases

OUTLETS = registry.load()
SPIDERS = SpiderLoader.from_settings(get_project_settings())


def test_the_packaged_registry_has_no_problems():
    assert registry.validate(OUTLETS) == []


# The eight outlets of newsbot before the registry: ids, hosts, home regions and boards as
# their hand-written classes had them (records, folders and state depend on them).
FIRST_EIGHT = {
    "gginews": ("경기인터넷뉴스", "http://www.gginews.kr", "mcode", "경기도", ""),
    "voicekorea": ("보이스코리아", "http://voicekorea.kr", "mcode", "", ""),
    "breaknews_gn": ("브레이크뉴스 경기남부", "http://gn.breaknews.com", "breaknews", "경기도", ""),
    "newsstep": ("뉴스스텝", "http://www.newsstep.co.kr", "ncode", "", ""),
    "firstnews": ("퍼스트신문", "http://www.firstnews.co.kr", "gnuboard", "경기도 파주시", "firstnews"),
    "idomin": ("경남도민일보", "https://www.idomin.com", "ndsoft", "경상남도", ""),
    "kado": ("강원도민일보", "https://www.kado.net", "ndsoft", "강원특별자치도", ""),
    "jejusori": ("제주의소리", "https://www.jejusori.net", "ndsoft", "제주특별자치도", ""),
}


@pytest.mark.parametrize("site", sorted(FIRST_EIGHT))
def test_the_first_eight_outlets_keep_their_ids_and_hosts(site):
    name, base_url, cms, home_region, board = FIRST_EIGHT[site]
    spidercls = SPIDERS.load(site)
    assert (spidercls.name, spidercls.outlet, spidercls.base_url, spidercls.cms) == (site, name, base_url, cms)
    assert spidercls.home_region == (home_region or None)
    assert getattr(spidercls, "board", "") == board
    spider = spidercls()
    assert spider.site == site and spider.allowed_domains == [base_url.split("://")[1]]


def test_every_fixture_case_names_a_spider_and_fixture_sites_keep_their_ids():
    listed = set(SPIDERS.list())
    for case in fixture_cases():
        assert case.spider in listed, case.folder
    sites = {o.site for o in OUTLETS}
    crawled_as_another = {case.name for case in fixture_cases() if case.spider != case.name}
    for routes in FIXTURES.glob("*/routes.json"):
        folder = routes.parent.name
        # a folder named after no outlet is a made-up site its expected.json crawls with an
        # outlet's spider (photos_outlet as idomin, firstnews_euckr as firstnews), or jsnews,
        # a test-only spider's (tests/browser_spiders.py); any other folder is a registry site's
        if folder not in crawled_as_another and folder != "jsnews":
            assert folder in sites and folder in listed, folder


def test_the_unconfirmed_hosts_are_unverified_and_out_of_the_default_schedule():
    by_site = {o.site: o for o in OUTLETS}
    for site in ("gginews", "voicekorea", "breaknews_gn", "newsstep", "firstnews", "news4000", "pttimes"):
        assert not by_site[site].scheduled, site
    # 경남신문's /news/articleView.php?idxno= is its own CMS, not ND Soft
    assert by_site["knnews"].cms == "generic"
    assert [o.site for o in OUTLETS if o.verified and not o.base_url] == []
    default = registry.select(OUTLETS, Selection())
    assert default == [o for o in OUTLETS if o.scheduled]


def test_every_sido_has_verified_outlets_and_at_least_forty_in_all():
    before_2026 = {g.name for g in Gazetteer.load().sidos if g.valid_on("2025-01-01")}
    assert len(before_2026) == 17
    verified = [o for o in OUTLETS if o.scheduled]
    assert {o.sido for o in verified} == before_2026
    assert len(verified) >= 40
    # each names where it was seen: a public page or public code, never only the project's own pages
    for outlet in verified:
        assert all("not public" not in line for line in outlet.evidence), outlet.site
        assert any(line.startswith(("public page", "public code")) for line in outlet.evidence), outlet.site


def test_spiders_are_built_for_every_entry_whose_cms_has_a_spider_base():
    expected = {o.site for o in OUTLETS if spider_base(o.cms) is not None}
    # plus the bare generic spider (-a base_url= -a site=: newsbot/spiders/generic.py)
    assert set(SPIDERS.list()) == expected | {"generic"}
    generic = [o for o in OUTLETS if o.cms == "generic"]
    assert generic and all((o.site in SPIDERS.list()) == (spider_base("generic") is not None) for o in generic)


# -- checks ----------------------------------------------------------------------------------
def outlet(**fields) -> Outlet:
    values = {"site": "demo", "name": "데모신문", "base_url": "https://www.demo.kr", "cms": "ndsoft",
              "home_region": "경상남도", "verified": True,
              "evidence": ("public page https://www.demo.kr/news/articleView.html?idxno=1",)}
    values.update(fields)
    return Outlet(**values)


@pytest.mark.parametrize(("fields", "problem"), [
    ({"site": "데모"}, "site '데모': not a site id (letters, digits, _ and -, starting with a letter or digit)"),
    ({"base_url": "www.demo.kr"}, "base_url 'www.demo.kr': not an absolute http(s) URL"),
    ({"base_url": "https://www.demo.kr/"}, "base_url 'https://www.demo.kr/': scheme and host only (no path, query or trailing slash)"),
    ({"base_url": ""}, "verified, but base_url is empty (an unconfirmed host is verified = false)"),
    ({"cms": "wordpress"}, "cms 'wordpress': not a known CMS (mcode, breaknews, ncode, gnuboard, ndsoft, generic)"),
    ({"home_region": "경남"}, "home_region '경남': '경남' is not a 시·도 of the gazetteer (e.g. 경상남도)"),
    ({"home_region": "경상남도 파주시"}, "home_region '경상남도 파주시': no such 시·군·구 in 경상남도 in the gazetteer"),
    ({"list_paths": ("news/list.html",)}, "list_paths 'news/list.html': a path on the outlet's host, starting with /"),
    ({"feeds": ("/rss/allArticle.xml",)}, "feeds '/rss/allArticle.xml': not an absolute http(s) URL"),
    ({"cms": "gnuboard"}, "board '': a gnuboard outlet needs its board (bo_table: letters, digits, _)"),
    ({"board": "news"}, "board 'news': only gnuboard outlets have a board"),
    ({"cms": "gnuboard", "board": "news", "list_paths": ("/bbs/board.php?bo_table=x",)},
     "list_paths: a gnuboard outlet's list is its board's (give board instead)"),
    ({"evidence": ()}, "verified, but no evidence says where the host and the CMS were seen"),
    ({"evidence": ("public page https://other.kr/news/articleView.html?idxno=1",)},
     "verified, but no evidence line quotes a URL on its host www.demo.kr"),
])
def test_each_check_names_the_problem(fields, problem):
    assert registry.validate([outlet(**fields)]) == [f"{fields.get('site', 'demo')}: {problem}"]


def test_good_entries_pass_including_former_names_and_national_outlets():
    assert registry.validate([
        outlet(),
        outlet(site="gy", home_region="전라남도 광양시"),      # 광양시 of 전라남도 until 2026-07-01
        outlet(site="nat", home_region="", verified=False, evidence=()),
        outlet(site="unconfirmed", base_url="", verified=False, evidence=("bare domain demo2.kr",)),
        outlet(site="bbs", cms="gnuboard", board="news_1"),
    ]) == []


def test_duplicate_ids_are_caught_case_insensitively():
    assert registry.validate([outlet(), outlet(site="Demo")]) == ["Demo: duplicate site id (also 'demo')"]


@pytest.mark.parametrize(("text", "problem"), [
    ("[[outlet]]\nsite = 'a'\n", "outlet #1 (a): missing field(s) name, base_url, cms"),
    ("[[outlet]]\nsite='a'\nname='n'\nbase_url=''\ncms='ndsoft'\nhost='x'\n", "outlet #1 (a): unknown field(s) host"),
    ("[[outlet]]\nsite='a'\nname='n'\nbase_url=''\ncms='ndsoft'\nfeeds='x'\n", "outlet #1 (a): feeds must be a list of strings"),
    ("[[outlet]]\nsite='a'\nname='n'\nbase_url=''\ncms='ndsoft'\nverified='yes'\n", "outlet #1 (a): verified must be true or false"),
    ("outlet = 3\n", "'outlet' must be an array of tables ([[outlet]])"),
    ("[[outlet]\n", "not TOML: "),
])
def test_a_file_of_the_wrong_shape_is_refused(text, problem):
    with pytest.raises(registry.RegistryError) as refused:
        registry.parse(text, "x.toml")
    assert refused.value.problems[0].startswith(problem)


def test_an_entry_round_trips_through_its_toml():
    entry = outlet(site="bbs", cms="gnuboard", board="news", feeds=("https://www.demo.kr/rss",),
                   notes='a "quoted" note\nover two lines', list_paths=("/bbs/board.php?bo_table=news",))
    assert registry.parse(registry.outlet_toml(entry)) == [entry]


# -- selection ---------------------------------------------------------------------------------
SMALL = [
    outlet(site="gn1", home_region="경상남도"),
    outlet(site="gn2", home_region="경상남도 김해시", cms="generic"),
    outlet(site="gn3", home_region="경상남도", verified=False),
    outlet(site="gg1", home_region="경기도"),
    outlet(site="gg2", home_region="경기도 파주시"),
    outlet(site="gg3", home_region="경기도 고양시"),
    outlet(site="gj1", home_region="광주광역시"),
    outlet(site="jn1", home_region="전라남도 광양시"),
    outlet(site="nat", home_region=""),
    outlet(site="nohost", home_region="경상남도", base_url="", verified=False),
]


def sites(**selection) -> list[str]:
    day = selection.pop("day", "2025-06-01")
    return [o.site for o in registry.select(SMALL, Selection(**selection), day=day)]


def test_selection_by_region_cms_and_names():
    assert sites() == ["gn1", "gn2", "gg1", "gg2", "gg3", "gj1", "jn1", "nat"]
    assert sites(regions=("경상남도",)) == ["gn1", "gn2"]
    assert sites(regions=("경남",), include_unverified=True) == ["gn1", "gn2", "gn3"]
    assert sites(regions=("경기도 파주시",)) == ["gg1", "gg2"]   # the city's outlets and the province-wide ones
    assert sites(regions=("파주시",)) == ["gg1", "gg2"]
    assert sites(regions=("경남", "제주")) == ["gn1", "gn2"]
    assert sites(cms=("generic",)) == ["gn2"]
    assert sites(regions=("경남",), cms=("ndsoft",)) == ["gn1"]
    assert sites(sites=("gn3", "gg1")) == ["gn3", "gg1"]       # named: unverified too
    assert sites(sites=("nohost",)) == ["nohost"]


def test_region_names_are_read_on_the_day_of_the_run():
    # 광주광역시 and 전라남도 are one 시·도 (전남광주통합특별시) from 2026-07-01 in the gazetteer
    assert sites(regions=("광주",), day="2025-06-01") == ["gj1"]
    assert sites(regions=("광주",), day="2026-08-01") == ["gj1", "jn1"]
    assert sites(regions=("전남광주통합특별시",), day="2026-08-01") == ["gj1", "jn1"]


def test_shards_split_the_selection_without_overlap():
    shares = [sites(shard=(k, 3)) for k in (1, 2, 3)]
    assert sorted(sum(shares, [])) == sorted(sites())
    assert shares == [[s for s in sites() if registry.shard_of(s, 3) == k] for k in (1, 2, 3)]


@pytest.mark.parametrize(("selection", "message"), [
    ({"sites": ("nope",)}, "--sites: not in the registry: nope"),
    ({"cms": ("wordpress",)}, "--cms 'wordpress': not a known CMS (mcode, breaknews, ncode, gnuboard, ndsoft, generic)"),
    ({"regions": ("화성",)}, "--region '화성': '화성' is not a 시·도 (e.g. 경상남도, 경남, 제주)"),
    ({"regions": ("경기도 김해시",)}, "--region '경기도 김해시': no 시·군·구 '김해시' in 경기도"),
    ({"regions": ("중구",)}, "--region '중구': several 시·군·구 are called so (대구광역시 중구, 대전광역시 중구, "
                             "부산광역시 중구, 서울특별시 중구, 울산광역시 중구, 인천광역시 중구): name the 시·도 too"),
])
def test_a_selection_naming_the_unknown_is_one_line(selection, message):
    with pytest.raises(registry.SelectionError) as refused:
        sites(**selection)
    assert str(refused.value) == message


# -- spiders from entries ------------------------------------------------------------------------
def test_a_spider_class_from_an_entry():
    entry = outlet(site="bbs-1", cms="gnuboard", board="news", home_region="경기도 파주시",
                   feeds=("https://www.demo.kr/rss",))
    spidercls = registry.spider_class(entry, module="tests.somewhere")
    assert spidercls.__name__ == "Bbs1Spider" and spidercls.__module__ == "tests.somewhere"
    # a feed on the outlet's own host becomes a path: it follows -a base_url (a mirror, a test site)
    assert (spidercls.name, spidercls.cms, spidercls.board, spidercls.feeds) == ("bbs-1", "gnuboard", "news", ("/rss",))
    spider = spidercls()
    assert spider.start_urls == ["https://www.demo.kr/bbs/board.php?bo_table=news"]  # the board decides (gnuboard)
    assert spider.home_region == "경기도 파주시" and spider.registry_outlet is entry
    nd = registry.spider_class(outlet(list_paths=("/news/articleList.html?sc_section_code=S1N1",)))()
    assert nd.start_urls == ["https://www.demo.kr/news/articleList.html?sc_section_code=S1N1"]


def test_an_entry_without_a_host_asks_for_one():
    spidercls = registry.spider_class(outlet(base_url="", verified=False))
    with pytest.raises(UsageError) as refused:
        spidercls()
    assert str(refused.value) == ("outlet 'demo' has no confirmed host in the registry: give it with "
                                  "-a base_url=URL (and correct newsbot/data/outlets.toml)")
    assert spidercls(base_url="http://127.0.0.1:9").start_urls == ["http://127.0.0.1:9/news/articleList.html?view_type=sm"]


def test_a_hand_written_class_wins_over_an_entry(tmp_path, monkeypatch):
    package = tmp_path / "handpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "custom.py").write_text(
        "from newsbot.cms.ndsoft import NdsoftSpider\n\n"
        "class Demo(NdsoftSpider):\n    name = 'demo'\n    base_url = 'https://www.demo.kr'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    built = registry.build_spiders("handpkg.registry", [outlet(), outlet(site="other")])
    assert list(built) == ["OtherSpider"]


def test_bad_entries_are_skipped_with_a_warning(caplog):
    import logging

    built = registry.build_spiders("newsbot.spiders.registry", [outlet(site="fine"), outlet(site="bad", cms="nope")],
                                   log=logging.getLogger("test"))
    assert list(built) == ["FineSpider"]
    assert "Registry outlet bad skipped: cms 'nope': not a known CMS" in caplog.text


# -- docs and the command ----------------------------------------------------------------------
def test_docs_outlets_md_lists_the_registry_as_it_is():
    document = (REPO / "docs" / "outlets.md").read_text(encoding="utf-8")
    assert registry.docs_with_table(document, OUTLETS) == document, \
        "docs/outlets.md is out of date: scrapy outlets --write-docs docs/outlets.md"
    for outlet_ in OUTLETS:
        assert f"| `{outlet_.site}` |" in document


def run_outlets(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", "outlets", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60)


def test_scrapy_outlets_lists_checks_and_refuses(tmp_path):
    listed = run_outlets("--region", "제주", "--cms", "ndsoft")
    assert listed.returncode == 0, listed.stderr
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == \
        [o.site for o in OUTLETS if o.scheduled and o.sido == "제주특별자치도" and o.cms == "ndsoft"]
    checked = run_outlets("--check")
    assert checked.returncode == 0
    assert checked.stdout.strip() == (f"newsbot/data/outlets.toml: {len(OUTLETS)} outlets, "
                                      f"{sum(o.scheduled for o in OUTLETS)} verified, no problems")
    bad = tmp_path / "bad.toml"
    bad.write_text(registry.outlet_toml(outlet(cms="wordpress")) + registry.outlet_toml(outlet(home_region="경남")),
                   encoding="utf-8")
    refused = run_outlets("--check", "--registry", str(bad))
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"newsbot: error: {bad}: demo: cms 'wordpress': not a known CMS (mcode, breaknews, ncode, gnuboard, ndsoft, generic)",
        f"newsbot: error: {bad}: demo: duplicate site id (also 'demo')",
        f"newsbot: error: {bad}: demo: home_region '경남': '경남' is not a 시·도 of the gazetteer (e.g. 경상남도)",
    ]

