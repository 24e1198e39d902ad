"""``scrapy outlets``: the outlet registry, listed, checked, documented.

    scrapy outlets                                 # the verified outlets (what crawlall takes)
    scrapy outlets --region 경남 --include-unverified
    scrapy outlets --check [--registry FILE]       # every problem, one line each; exit 2 if any
    scrapy outlets --write-docs docs/outlets.md    # regenerate the table in that document

Selection options are ``scrapy crawlall``'s: this shows what a crawlall would crawl.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newsbot import exitcodes, registry
from newsbot.commands.crawl import fail_usage, own_usage_errors, refuse_stray_options
from newsbot.commands.crawlall import add_selection_options, registry_outlets, select_outlets, selection_from_options


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--check] [--write-docs FILE] [--region 시·도] [--cms CMS] [--sites A,B] [--registry FILE]"

    def short_desc(self) -> str:
        return "List, check or document the outlet registry"

    def long_desc(self) -> str:
        return ("Lists the registry outlets a selection takes (as scrapy crawlall would), checks the whole "
                "registry (--check: one line per problem, exit 2) or regenerates the outlets table of a "
                "document (--write-docs docs/outlets.md). See docs/outlets.md.")

    def add_options(self, parser) -> None:
        super().add_options(parser)
        own_usage_errors(parser)   # every usage error: one newsbot: error: line, exit 2
        add_selection_options(parser)
        parser.add_argument("--check", action="store_true",
                            help="check the whole registry (ids, URLs, CMS, regions, evidence); exit 2 on any problem")
        parser.add_argument("--write-docs", metavar="FILE",
                            help="rewrite the generated outlets table in FILE (docs/outlets.md)")

    def run(self, args, opts) -> None:
        try:
            refuse_stray_options(args)
            if args:
                raise UsageError(f"outlets takes no arguments ({' '.join(args)}): use --sites")
            if opts.check:
                return self.check(opts)
            if opts.write_docs:
                return self.write_docs(opts)
            outlets, _ = registry_outlets(opts)
            chosen = select_outlets(outlets, selection_from_options(opts))
        except UsageError as exc:
            return fail_usage(self, str(exc))
        for outlet in chosen:
            status = "verified" if outlet.scheduled else "unverified"
            print(f"{outlet.site}\t{outlet.cms}\t{outlet.home_region or '-'}\t{outlet.base_url or '-'}\t{status}\t{outlet.name}")

    def check(self, opts) -> None:
        source = opts.registry or f"newsbot/data/{registry.REGISTRY_FILE}"
        try:
            outlets = registry.load(opts.registry)
        except registry.RegistryError as exc:
            problems = exc.problems
        else:
            problems = registry.validate(outlets)
        for problem in problems:
            sys.stderr.write(f"newsbot: error: {source}: {problem}\n")
        if problems:
            self.exitcode = exitcodes.USAGE
            return
        print(f"{source}: {len(outlets)} outlets, {sum(o.scheduled for o in outlets)} verified, no problems")

    def write_docs(self, opts) -> None:
        outlets, _ = registry_outlets(opts)
        path = Path(opts.write_docs)
        try:
            document = path.read_text(encoding="utf-8")
            path.write_text(registry.docs_with_table(document, outlets), encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise UsageError(f"--write-docs {path}: {exc}") from None
        print(f"{path}: table of {len(outlets)} outlets written")
