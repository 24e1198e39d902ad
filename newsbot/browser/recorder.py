"""What the browser received for a page: every HTTP exchange (Playwright's ``response``
event), bodies included, collected while the page is open."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError


@dataclass
class Exchange:
    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body: bytes
    ip_address: str | None
    is_document: bool  # a main-frame navigation (the page itself, or a redirect on the way)


@dataclass
class ExchangeRecorder:
    """Collects every HTTP response a page receives (Playwright's ``response`` event),
    bodies included, while the page is still open."""

    exchanges: list[Exchange] = field(default_factory=list)
    pending: set = field(default_factory=set)
    page_url: str | None = None

    async def attach(self, page, request) -> None:  # playwright_page_init_callback
        page.on("response", lambda response: self._spawn(self._record(page, response)))

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _record(self, page, response) -> None:
        request = response.request
        if urlsplit(response.url).scheme not in ("http", "https"):
            return
        try:
            body = await response.body()
        except PlaywrightError:
            body = b""  # a redirect has none; a page closed meanwhile has none to give
        try:
            address = (await response.server_addr() or {}).get("ipAddress")
        except PlaywrightError:
            address = None
        self.exchanges.append(Exchange(
            url=response.url,
            method=request.method,
            request_headers=[(h["name"], h["value"]) for h in await request.headers_array()],
            request_body=request.post_data_buffer or b"",
            status=response.status,
            reason=response.status_text,
            response_headers=[(h["name"], h["value"]) for h in await response.headers_array()],
            body=body,
            ip_address=address,
            is_document=request.is_navigation_request() and request.frame == page.main_frame,
        ))

    async def settle(self, page, timeout: float) -> None:
        """Wait (bounded) until every response seen so far has its body."""
        self.page_url = page.url
        if self.pending:
            await asyncio.wait(set(self.pending), timeout=timeout)

    def document(self) -> Exchange | None:
        documents = [e for e in self.exchanges if e.is_document]
        final = [e for e in documents if e.url == self.page_url]
        return (final or documents or [None])[-1]
