"""Output files appear under their final name only when whole (``<name>.open`` while written),
with a manifest entry computed as they are written; what a killed writer leaves is finished
by the next run, cut to whole records.  In-process: a writer "dies" by closing its
descriptor without finishing, which is what the kernel does for a killed process (its lock goes)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys

from warcio.archiveiterator import ArchiveIterator

from newsbot.outputfile import OutputFile, adopt_unfinished, repair_lines
from newsbot.warc.writer import RollingWarcWriter, adopt_unfinished_warcs


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def die(file: OutputFile) -> None:
    """What SIGKILL leaves: the descriptor (and its lock) gone, the file not renamed."""
    os.close(file.fd)


def test_a_file_is_invisible_to_a_glob_of_final_names_until_finished(tmp_path):
    file = OutputFile(tmp_path, "gginews", ".jsonl", "jsonl")
    file.write(b'{"id":"gginews:1"}\n')
    file.write(b'{"id":"gginews:2"}\n{"id":"gginews:3"}\n', records=2)
    assert list(tmp_path.glob("*.jsonl")) == []
    assert [p.name for p in tmp_path.iterdir()] == [file.path.name + ".open"]
    finished = file.finish()
    assert [p.name for p in tmp_path.iterdir()] == [file.path.name]
    data = file.path.read_bytes()
    assert data.count(b"\n") == 3
    # the manifest entry, computed while writing, is what a reader recomputes
    assert (finished.records, finished.bytes, finished.sha256) == (3, len(data), sha256(file.path))
    assert finished.entry(tmp_path.parent) == {
        "path": f"{tmp_path.name}/{file.path.name}", "kind": "jsonl", "records": 3, "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest()}


def test_names_stay_unique_while_files_are_open_and_after_they_are_finished(tmp_path):
    first = OutputFile(tmp_path, "gginews", ".jsonl", "jsonl", stamp="20261122T014351Z")
    second = OutputFile(tmp_path, "gginews", ".jsonl", "jsonl", stamp="20261122T014351Z")
    first.write(b"{}\n")
    first.finish()
    third = OutputFile(tmp_path, "gginews", ".jsonl", "jsonl", stamp="20261122T014351Z")
    assert [f.path.name for f in (first, second, third)] == [
        "gginews-20261122T014351Z-00000.jsonl", "gginews-20261122T014351Z-00001.jsonl",
        "gginews-20261122T014351Z-00002.jsonl"]


def test_a_live_writers_file_is_left_alone_and_a_dead_ones_is_cut_to_whole_lines_and_finished(tmp_path):
    live = OutputFile(tmp_path, "gginews", ".jsonl", "jsonl")
    live.write(b'{"n":1}\n')
    dead = OutputFile(tmp_path, "gginews", ".jsonl", "jsonl")
    dead.write(b'{"n":2}\n{"n":3}\n', records=2)
    os.write(dead.fd, b'{"n":4,"body":"cut sh')   # a record in flight when the power went
    die(dead)
    empty = OutputFile(tmp_path, "gginews", ".jsonl", "jsonl")
    die(empty)                                      # killed before its first record

    adopted = adopt_unfinished(tmp_path, ".jsonl", "jsonl", repair_lines)

    assert [f.path for f in adopted] == [dead.path]
    assert dead.path.read_bytes() == b'{"n":2}\n{"n":3}\n'
    assert (adopted[0].records, adopted[0].bytes, adopted[0].sha256) == (2, 16, sha256(dead.path))
    assert not empty.open_path.exists() and not empty.path.exists()   # nothing whole: removed
    assert live.open_path.exists() and not live.path.exists()          # still being written
    live.write(b'{"n":5}\n')
    assert live.finish().records == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([dead.path.name, live.path.name])


def test_a_writer_in_another_process_keeps_its_file(tmp_path):
    script = (f"import sys, time; from pathlib import Path; from newsbot.outputfile import OutputFile\n"
              f"f = OutputFile(Path({str(tmp_path)!r}), 'gginews', '.jsonl', 'jsonl'); f.write(b'{{}}\\n')\n"
              f"print(f.path, flush=True); sys.stdin.read(); f.finish()\n")
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        path = child.stdout.readline().strip()
        assert adopt_unfinished(tmp_path, ".jsonl", "jsonl", repair_lines) == []
        assert os.path.exists(path + ".open")
    finally:
        child.communicate("", timeout=30)
    assert child.returncode == 0 and os.path.exists(path)


def exchange(writer, n: int) -> dict:
    body = f"<html><body><p>기사 {n}</p></body></html>".encode() * 20
    return writer.capture(url=f"http://example.test/a{n}", method="GET", request_target=f"/a{n}",
                          request_headers=[("Host", "example.test")], request_body=b"", status=200, reason="OK",
                          protocol="HTTP/1.1", response_headers=[("Content-Type", "text/html")], body=body)


def test_a_warc_is_finished_with_its_cdxj_beside_it_and_the_manifest_digests_both(tmp_path):
    finished = []
    writer = RollingWarcWriter(tmp_path, "gginews", max_size=1024**3, warcinfo={"newsbot-run-id": "r1"},
                               on_finished=finished.append)
    for n in range(3):
        exchange(writer, n)
    assert list(tmp_path.glob("*.warc.gz")) == [] and list(tmp_path.glob("*.cdxj")) == []
    writer.close()
    warc, cdxj = finished
    assert (warc.path, warc.kind, cdxj.kind) == (writer.path, "warc", "cdxj")
    assert cdxj.path == writer.path.with_name(writer.path.name.removesuffix(".warc.gz") + ".cdxj")
    with warc.path.open("rb") as fh:
        assert warc.records == sum(1 for _ in ArchiveIterator(fh)) == 7   # warcinfo + 3 pairs
    assert (warc.bytes, warc.sha256) == (warc.path.stat().st_size, sha256(warc.path))
    lines = cdxj.path.read_text().splitlines()
    assert cdxj.records == len(lines) == 3 and cdxj.sha256 == sha256(cdxj.path)
    assert all(json.loads(line.split(" ", 2)[2])["filename"] == warc.path.name for line in lines)


def test_a_killed_writers_warc_is_cut_to_whole_records_indexed_and_finished(tmp_path):
    writer = RollingWarcWriter(tmp_path, "gginews", max_size=1024**3, warcinfo={})
    placed = [exchange(writer, n) for n in range(3)]
    whole = writer.file.size
    # half of the next record's gzip member, as a write cut by a power failure would leave
    record = writer.builder.create_warc_record("http://example.test/cut", "resource", payload=io.BytesIO(
        os.urandom(4000)), length=4000, warc_content_type="application/octet-stream")
    member = writer._member(record)
    os.write(writer.file.fd, member[: len(member) // 2])
    die(writer.file)

    adopted = adopt_unfinished_warcs(tmp_path)

    warc, cdxj = adopted
    assert warc.path == writer.path and warc.path.stat().st_size == whole
    assert warc.records == 7 and warc.sha256 == sha256(warc.path)
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(warc.path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    entries = [json.loads(line.split(" ", 2)[2]) for line in cdxj.path.read_text().splitlines()]
    assert sorted(int(e["offset"]) for e in entries) == sorted(p["offset"] for p in placed)
    assert {e["filename"] for e in entries} == {warc.path.name}
    assert list(tmp_path.glob("*.open")) == []
