"""A real HTTP/1.1 server on 127.0.0.1 that serves a fixture site.

Used by the tests, the sample-archive builder and the benchmarks: spiders are pointed
at it with ``-a base_url=`` exactly as they would be at an outlet.  Routes match on the
path and on the query parameters the route names (others, like ``utm_source``, are
ignored, as real servers ignore them).  A route can gzip its body, send it chunked,
add headers, or hand over to a function for fault injection.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    gzip: bool = False          # Content-Encoding: gzip when the client accepts it
    chunked: bool = False       # Transfer-Encoding: chunked instead of Content-Length
    handler: Callable | None = None  # handler(request_handler) takes over completely
    #: "{base}" in the body is replaced by the site's base URL when served (sitemaps, feeds:
    #: absolute URLs of a site whose port is known only once it runs)
    templated: bool = False

    @classmethod
    def file(cls, path: str | Path, **kwargs) -> Route:
        return cls(body=Path(path).read_bytes(), **kwargs)


def _route_key(target: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(target)
    # latin-1: one character per byte, so values compare byte for byte (an EUC-KR
    # "%B0%E6" is not the U+FFFD a UTF-8 decode would make of it, nor of any other bytes)
    return parts.path, dict(parse_qsl(parts.query, keep_blank_values=True, encoding="latin-1"))


class LocalSite:
    """``with LocalSite(routes) as site: site.url("/news/list.php")``"""

    def __init__(self, routes: dict[str, Route] | None = None, host: str = "127.0.0.1", port: int = 0):
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[str] = []  # every request target, in arrival order
        self.in_flight = 0             # requests being answered right now
        self.max_in_flight = 0         # the most answered at once: what politeness limits
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                with site._lock:
                    site.requests.append(self.path)
                    site.in_flight += 1
                    site.max_in_flight = max(site.max_in_flight, site.in_flight)
                try:
                    self._serve()
                finally:
                    with site._lock:
                        site.in_flight -= 1

            def _serve(self):
                route = site.match(self.path)
                if route is None:
                    return self._send(404, b"<html><body>Not Found</body></html>", "text/html", [])
                if route.handler is not None:
                    return route.handler(self)
                body, headers = route.body, list(route.headers)
                if route.templated:
                    body = body.replace(b"{base}", site.base_url.encode("ascii"))
                accepts_gzip = "gzip" in (self.headers.get("Accept-Encoding") or "")
                if route.gzip and accepts_gzip:
                    body = gzip.compress(body, mtime=0)
                    headers.append(("Content-Encoding", "gzip"))
                self._send(route.status, body, route.content_type, headers, chunked=route.chunked)

            def _send(self, status, body, content_type, headers, chunked=False):
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for name, value in headers:
                    self.send_header(name, value)
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for start in range(0, len(body), 1000):
                        piece = body[start:start + 1000]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def match(self, target: str) -> Route | None:
        path, query = _route_key(target)
        best, best_size = None, -1
        for key, route in self.routes.items():
            route_path, route_query = _route_key(key)
            if route_path != path:
                continue
            if all(query.get(k) == v for k, v in route_query.items()) and len(route_query) > best_size:
                best, best_size = route, len(route_query)
        return best

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, target: str = "/") -> str:
        return self.base_url + target

    def __enter__(self) -> LocalSite:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def load_routes(folder: str | Path) -> dict[str, Route]:
    """Routes of a fixture site from ``<folder>/routes.json``.

    Format: ``{"/news/view.php?idx=1": {"file": "view_1.html", "gzip": true, ...}}``; any
    :class:`Route` field may be given; ``headers`` as a list of ``[name, value]``.  ``file``
    is relative to the folder (``../skins/ndsoft/page.html`` serves a page another test
    reads too, one copy for both).
    """
    import json

    folder = Path(folder)
    table = json.loads((folder / "routes.json").read_text(encoding="utf-8"))
    routes = {}
    for target, spec in table.items():
        spec = dict(spec)
        body = (folder / spec.pop("file")).read_bytes() if "file" in spec else spec.pop("text", "").encode()
        spec["headers"] = [tuple(h) for h in spec.get("headers", [])]
        routes[target] = Route(body=body, **spec)
    return routes
