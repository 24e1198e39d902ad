"""Replay proven in a real browser: pywb on 127.0.0.1 and headless Chromium looking at it.

* :class:`Pywb` runs pywb's ``wayback`` in a subprocess over collections made with pywb's
  own ``wb-manager`` from WARC files (copied and indexed by pywb) or from a WACZ (its WARCs
  and its own index, ``--unpack-wacz``).  pywb lives in a virtualenv of its own (it pins
  libraries the crawler cannot share: ``make pywb``), so it is always a subprocess here.
* :func:`open_in_browser` opens a URL in headless Chromium (Playwright, the system's
  Chromium, as ``newsbot.browser`` launches it), lets every request to the allowed
  host:port through, records (and refuses) every other, and measures what the page shows:
  an image's ``naturalWidth`` (0 when it did not load), a computed style value; it can
  write a PNG screenshot for a person to look at.

Replay mode: pywb's framed replay, what a reader opens (``/<coll>/<timestamp>/<url>``: pywb's
banner, and the archived page in a frame at ``/<coll>/<timestamp>mp_/<url>``); the page is
measured inside that frame.  There pywb has rewritten links, stylesheets and images to
``/<coll>/<timestamp><cs_|im_|js_>/<url>`` and wombat.js catches what scripts request, so a
faithful archive loads completely from pywb and a missing requisite fails visibly (a 404
from pywb) instead of quietly coming from the live web.  (``mp_`` opened as the top page is
redirected by wombat to the framed replay; ``id_`` is the archived bytes, nothing rewritten.)
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PYWB_START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pywb_venv(repo: Path) -> Path:
    """pywb's virtualenv: ``$NEWSBOT_PYWB_VENV`` (relative paths: to ``repo``) or ``.venv-pywb``."""
    return Path(repo) / os.environ.get("NEWSBOT_PYWB_VENV", ".venv-pywb")


class Pywb:
    """``with Pywb(venv, root) as pywb: pywb.add_warcs([...]); pywb.start(); pywb.replay_url(url)``

    ``root`` is pywb's working folder (its ``collections/`` go there).  Archives go into
    ``collection`` unless another is named; add them before :meth:`start`.
    """

    def __init__(self, venv: Path, root: Path, collection: str = "news"):
        self.bin = Path(venv).absolute() / "bin"
        self.root = Path(root)
        self.collection = collection
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        for tool in ("wayback", "wb-manager"):
            if not (self.bin / tool).exists():
                raise FileNotFoundError(f"pywb is not installed in {venv} ({tool} missing): run `make pywb`")

    def _manager(self, *args: str) -> None:
        result = subprocess.run([str(self.bin / "wb-manager"), *args], cwd=self.root,
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"wb-manager {' '.join(args)} failed: {result.stderr[-2000:]}")

    def _collection(self, name: str | None) -> str:
        name = name or self.collection
        self.root.mkdir(parents=True, exist_ok=True)
        if not (self.root / "collections" / name).is_dir():
            self._manager("init", name)
        return name

    def add_warcs(self, paths, collection: str | None = None) -> None:
        """Copy WARC files into a collection; pywb indexes them itself."""
        self._manager("add", self._collection(collection), *(str(Path(p).absolute()) for p in paths))

    def add_wacz(self, path: Path, collection: str | None = None) -> None:
        """A WACZ's WARCs into a collection, with the WACZ's own index (pywb does not index them again)."""
        self._manager("add", "--unpack-wacz", self._collection(collection), str(Path(path).absolute()))

    def start(self) -> str:
        """Start ``wayback`` on 127.0.0.1 (a free port); returns its base URL once it answers."""
        self.port = free_port()
        self.process = subprocess.Popen([str(self.bin / "wayback"), "-b", "127.0.0.1", "-p", str(self.port)],
                                        cwd=self.root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + PYWB_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"wayback exited: {self.process.stderr.read().decode(errors='replace')[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self.base_url
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"wayback did not answer within {PYWB_START_TIMEOUT:.0f} s")

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def replay_url(self, url: str, timestamp: str = "", modifier: str = "", collection: str | None = None) -> str:
        """pywb's URL for ``url`` as archived at ``timestamp`` (a prefix of 14 digits; empty:
        the latest capture).  No modifier: the framed replay a reader opens (pywb's banner,
        the page in a frame at ``.../<timestamp>mp_/<url>``); ``id_``: the archived bytes."""
        prefix = f"{timestamp}{modifier}"
        return f"{self.base_url}/{collection or self.collection}/{prefix + '/' if prefix else ''}{url}"

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()
        self.process = None

    def __enter__(self) -> Pywb:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def archive_urls(urls, warc_dir: Path, site: str) -> Path:
    """Fetch ``urls`` (a test's LocalSite) with a plain HTTP/1.1 client and archive each
    exchange with newsbot's own WARC writer (response + request records, CDXJ beside the
    file): an archive made of exactly these resources, whatever the crawler fetches.
    Returns the WARC file."""
    from newsbot.warc.writer import RollingWarcWriter

    writer = RollingWarcWriter(Path(warc_dir), site, max_size=1 << 30,
                               warcinfo={"software": "newsbot test support", "isPartOf": site})
    try:
        for url in urls:
            parts = urlsplit(url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            request_headers = [("Host", parts.netloc), ("User-Agent", "newsbot-test"), ("Accept", "*/*")]
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
            try:
                connection.request("GET", target, headers=dict(request_headers))
                response = connection.getresponse()
                body = response.read()
            finally:
                connection.close()
            writer.capture(url=url, method="GET", request_target=target, request_headers=request_headers,
                           request_body=b"", status=response.status, reason=response.reason,
                           protocol=f"HTTP/{response.version // 10}.{response.version % 10}",
                           response_headers=response.getheaders(), body=body)
        return writer.path
    finally:
        writer.close()


@dataclass
class BrowserVisit:
    url: str
    requests: list[str] = field(default_factory=list)      # every request the page made, in order
    escaped: list[str] = field(default_factory=list)       # those not to an allowed host:port (refused)
    statuses: dict[str, int] = field(default_factory=dict)  # URL -> HTTP status of the answer
    final_url: str = ""        # the measured document's URL (the replay frame's, for pywb)
    # selector -> naturalWidth (0: not loaded; None: no such element)
    image_widths: dict[str, int | None] = field(default_factory=dict)
    # (selector, property) -> computed value (None: no such element)
    styles: dict[tuple[str, str], str | None] = field(default_factory=dict)
    screenshot: Path | None = None


#: the frame pywb's framed replay shows the archived page in: ``/<coll>/<timestamp>mp_/<url>``
PYWB_REPLAY_FRAME = "mp_/"


def open_in_browser(url: str, *, allowed_hosts, images=(), styles=(), screenshot: Path | None = None,
                    frame: str | None = PYWB_REPLAY_FRAME, executable: str | None = None,
                    timeout: float = 30.0) -> BrowserVisit:
    """Open ``url`` in headless Chromium and report what it requested and shows.

    ``allowed_hosts``: the ``host:port`` values requests may go to; any other request is
    recorded in ``escaped`` and aborted (never sent).  ``images``: CSS selectors of ``<img>``
    elements whose ``naturalWidth`` to read; ``styles``: ``(selector, property)`` pairs whose
    computed value to read (``getComputedStyle``), both read in the frame whose URL holds
    ``frame`` (default: pywb's replay frame; ``None``: the page itself).  ``screenshot``: a
    PNG of the whole window, as a person would see it (pywb's banner included).
    """
    from playwright.sync_api import sync_playwright

    from newsbot.browser import CHROMIUM_ARGS, find_chromium

    allowed = set(allowed_hosts)
    visit = BrowserVisit(url)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(executable), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1000, "height": 700})

            def gate(route, request):
                visit.requests.append(request.url)
                if urlsplit(request.url).netloc in allowed:
                    route.continue_()
                else:   # recorded, and refused: a test never lets a replay reach the web
                    visit.escaped.append(request.url)
                    route.abort("blockedbyclient")

            context.route("**/*", gate)
            page = context.new_page()
            page.on("response", lambda response: visit.statuses.__setitem__(response.url, response.status))
            page.goto(url, wait_until="networkidle", timeout=timeout * 1000)
            shown = page.main_frame
            if frame is not None:
                inner = [f for f in page.frames if f is not page.main_frame and frame in f.url]
                if not inner:
                    raise AssertionError(f"no frame at a URL holding {frame!r} in {page.url} "
                                         f"(frames: {[f.url for f in page.frames]})")
                shown = inner[0]
            visit.final_url = shown.url
            for selector in images:
                visit.image_widths[selector] = shown.evaluate(
                    "sel => { const img = document.querySelector(sel); return img ? img.naturalWidth : null }",
                    selector)
            for selector, name in styles:
                visit.styles[(selector, name)] = shown.evaluate(
                    "([sel, name]) => { const el = document.querySelector(sel);"
                    " return el ? getComputedStyle(el).getPropertyValue(name) : null }", [selector, name])
            if screenshot is not None:
                screenshot = Path(screenshot)
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
                visit.screenshot = screenshot
        finally:
            browser.close()
    return visit


def pywb_installed(venv: Path) -> bool:
    return (Path(venv) / "bin" / "wayback").exists() and (Path(venv) / "bin" / "wb-manager").exists()


def chromium_installed() -> bool:
    from newsbot.browser import CHROMIUM_NAMES

    return any(shutil.which(name) for name in CHROMIUM_NAMES)
