"""Misbehaving routes for :class:`~newsbot.testing.localsite.LocalSite`: the faults of real
regional news servers, reproduced on 127.0.0.1.

Each factory returns a :class:`Route`; those that need more than a status and headers
use the route's ``handler`` hook, which takes over the raw connection (``h`` is the
server's ``BaseHTTPRequestHandler``).
"""

from __future__ import annotations

import socket
import struct
import threading
import time

from newsbot.testing.localsite import Route


class FailFirst:
    """Answer ``status`` (with ``headers``) to the first ``failures`` requests, then ``body``.

    ``times`` keeps the arrival time of every request, so a test can check the delays
    between attempts (``Retry-After``).
    """

    def __init__(self, body: bytes, failures: int, status: int = 503, headers=(),
                 content_type: str = "text/html; charset=utf-8"):
        self.body = body
        self.failures = failures
        self.status = status
        self.headers = list(headers)
        self.content_type = content_type
        self.times: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, h) -> None:
        with self._lock:
            self.times.append(time.monotonic())
            attempt = len(self.times)
        if attempt <= self.failures:
            h._send(self.status, b"<html><body>busy</body></html>", "text/html", self.headers)
        else:
            h._send(200, self.body, self.content_type, [])


def fail_first(body: bytes, failures: int, status: int = 503, headers=()) -> tuple[Route, FailFirst]:
    handler = FailFirst(body, failures, status, headers)
    return Route(handler=handler), handler


def hang(seconds: float) -> Route:
    """Accept the request and send nothing for ``seconds`` (a client timeout), then hang up."""

    def handler(h):
        time.sleep(seconds)
        h.close_connection = True

    return Route(handler=handler)


def _abort(h) -> None:
    """Close the connection with a TCP RST instead of an orderly FIN."""
    h.wfile.flush()
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # Drop the file objects' references first: the socket closes (and resets) right now.
    h.rfile.close()
    h.wfile.close()
    h.connection.close()
    h.close_connection = True


def _headers_and_part(h, body: bytes, sent: int, content_type: str) -> None:
    h.send_response(200)
    h.send_header("Content-Type", content_type)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body[:sent])
    h.wfile.flush()


def reset_mid_body(body: bytes, content_type: str = "text/html; charset=utf-8") -> Route:
    """Announce the whole body, send half of it, then reset the connection."""

    def handler(h):
        _headers_and_part(h, body, len(body) // 2, content_type)
        time.sleep(0.05)  # let the first half reach the client before the reset
        _abort(h)

    return Route(handler=handler)


def short_body(body: bytes, content_type: str = "text/html; charset=utf-8") -> Route:
    """Announce ``len(body)`` bytes, send half, close cleanly: a body shorter than its Content-Length."""

    def handler(h):
        _headers_and_part(h, body, len(body) // 2, content_type)
        h.close_connection = True

    return Route(handler=handler)


def redirect(location: str, status: int = 302) -> Route:
    return Route(status=status, body=b"", content_type="text/html", headers=[("Location", location)])


def big_page(size: int) -> Route:
    """An HTML page of ``size`` bytes (padding inside a comment)."""
    head = b"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>big</title></head><body><!--"
    tail = b"--></body></html>"
    return Route(body=head + b"x" * (size - len(head) - len(tail)) + tail)


#: the smallest well-formed PDF and PNG: an article URL that answers a document or a picture
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def pdf() -> Route:
    return Route(body=PDF_BYTES, content_type="application/pdf")


def png() -> Route:
    return Route(body=PNG_BYTES, content_type="image/png")


def garbage(size: int = 4096, seed: int = 7) -> Route:
    """200, ``text/html``, and bytes that are no HTML at all (fixed seed: the same each run)."""
    import random

    return Route(body=random.Random(seed).randbytes(size))


def mislabelled(body_utf8: bytes, declared: str = "euc-kr") -> Route:
    """A page whose header (and ``<meta>``) declare ``declared`` while the bytes are UTF-8."""
    return Route(body=body_utf8.replace(b'charset="utf-8"', f'charset="{declared}"'.encode())
                 .replace(b"charset=utf-8", f"charset={declared}".encode()),
                 content_type=f"text/html; charset={declared}")


# -- pages of a family A outlet (the gginews layout), with text the caller invents ----------
def article_html(idx: int, title: str, paragraphs: list[str], registered: str = "2024-08-07 09:00:00",
                 charset: str = "utf-8") -> bytes:
    body = "\n".join(f"  <p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="ko"><head><meta charset="{charset}"><title>{title}</title></head>\n'
        f'<body><div id="container">\n<div class="titleWrap"><strong>{title}</strong></div>\n'
        f'<div class="registModifyDate"><ul><li>기사등록 {registered}</li></ul></div>\n'
        f'<div id="viewContent" class="viewContent">\n{body}\n</div>\n'
        f"<!-- idx {idx} --></div></body></html>\n"
    ).encode(charset)


def list_html(hrefs: list[str]) -> bytes:
    items = "\n".join(
        f'<li><dl><dt class="title"><a href="{href}">기사 {n}</a></dt></dl></li>' for n, href in enumerate(hrefs, 1)
    )
    return (
        '<!DOCTYPE html>\n<html lang="ko"><head><meta charset="utf-8"><title>전체기사</title></head>\n'
        f'<body><div class="basicList"><ul>\n{items}\n</ul></div></body></html>\n'
    ).encode("utf-8")
