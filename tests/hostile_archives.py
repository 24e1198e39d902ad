"""Hostile WARC files for tests, written streaming (never held in memory), and a runner
that measures a command's own peak RSS.

* :func:`write_record`: an ordinary response record, one gzip member (or uncompressed);
* :func:`write_zero_response`: a response whose payload is ``size`` zero bytes, as one gzip
  member made cheaply: a mebibyte of zeros is deflated once, after a full flush (which
  resets the compressor, so no block refers back past it), and that block is written as
  often as needed; the gzip header and trailer (CRC-32, length) are written by hand.  A
  1 GiB record is ~1 MB on disk and takes about a second to write;
* :func:`run_measured`: ``scrapy ...`` as :func:`tests.conftest.run_scrapy`, plus the peak
  resident set of that process alone (``os.wait4``'s rusage of the child).
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import threading
import uuid
import zlib
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import REPO, TEST_SETTINGS, CrawlResult

MIB = 1 << 20


def write_record(fh, url: str, body: bytes, gzip: bool = True, status: str = "200 OK",
                 content_type: str = "text/html; charset=utf-8") -> int:
    """Append a response record for ``url``; returns its offset."""
    offset = fh.tell()
    writer = WARCWriter(fh, gzip=gzip)
    http = StatusAndHeaders(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))],
                            protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
    return offset


def http_head(size: int) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % size


def zero_response_head(url: str, size: int, declared_block: int | None = None) -> bytes:
    """WARC and HTTP headers of a response with ``size`` zero bytes of payload
    (``declared_block``: a WARC Content-Length that lies)."""
    http = http_head(size)
    block = len(http) + size if declared_block is None else declared_block
    warc = (b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:%s>\r\nWARC-Target-URI: %s\r\n"
            b"WARC-Date: 2024-08-04T00:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
            b"Content-Length: %d\r\n\r\n" % (str(uuid.uuid4()).encode(), url.encode(), block))
    return warc + http


def write_zero_response(fh, url: str, size: int, declared_block: int | None = None) -> int:
    """Append one gzip member: a response whose payload is ``size`` zero bytes; its offset."""
    offset = fh.tell()
    head, tail = zero_response_head(url, size, declared_block), b"\r\n\r\n"
    stream = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    once = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    zeros = bytes(MIB)
    zeros_block = once.compress(zeros) + once.flush(zlib.Z_FULL_FLUSH)
    fh.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")             # gzip header: deflate, no name
    fh.write(stream.compress(head) + stream.flush(zlib.Z_FULL_FLUSH))
    crc = zlib.crc32(head)
    whole, rest = divmod(size, MIB)
    for _ in range(whole):
        fh.write(zeros_block)
        crc = zlib.crc32(zeros, crc)
    if rest:
        fh.write(stream.compress(bytes(rest)) + stream.flush(zlib.Z_FULL_FLUSH))
        crc = zlib.crc32(bytes(rest), crc)
    fh.write(stream.compress(tail) + stream.flush())
    crc = zlib.crc32(tail, crc)
    fh.write(struct.pack("<II", crc, (len(head) + size + len(tail)) & 0xFFFFFFFF))
    return offset


def write_plain_zero_response(fh, url: str, size: int) -> int:
    """The same record uncompressed (``size`` zero bytes written in mebibytes)."""
    offset = fh.tell()
    fh.write(zero_response_head(url, size))
    whole, rest = divmod(size, MIB)
    for _ in range(whole):
        fh.write(bytes(MIB))
    fh.write(bytes(rest) + b"\r\n\r\n")
    return offset


def run_measured(args: list[str], output_dir: Path, settings: dict | None = None,
                 timeout: float = 300) -> tuple[CrawlResult, int]:
    """``scrapy <args>`` in the repo, and its own peak RSS in bytes (``ru_maxrss`` of the
    rusage ``os.wait4`` returns for that child: not mixed with other children's)."""
    cmd = [sys.executable, "-m", "scrapy", *args, "-s", f"OUTPUT_DIR={output_dir}"]
    for name, value in {**TEST_SETTINGS, **(settings or {})}.items():
        cmd += ["-s", f"{name}={value}"]
    out_path = output_dir.parent / f"{output_dir.name}.stdout"
    err_path = output_dir.parent / f"{output_dir.name}.stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=err, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        watchdog = threading.Timer(timeout, proc.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            watchdog.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)   # reaped here: Popen must not wait again
    result = CrawlResult(proc.returncode, out_path.read_text(errors="replace"), err_path.read_text(errors="replace"),
                         output_dir)
    return result, usage.ru_maxrss * 1024   # Linux: kilobytes
