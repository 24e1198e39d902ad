"""``scrapy merge <site> [DIR ...]``: one deduplicated JSON Lines file and one CDXJ index
from the output folders of a cluster's workers (see newsbot/distributed/merge.py)."""

from __future__ import annotations

from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newsbot import exitcodes
from newsbot.commands.crawl import own_usage_errors, refuse_stray_options
from newsbot.distributed.merge import merge_outputs


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[options] <site> [OUTPUT_DIR ...]"

    def short_desc(self) -> str:
        return "Merge workers' JSON Lines (each article once) and index all their WARCs in one CDXJ"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        own_usage_errors(parser)   # every usage error: one newsbot: error: line, exit 2
        parser.add_argument("-o", "--output", metavar="DIR",
                            help="where to write (default: OUTPUT_DIR/<site>/merged)")

    def run(self, args: list[str], opts) -> None:
        refuse_stray_options(args)
        if not args:
            raise UsageError("usage: scrapy merge <site> [OUTPUT_DIR ...]")
        site = args[0]
        inputs = [Path(a) for a in args[1:]] or [Path(self.settings.get("OUTPUT_DIR"))]
        missing = [str(p) for p in inputs if not (p / site).is_dir()]
        if missing:
            raise UsageError(f"no {site}/ output in: {', '.join(missing)}")
        output = Path(opts.output) if opts.output else Path(self.settings.get("OUTPUT_DIR")) / site / "merged"
        try:
            result = merge_outputs(inputs, site, output)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        print(f"{result.records} record(s) from {result.inputs['jsonl']} JSON Lines file(s) "
              f"({result.duplicates} duplicate(s) dropped, {result.bad_lines} bad line(s) skipped) -> {result.jsonl}")
        if result.cdxj:
            print(f"{result.inputs['warc']} WARC file(s) indexed ({result.damaged_warcs} damaged) -> {result.cdxj}")
        if result.bad_lines or result.damaged_warcs:
            self.exitcode = exitcodes.ERROR
