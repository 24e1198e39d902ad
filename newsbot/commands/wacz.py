"""``scrapy wacz <site> [--run RUN_ID|REPORT|STAMP] [--since DATE] [--until DATE] [-o OUT.wacz]``

Packs a site's WARC files into one WACZ (Web Archive Collection Zipped): the WARCs as
they are, a CDXJ index, a pages list and ``datapackage.json`` with a SHA-256 digest of
every member.  ReplayWeb.page opens it as it is; pywb adds it to a collection
(``wb-manager add --unpack-wacz``).  The packaging is py-wacz's (``wacz create``, the
Webrecorder tool), run as a subprocess: its command line is its documented interface, and
its imports (frictionless, a patch of cdxj-indexer's record list) stay out of this process.

Which WARC files (``OUTPUT_DIR/<site>/warc/``), each taken whole:

* default: all of them;
* ``--since``/``--until YYYY-MM-DD`` (UTC, both days included): the files *started* on those
  days, by the UTC time in their names (``<site>-<UTC time>-<serial>.warc.gz``).  Records are
  not filtered: a file holds records until it is closed, so a file started at 23:59 may
  hold some of the next day's;
* ``--run``: the WARC files of one crawl run, named by its run id
  (``20261122T014351Z-5f3a9c01``, the report's ``run_id``), by its crawl report
  (``OUTPUT_DIR/<site>/reports/<name>.json``, as a path or a name) or by a UTC time stamp of
  any of its files (``20261122T014351Z``).  A run id selects exactly the files whose
  ``warcinfo`` record names it, so it also finds the files of a run killed before it wrote
  a report (finished by the next run).  A report with a manifest (``files``) selects the
  WARC files listed there.  A report from before run ids, or a stamp, selects the files
  started between the start and the end of its report, to the second (a run's files do not
  share one stamp: each is named when it is opened).

Pages list: the article records of the JSON Lines files (``OUTPUT_DIR/<site>/jsonl/``)
whose ``warc_record_id`` is in a selected WARC file, with the record's URL, its
``WARC-Date`` and the article's title (passed to py-wacz with ``--pages``, which keeps
those that match a record).  When no article record points into the selection (JSON Lines
removed, or files from before the records), py-wacz detects pages itself
(``--detect-pages``: HTML pages that other requests name as ``Referer``, i.e. list pages).

The WACZ is written under a temporary name beside its target and renamed when whole:
``OUTPUT_DIR/<site>/wacz/<site>-<UTC time>-<serial>.wacz`` (a new name taken with O_EXCL,
as every output file's, never replacing one), or ``-o FILE.wacz`` (replaced if it exists).  ``--validate`` runs ``wacz validate`` on
it before the rename.  Bad input (an unknown site, no WARC selected, a malformed date)
ends the command before anything is written: one ``newsbot: error: ...`` line, exit
status 2; a failure of py-wacz itself: exit status 1, nothing left behind.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newsbot.commands.crawl import fail_usage, own_usage_errors, refuse_stray_options
from newsbot.extensions.manifest import RUN_ID
from newsbot.output import create_unique, site_dir
from newsbot.warc import cdxj_path

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_STAMP = r"(?P<stamp>\d{8}T\d{6}Z)"
STAMP_RE = re.compile(r"\d{8}T\d{6}Z")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SITE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
# the warc_filename of a JSON Lines record, found without parsing the (long) line
_WARC_FILENAME = re.compile(r'"warc_filename":\s*"([^"]+)"')
# py-wacz's console script, run with this interpreter (the venv it is installed in);
# ``python -m wacz`` would drop main()'s return value, so a failed validation exit 0
PY_WACZ = "import sys; from wacz.main import main; sys.exit(main())"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Articles"}
PAGES_MEMBER = "pages/pages.jsonl"


def warn(message: str) -> None:
    sys.stderr.write(f"newsbot: warning: {message}\n")
    sys.stderr.flush()


def parse_stamp(stamp: str) -> datetime:
    return datetime.strptime(stamp, STAMP_FORMAT).replace(tzinfo=timezone.utc)


def parse_day(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        if not _DAY.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option}: not a date (YYYY-MM-DD): {value!r}") from None


# -- WARC files ---------------------------------------------------------------------
@dataclass(frozen=True)
class WarcFile:
    path: Path
    started: datetime | None   # the UTC time in its name; None: not named by newsbot
    worker: str                # a cluster worker's tag in the name, "" for a single process

    @property
    def name(self) -> str:
        return self.path.name


def site_warcs(warc_dir: Path, site: str) -> list[WarcFile]:
    """Every WARC file in ``warc_dir``, by name, with the time and worker its name carries."""
    named = re.compile(re.escape(site) + "-" + _STAMP + r"(?:-(?P<worker>.+))?-\d{5}\.warc(?:\.gz)?")
    found = []
    for path in sorted(warc_dir.iterdir()):
        if not path.is_file() or not path.name.endswith((".warc.gz", ".warc")):
            continue
        match = named.fullmatch(path.name)
        try:
            started = parse_stamp(match["stamp"]) if match else None
        except ValueError:   # 20241399T...: shaped like a stamp, not a time
            started = None
        found.append(WarcFile(path, started, (match["worker"] or "") if started else ""))
    return found


def select_days(warcs: list[WarcFile], since: date | None, until: date | None) -> list[WarcFile]:
    return [w for w in warcs if w.started is not None and (since is None or w.started.date() >= since)
            and (until is None or w.started.date() <= until)]


def warn_undated(warcs: list[WarcFile]) -> None:
    undated = [w.name for w in warcs if w.started is None]
    if undated:
        warn(f"{len(undated)} WARC file(s) left out: no <site>-<UTC time>-<serial> name to select them by "
             f"({', '.join(undated[:3])}{', ...' if len(undated) > 3 else ''})")


def readable_warcs(warcs: list[WarcFile]) -> list[WarcFile]:
    """Those that start with a WARC record; the others are named once and left out (py-wacz
    would pack any bytes under a .warc.gz name, unindexed)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    readable = []
    for warc in warcs:
        try:
            with warc.path.open("rb") as fh:
                first = next(iter(ArchiveIterator(fh)), None)
            # warcio reads any line-based text as the older ARC format: only WARC counts here
            ok, reason = (first is not None and first.format.startswith("warc")), "no WARC record at its start"
        except (ArchiveLoadFailed, OSError, ValueError, EOFError) as exc:
            ok, reason = False, " ".join(str(exc).split()) or type(exc).__name__
        if ok:
            readable.append(warc)
        else:
            warn(f"{warc.name} left out: not a readable WARC file ({reason})")
    return readable


# -- runs ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    report: Path | None        # None: a run found by its id alone (killed before its report)
    started: datetime | None
    finished: datetime | None
    worker: str
    run_id: str | None = None
    files: frozenset[str] | None = None   # the WARC files it wrote, when known exactly

    def holds(self, warc: WarcFile) -> bool:
        if self.files is not None:
            return warc.name in self.files
        # Report times are cut to the second, as are the stamps in file names: both ends count.
        return (warc.started is not None and warc.worker == self.worker
                and self.started <= warc.started <= self.finished)

    @property
    def name(self) -> str:
        return self.report.name if self.report is not None else f"run {self.run_id}"


def warcinfo_run_id(path: Path) -> str | None:
    """The run id in a WARC file's warcinfo record (``newsbot-run-id``), if it has one."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        with path.open("rb") as fh:
            first = next(iter(ArchiveIterator(fh)), None)
            if first is None or first.rec_type != "warcinfo":
                return None
            fields = first.content_stream().read(65536).decode("utf-8", "replace")
    except (ArchiveLoadFailed, OSError, ValueError, EOFError):
        return None
    for line in fields.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "newsbot-run-id":
            return value.strip()
    return None


def files_of_run(run_id: str, warcs: list[WarcFile]) -> frozenset[str]:
    return frozenset(w.name for w in warcs if warcinfo_run_id(w.path) == run_id)


def read_run(report: Path, site: str) -> Run:
    named = re.fullmatch(re.escape(site) + "-" + _STAMP + r"(?:-(?P<worker>.+))?-\d{5}\.json", report.name)
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
        started = datetime.fromisoformat(data["started_at"]).astimezone(timezone.utc)
        finished = datetime.fromisoformat(data["finished_at"]).astimezone(timezone.utc)
        report_site = data["site"]
        run_id = data.get("run_id")
        listed = data.get("files")
        files = None if listed is None else frozenset(
            Path(e["path"]).name for e in listed if e.get("kind") == "warc")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"--run {report}: not a crawl report ({type(exc).__name__}: {exc})".replace("\n", " ")) from None
    if report_site != site:
        raise UsageError(f"--run {report}: a report of site {report_site!r}, not {site!r}")
    return Run(report, started, finished, (named["worker"] or "") if named else "", run_id, files)


def find_run(value: str, reports_dir: Path, site: str, warcs: list[WarcFile]) -> Run:
    """``--run``: a report's path or its name under ``reports_dir``, a UTC stamp in the run,
    or a run id."""
    path = Path(value)
    if not path.is_file() and "/" not in value:
        path = next((c for c in (reports_dir / value, reports_dir / f"{value}.json") if c.is_file()), path)
    if path.is_file():
        return read_run(path, site)
    if STAMP_RE.fullmatch(value):
        try:
            moment = parse_stamp(value)
        except ValueError:
            raise UsageError(f"--run {value}: not a UTC time (YYYYMMDDTHHMMSSZ)") from None
        reports = sorted(reports_dir.glob("*.json")) if reports_dir.is_dir() else []
        runs = []
        for report in reports:
            try:
                run = read_run(report, site)
            except UsageError as exc:   # one unreadable report does not hide the others
                warn(str(exc).removeprefix("--run "))
                continue
            if run.started <= moment <= run.finished:
                runs.append(run)
        if not runs:
            raise UsageError(f"--run {value}: no crawl report in {reports_dir} covers that time (a run killed "
                             f"before its end wrote none): select its WARC files with --since/--until")
        if len(runs) > 1:
            raise UsageError(f"--run {value}: {len(runs)} runs were under way then "
                             f"({', '.join(r.report.name for r in runs)}): name one report")
        return runs[0]
    if RUN_ID.fullmatch(value):
        # A run id: its report if there is one, and the WARC files whose warcinfo names it
        # (which a run killed before its report also has).
        files = files_of_run(value, warcs)
        for report in sorted(reports_dir.glob("*.json")) if reports_dir.is_dir() else []:
            try:
                named = json.loads(report.read_text(encoding="utf-8")).get("run_id") == value
            except (OSError, ValueError, AttributeError):
                continue
            if named:
                run = read_run(report, site)
                return Run(run.report, run.started, run.finished, run.worker, value, files)
        if files:
            return Run(None, None, None, "", value, files)
    raise UsageError(f"--run {value}: no such crawl report or run (a report file or its name in {reports_dir}, "
                     f"a run id like 20261122T014351Z-5f3a9c01, or a UTC time stamp like 20261122T014351Z)")


# -- pages --------------------------------------------------------------------------
def article_pages(jsonl_dir: Path, warcs: list[WarcFile]) -> tuple[list[dict], int]:
    """pages.jsonl entries for the article records that point into ``warcs``; and how many
    such records name a WARC record that could not be found (damaged or missing)."""
    from newsbot.warc.scan import ArchiveDamage, iter_record_headers

    by_file: dict[str, dict[str, str | None]] = {w.name: {} for w in warcs}   # file -> record id -> title
    for path in sorted(jsonl_dir.glob("*.jsonl")) if jsonl_dir.is_dir() else []:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                named = _WARC_FILENAME.search(line)
                if not named or named.group(1) not in by_file:
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    continue    # a line cut by a killed run: the crawl's own readers skip it too
                record_id = record.get("warc_record_id")
                if record_id and record.get("warc_filename") in by_file:
                    by_file[record["warc_filename"]].setdefault(record_id, record.get("title"))

    def damaged(damage: ArchiveDamage) -> None:
        warn(str(damage))

    pages, missing = [], 0
    for warc in warcs:
        wanted = by_file[warc.name]
        if not wanted:
            continue
        for _, _, _, headers in iter_record_headers([warc.path], on_damage=damaged):
            record_id = headers.get("warc-record-id")
            if record_id not in wanted:
                continue
            title = wanted.pop(record_id)
            page = {"id": record_id.strip("<>").removeprefix("urn:uuid:"),
                    "url": headers.get("warc-target-uri"), "ts": headers.get("warc-date")}
            if title:
                page["title"] = title
            pages.append(page)
            if not wanted:
                break
        missing += len(wanted)
    return pages, missing


# -- packing ------------------------------------------------------------------------
def run_py_wacz(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PY_WACZ, *args], capture_output=True, text=True)


def last_words(result: subprocess.CompletedProcess) -> str:
    """py-wacz's last word: a traceback's last line (stderr), else its last printed line."""
    for stream in (result.stderr, result.stdout):
        lines = [line.strip() for line in stream.splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return f"exit status {result.returncode}"


def publish_new(partial: Path, directory: Path, site: str) -> Path:
    """Give the finished ``partial`` a new name, ``<site>-<UTC time>-<serial>.wacz``: the name
    is taken with O_EXCL (as every output file's is), then the WACZ renamed onto it."""
    fd, target = create_unique(directory, site, ".wacz")
    os.close(fd)
    os.replace(partial, target)
    return target


def wacz_page_count(path: Path) -> int:
    with zipfile.ZipFile(path) as wacz:
        if PAGES_MEMBER not in wacz.namelist():
            return 0
        lines = wacz.read(PAGES_MEMBER).decode("utf-8").splitlines()
    return sum(1 for line in lines[1:] if line.strip())   # the first line is the list's header


def human_size(size: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return ""


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False   # packs files: no crawl, no reactor

    def syntax(self) -> str:
        return "[options] <site>"

    def short_desc(self) -> str:
        return "Pack a site's WARC files into a WACZ (index, pages list, digests) with py-wacz"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        own_usage_errors(parser)   # every usage error: one newsbot: error: line, exit 2
        parser.add_argument("--run", metavar="RUN",
                            help="only one crawl run: its run id (the report's run_id, e.g. "
                                 "20261122T014351Z-5f3a9c01), its report (path or name in reports/) or a "
                                 "UTC stamp of one of its files, e.g. 20261122T014351Z")
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="only WARC files started on or after this UTC day")
        parser.add_argument("--until", metavar="YYYY-MM-DD", help="only WARC files started on or before this UTC day")
        parser.add_argument("-o", "--output", metavar="FILE.wacz",
                            help="write here (replaced if it exists); default "
                                 "OUTPUT_DIR/<site>/wacz/<site>-<UTC time>-<serial>.wacz")
        parser.add_argument("--validate", action="store_true",
                            help="run py-wacz's validation on the WACZ before it is given its name")

    def run(self, args: list[str], opts) -> None:
        try:
            site, warcs, target = self.preflight(args, opts)
        except UsageError as exc:
            return fail_usage(self, str(exc))
        self.exitcode = self.pack(site, warcs, target, opts.validate)

    def preflight(self, args: list[str], opts) -> tuple[str, list[WarcFile], Path | None]:
        """Everything checked before anything is written: the site, the selection, the target."""
        refuse_stray_options(args)
        if len(args) != 1:
            raise UsageError("usage: scrapy wacz <site> [--run RUN] [--since YYYY-MM-DD] "
                             "[--until YYYY-MM-DD] [-o FILE.wacz]")
        site = args[0]
        output_dir = Path(self.settings.get("OUTPUT_DIR") or "output")
        warc_dir = site_dir(self.settings, site, "warc")
        if not _SITE_NAME.fullmatch(site):
            raise UsageError(f"{site!r} is not a site name (a spider's name: letters, digits, _ . -)")
        if not warc_dir.is_dir():
            known = sorted(p.parent.name for p in output_dir.glob("*/warc") if p.is_dir())
            raise UsageError(f"unknown site {site!r}: no folder {warc_dir} "
                             f"(sites with WARC files in {output_dir}: {', '.join(known) or 'none'})")
        since, until = parse_day("--since", opts.since), parse_day("--until", opts.until)
        if since and until and since > until:
            raise UsageError(f"--since {since} is after --until {until}")
        if opts.run and (since or until):
            raise UsageError("--run selects one run: it cannot be combined with --since/--until")
        warcs = site_warcs(warc_dir, site)
        unfinished = sorted(p.name for p in warc_dir.glob("*.warc.gz.open"))
        if unfinished:   # never packed: still growing, or a killed run's (finished by the next crawl)
            warn(f"{len(unfinished)} WARC file(s) still being written left out ({', '.join(unfinished[:3])}"
                 f"{', ...' if len(unfinished) > 3 else ''}): a run under way, or a killed one the next crawl finishes")
        if not warcs:
            raise UsageError(f"no WARC files in {warc_dir}")
        if opts.run or since or until:
            warn_undated(warcs)
        if opts.run:
            run = find_run(opts.run, site_dir(self.settings, site, "reports"), site, warcs)
            if run.files is None and run.run_id:   # a report without a manifest: its files name the run
                run = Run(run.report, run.started, run.finished, run.worker, run.run_id,
                          files_of_run(run.run_id, warcs) or None)
            warcs = [w for w in warcs if run.holds(w)]
            if not warcs:
                when = (f" ({run.started:%Y-%m-%d %H:%M:%S} to {run.finished:%H:%M:%S} UTC)"
                        if run.started and run.finished else "")
                raise UsageError(f"--run {opts.run}: the run of {run.name}{when} left no WARC file in {warc_dir}")
        elif since or until:
            warcs = select_days(warcs, since, until)
            if not warcs:
                raise UsageError(f"no WARC file of {site} was started between {since or 'the first'} and "
                                 f"{until or 'the last'} (UTC days, from the times in the file names)")
        warcs = readable_warcs(warcs)
        if not warcs:
            raise UsageError(f"none of the selected files in {warc_dir} is a readable WARC file")
        target = None
        if opts.output:
            target = Path(opts.output)
            if target.suffix != ".wacz":
                raise UsageError(f"-o {opts.output}: a WACZ file name ends in .wacz (replay tools go by it)")
            if target.is_dir():
                raise UsageError(f"-o {opts.output}: is a folder")
        return site, warcs, target

    def pack(self, site: str, warcs: list[WarcFile], target: Path | None, validate: bool) -> int:
        began = time.monotonic()
        directory = target.parent if target is not None else site_dir(self.settings, site, "wacz")
        for warc in warcs:
            if not cdxj_path(warc.path).exists():
                warn(f"{warc.name} has no .cdxj beside it (written with WARC_CDXJ=0 or by an older newsbot): "
                     f"py-wacz indexes it")
        pages, missing = article_pages(site_dir(self.settings, site, "jsonl"), warcs)
        if missing:
            warn(f"{missing} article record(s) name a WARC record not found in their file: not in the pages list")
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd, partial_name = tempfile.mkstemp(dir=directory, prefix=f".{site}-", suffix=".wacz.part")
        except OSError as exc:
            fail_usage(self, f"cannot write a WACZ in {directory}: {exc.strerror or exc}")
            return self.exitcode
        os.close(fd)
        partial = Path(partial_name)
        os.chmod(partial, 0o644)   # as every output file (mkstemp makes it private)
        try:
            with tempfile.TemporaryDirectory(prefix="newsbot-wacz-") as scratch:
                options = ["--title", f"{site}: {len(warcs)} WARC file(s)",
                           "--desc", f"{site} as archived by newsbot: {', '.join(w.name for w in warcs)}"]
                if pages:
                    pages_file = Path(scratch) / "pages.jsonl"
                    with pages_file.open("w", encoding="utf-8") as out:
                        for entry in (PAGES_HEADER, *pages):
                            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
                    options += ["--pages", str(pages_file)]
                else:
                    warn("no article record points into these WARC files: py-wacz detects the pages (list pages)")
                    options.append("--detect-pages")
                created = run_py_wacz("create", "-o", str(partial), *options, *(str(w.path) for w in warcs))
            if created.returncode != 0:
                sys.stderr.write(f"newsbot: py-wacz failed to pack {site}: {last_words(created)}\n")
                return 1
            if validate:
                checked = run_py_wacz("validate", "-f", str(partial))
                if checked.returncode != 0 or "Validation succeeded" not in checked.stdout:
                    sys.stderr.write(f"newsbot: the WACZ of {site} failed py-wacz's validation: {last_words(checked)}\n")
                    return 1
            page_count = wacz_page_count(partial)
            if target is not None:
                os.replace(partial, target)
                final = target
            else:
                final = publish_new(partial, directory, site)
        finally:
            partial.unlink(missing_ok=True)
        if pages and page_count != len(pages):
            warn(f"py-wacz matched {page_count} of {len(pages)} article pages to records")
        size = sum(w.path.stat().st_size for w in warcs)
        print(f"WACZ of {site}: {final} ({len(warcs)} WARC file(s), {human_size(size)}; {page_count} page(s)"
              f"{'' if pages else ' detected'}{'; validated' if validate else ''}; {time.monotonic() - began:.1f} s)")
        return 0
