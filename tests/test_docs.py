"""The README and docs/ as a new user reads them: every link leads to a file in the
repository, every command can be pasted into bash or zsh, and the cron example runs as
written on a machine where nothing has run before."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path


from newsbot.testing.generated_site import GeneratedSite
from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```(\w*)\s*$")
SHELL_BLOCKS = {"sh", "bash", "shell", "console", "cron"}
_HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")


def relative_links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)   # not inside code
    return [t for t in _LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def test_every_relative_link_leads_to_a_file_in_the_repository():
    broken = []
    for page in PAGES:
        for target in relative_links(page):
            path = (page.parent / target.split("#", 1)[0]).resolve()
            if not path.exists() or not path.is_relative_to(REPO):
                broken.append(f"{page.relative_to(REPO)}: {target}")
    assert broken == []
    assert "cms.md" in relative_links(REPO / "docs" / "adding-an-outlet.md")


def shell_lines(page: Path) -> list[tuple[int, str, str]]:
    """(line number, block language, line) of every command line in a shell code block (a
    here-document's body is data, not commands)."""
    lines, language, heredoc_end = [], None, None
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        fence = _FENCE.match(line.strip())
        if fence:
            language, heredoc_end = (None if language is not None else fence.group(1)), None
            continue
        if heredoc_end is not None:
            heredoc_end = None if line.strip() == heredoc_end else heredoc_end
            continue
        if language in SHELL_BLOCKS:
            lines.append((number, language, line))
            heredoc = _HEREDOC.search(line)
            heredoc_end = heredoc.group(1) if heredoc else None
    return lines


def unquoted_words(line: str) -> list[str]:
    """The words of a shell line as the shell splits them, with every quoted or escaped
    character replaced by ``_`` (they are safe); a comment ends the line."""
    words, word, quote, escaped = [], "", None, False
    for ch in line:
        if escaped:
            word, escaped = word + "_", False
        elif quote:
            if ch == quote:
                quote = None
            else:
                word += "_"
        elif ch in "'\"":
            quote, word = ch, word + "_"
        elif ch == "\\":
            escaped = True
        elif ch.isspace():
            if word:
                words.append(word)
            word = ""
        elif ch == "#" and not word:
            break
        else:
            word += ch
    return words + ([word] if word else [])


def paste_hazards(line: str) -> list[str]:
    """Words zsh would expand as a pattern (``?``, ``[``; zsh stops at "no matches found") or
    a URL bash and zsh would cut at an ``&``; a ``*`` is a glob on purpose, outside URLs."""
    return [w for w in unquoted_words(line) if "?" in w or "[" in w or ("://" in w and ("&" in w or "*" in w))]


def test_the_hazard_check_finds_what_zsh_refuses():
    assert paste_hazards("scrapy crawl gginews -a urls=http://x.kr/news/view.php?idx=1") == [
        "urls=http://x.kr/news/view.php?idx=1"]
    assert paste_hazards("scrapy crawl gginews -a 'urls=http://x.kr/news/view.php?idx=1'") == []
    assert paste_hazards('curl "http://localhost:6800/listjobs.json?project=newsbot"') == []
    assert paste_hazards("curl http://h/a?b=1&c=2 -d x") == ["http://h/a?b=1&c=2"]
    assert paste_hazards("ls output/*.jsonl  # http://x/?y") == []


def test_every_command_in_the_docs_is_safe_to_paste_into_bash_and_zsh():
    hazards = []
    for page in PAGES:
        for number, language, line in shell_lines(page):
            if language == "cron" and line.strip() and not line.lstrip().startswith("#"):
                line = line.split(None, 5)[5]   # the command after the five time fields
            hazards += [f"{page.relative_to(REPO)}:{number}: {word}" for word in paste_hazards(line)]
    assert hazards == []


def cron_example() -> str:
    """The command of the one-outlet cron line in docs/scheduling.md."""
    (line,) = [line for _, language, line in shell_lines(REPO / "docs" / "scheduling.md")
               if language == "cron" and "crawl gginews" in line and not line.lstrip().startswith("#")]
    return line.split(None, 5)[5]


def test_the_cron_example_runs_as_written_on_a_fresh_machine(tmp_path):
    command = cron_example()
    assert command.startswith("cd /srv/newsbot && ")
    # A fresh checkout with its virtualenv and nothing else: no logs/, no output/.
    checkout = tmp_path / "newsbot"
    checkout.mkdir()
    shutil.copy(REPO / "scrapy.cfg", checkout)
    os.symlink(REPO / ".venv", checkout / ".venv")
    site = GeneratedSite(12, seed=4, per_page=10)
    with site.serve() as server:
        # The only changes: where the checkout is, and the outlet served on 127.0.0.1.
        line = command.replace("/srv/newsbot", str(checkout)).replace(
            "crawl gginews", f"crawl gginews -a base_url={server.base_url}", 1)
        result = subprocess.run(["/bin/sh", "-c", line], capture_output=True, text=True, timeout=180,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
    log = (checkout / "logs" / "gginews.log").read_text(encoding="utf-8")
    assert "Crawl report for gginews (incremental, finished" in log
    assert "articles: 12 new" in log
    assert len(list((checkout / "output" / "gginews" / "jsonl").glob("*.jsonl"))) == 1
