"""benchmarks/extract_cpu.py runs on a few pages, covers every fixture outlet's articles,
and its output digest depends on the pages only (so equal digests mean equal extraction)."""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "benchmarks" / "extract_cpu.py"


def run(*args: str) -> str:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--pages", "5", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_rows_per_outlet_and_a_digest_independent_of_timing():
    first = run("--rounds", "1", "--fixture-repeat", "1")
    rows = {line[:14].strip(): int(line[14:20]) for line in first.splitlines()[1:-1]}
    # article pages each spider's fixture site serves (firstnews: posts 117 and 118, 118
    # again as wr_id=100, 115 by its short URL, and the deleted post's alert page twice)
    expected = {"generated A": 5, "breaknews_gn": 3, "firstnews": 6, "gginews": 5,
                "idomin": 3, "newsstep": 3, "voicekorea": 3}
    # (fixture outlets added later get rows of their own)
    assert {name: rows.get(name) for name in expected} == expected
    digest = re.fullmatch(r"outputs sha256 ([0-9a-f]{64})", first.splitlines()[-1]).group(1)
    second = run("--rounds", "2", "--fixture-repeat", "2")
    assert second.splitlines()[-1] == f"outputs sha256 {digest}"
