"""At most CONCURRENT_REQUESTS_PER_DOMAIN requests at once to one outlet, delay or not."""

from newsbot.testing.generated_site import GeneratedSite


def test_per_host_limit_holds_without_a_download_delay(crawl):
    # Slow responses and no delay: exactly where Scrapy 2.19's downloader let a burst through.
    site = GeneratedSite(30, delay=0.2)
    with site.serve() as server:
        result = crawl("gginews", "-a", f"base_url={server.base_url}", "-a", "max_pages=2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(result.records("gginews")) == 30
    assert server.max_in_flight == 2  # the limit is used, and never passed


def test_settings_state_the_politeness_defaults():
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY") is True
    assert settings.getbool("AUTOTHROTTLE_ENABLED") is True
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert settings.get("USER_AGENT").startswith("newsbot/")
