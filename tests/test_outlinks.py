"""Outlinks of the per-article metadata record: page order, each URL once, resolved as a
browser would (``<base href>``, page-relative, root-relative, protocol-relative), with the
site-wide values cached per host under a fixed bound."""

from __future__ import annotations

from scrapy.http import HtmlResponse

from newsbot.warc.metadata import LinkResolver, outlinks

PAGE = b"""<html><head><base href="http://cdn.test/p/q/"></head><body>
<a href=" rel.html ">relative, spaces around</a><a href="#top">fragment</a><a href="mailto:x@y.test">mail</a>
<a href="javascript:void(0)">script</a><a href="">empty</a><a>no href</a>
<img src="/i.png"><iframe src="frame.html"></iframe><map><area href="/area.html"></map>
<a href="/i.png">same URL as the image: kept once, as the image</a>
<a href="//proto.test/x">protocol-relative</a><a href="?q=1">query only</a>
<a href="https://abs.test/y">absolute</a></body></html>"""


def test_links_in_page_order_each_once_resolved_against_the_base():
    response = HtmlResponse("http://h.test/x/y", body=PAGE, encoding="utf-8")
    assert outlinks(response) == [
        ("http://cdn.test/p/q/rel.html", "L", "a/@href"),
        ("http://cdn.test/i.png", "E", "img/@src"),
        ("http://cdn.test/p/q/frame.html", "E", "iframe/@src"),
        ("http://cdn.test/area.html", "L", "area/@href"),
        ("http://proto.test/x", "L", "a/@href"),
        ("http://cdn.test/p/q/?q=1", "L", "a/@href"),
        ("https://abs.test/y", "L", "a/@href"),
    ]


def test_site_wide_cache_stays_under_its_bound_and_answers_as_without_it():
    resolver = LinkResolver(max_values=10)
    for page in range(30):
        links = "".join(f'<a href="/news/view.php?idx={page * 7 + k}">n</a>' for k in range(7))
        body = f'<html><body><a href="/menu">menu</a>{links}<a href="rel{page}.html">r</a></body></html>'
        response = HtmlResponse(f"http://site{page % 3}.test/dir/page", body=body.encode(), encoding="utf-8")
        found = resolver.outlinks(response)
        assert found == outlinks(response)  # a fresh resolver, no cache: the same answer
        assert found[0] == (f"http://site{page % 3}.test/menu", "L", "a/@href")
        assert [u for u, _, _ in found[1:8]] == [f"http://site{page % 3}.test/news/view.php?idx={page * 7 + k}"
                                                 for k in range(7)]
        assert found[8] == (f"http://site{page % 3}.test/dir/rel{page}.html", "L", "a/@href")
        assert sum(map(len, resolver.by_origin.values())) <= 10
    assert resolver.count <= 10
