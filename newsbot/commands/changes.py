"""``scrapy changes <site> [--cursor-file FILE | --since CURSOR] [--files] [--stream NAME ...]``

What is new for a consumer since its cursor: the records of every finished JSON Lines
file it has not had yet, byte for byte, on stdout (or, with ``--files``, the files' paths,
one a line), then the next cursor: written to ``--cursor-file`` (or
``--next-cursor-file``) once everything is on stdout, else printed as the last line on
stderr (``newsbot: next cursor: {...}``).  A downstream job run after each crawl gets each
record exactly once and never re-reads old files.  Files still being written (``.open``)
wait for a later call; the cursor format and rules are in :mod:`newsbot.changes`.

Reads only: it never changes the output folder, and runs beside a crawl.  Usage errors
(an unknown site or stream, a cursor that is not one or is another site's) are one
``newsbot: error: ...`` line, exit status 2; stdout closed early (a consumer that
stopped reading): exit status 1, and the cursor is not moved.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newsbot import exitcodes
from newsbot.changes import STREAMS, CursorError, format_cursor, parse_cursor, stream_changes
from newsbot.commands.crawl import fail_usage, own_usage_errors, refuse_stray_options
from newsbot.output import site_dir

_SITE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_COPY_CHUNK = 1 << 20


def write_atomically(path: Path, text: str) -> None:
    """``text`` into ``path``, replacing it whole (a reader sees the old cursor or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False   # reads files: no crawl, no reactor

    def syntax(self) -> str:
        return "[options] <site>"

    def short_desc(self) -> str:
        return "Print the records (or files) finished since a consumer's cursor, and the next cursor"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        own_usage_errors(parser)
        parser.add_argument("--cursor-file", metavar="FILE",
                            help="read the cursor here (no file yet: from the beginning) and, once "
                                 "everything is printed, replace it with the next one")
        parser.add_argument("--next-cursor-file", metavar="FILE",
                            help="write the next cursor here instead (move it over --cursor-file "
                                 "once the consumer has stored the records)")
        parser.add_argument("--since", metavar="CURSOR",
                            help="the cursor itself (as printed or stored); '' = from the beginning")
        parser.add_argument("--stream", action="append", choices=sorted(STREAMS), metavar="NAME",
                            help=f"what to follow: {', '.join(sorted(STREAMS))} (default jsonl; repeat for several)")
        parser.add_argument("--files", action="store_true",
                            help="print the new files' paths, one a line, instead of their records")
        parser.add_argument("--max-files", type=int, metavar="N",
                            help="deliver at most N files per stream now (the rest on the next call)")

    def run(self, args: list[str], opts) -> None:
        try:
            site, streams, position = self.preflight(args, opts)
        except UsageError as exc:
            return fail_usage(self, str(exc))
        self.exitcode = self.deliver(site, streams, position, opts)

    def preflight(self, args: list[str], opts) -> tuple[str, list[str], dict]:
        refuse_stray_options(args)
        if len(args) != 1:
            raise UsageError("usage: scrapy changes <site> [--cursor-file FILE | --since CURSOR] "
                             "[--next-cursor-file FILE] [--stream NAME] [--files] [--max-files N]")
        site = args[0]
        if not _SITE_NAME.fullmatch(site):
            raise UsageError(f"{site!r} is not a site name (a spider's name: letters, digits, _ . -)")
        base = site_dir(self.settings, site)
        if not base.is_dir():
            output_dir = Path(self.settings.get("OUTPUT_DIR") or "output")
            known = sorted(p.name for p in output_dir.iterdir() if p.is_dir()) if output_dir.is_dir() else []
            raise UsageError(f"unknown site {site!r}: no folder {base} (sites in {output_dir}: {', '.join(known) or 'none'})")
        if opts.since is not None and opts.cursor_file:
            raise UsageError("--since and --cursor-file both give the cursor: use one")
        if opts.max_files is not None and opts.max_files < 1:
            raise UsageError("--max-files must be 1 or more")
        streams = list(dict.fromkeys(opts.stream or ["jsonl"]))
        if not opts.files and not all(STREAMS[s].records for s in streams):
            raise UsageError(f"--stream {', '.join(s for s in streams if not STREAMS[s].records)}: "
                             f"binary files have no records to print: add --files")
        text = opts.since
        if opts.cursor_file:
            try:
                text = Path(opts.cursor_file).read_text(encoding="utf-8")
            except FileNotFoundError:
                text = None    # a consumer's first call
            except OSError as exc:
                raise UsageError(f"--cursor-file {opts.cursor_file}: {exc.strerror or exc}") from None
        try:
            position = parse_cursor(text, site)
        except CursorError as exc:
            raise UsageError(f"{'--cursor-file ' + opts.cursor_file if opts.cursor_file else '--since'}: {exc}") from None
        return site, streams, position

    def deliver(self, site: str, streams: list[str], position: dict, opts) -> int:
        out = sys.stdout.buffer
        next_position = dict(position)
        summary = []
        try:
            for name in streams:
                stream = STREAMS[name]
                changes = stream_changes(site_dir(self.settings, site, stream.folder), stream, position.get(name),
                                         max_files=opts.max_files)
                records = 0
                for path in changes.new:
                    if opts.files:
                        out.write(f"{path}\n".encode())
                        continue
                    with path.open("rb") as fh:
                        while chunk := fh.read(_COPY_CHUNK):
                            out.write(chunk)
                            records += chunk.count(b"\n")
                out.flush()
                next_position[name] = changes.position
                said = f"{name}: {len(changes.new)} new file(s)" + ("" if opts.files else f", {records} record(s)")
                if changes.left:
                    said += f", {changes.left} more left for the next call"
                if changes.open_files:
                    said += f"; {len(changes.open_files)} still being written"
                summary.append(said)
        except BrokenPipeError:
            # The consumer stopped reading: what it got is not all it was given, so the cursor stays.
            # Nothing more can reach the reader; the bytes still buffered go nowhere at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.stderr.write(f"newsbot: error: stdout closed before every record of {site} was written; "
                             f"the cursor was not moved\n")
            return exitcodes.ERROR
        cursor = format_cursor(site, next_position)
        target = opts.next_cursor_file or opts.cursor_file
        if target:
            try:
                write_atomically(Path(target), cursor + "\n")
            except OSError as exc:
                sys.stderr.write(f"newsbot: error: could not write the next cursor to {target}: "
                                 f"{exc.strerror or exc}\n")
                return exitcodes.ERROR
        sys.stderr.write(f"newsbot: changes of {site}: {'; '.join(summary)}\n")
        if not target:
            sys.stderr.write(f"newsbot: next cursor: {cursor}\n")
        sys.stderr.flush()
        return exitcodes.OK
