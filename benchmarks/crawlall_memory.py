"""Peak memory of ``scrapy crawlall`` over many outlets, against one outlet alone.

    .venv/bin/python benchmarks/crawlall_memory.py                      # 40 outlets of 60 articles
    .venv/bin/python benchmarks/crawlall_memory.py --outlets 40 --articles 60 --json out.json

Serves N generated family-A outlets (benchmarks/sitegen.py, one process, one port per
outlet on 127.0.0.1), writes a registry file naming them, then measures, each in a fresh
process (peak RSS from ``wait4``, the kernel's figure for that process alone):

* one outlet crawled alone (``scrapy crawl gginews -a base_url=…``: what a cron line per
  outlet costs, N times over);
* ``scrapy crawlall --registry FILE`` over N/4 of the outlets, then over all N, with
  ``CRAWLALL_CONCURRENT_OUTLETS`` (default 8) at once.

Memory should follow the number of outlets running at once, not the number of outlets:
the N/4 and N runs should peak alike, far below N separate processes.  Politeness delays
are off (a local server); everything else is the production configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
sys.path.insert(0, str(REPO))

SETTINGS = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "0", "LOG_LEVEL": "WARNING", "USER_AGENT": "newsbot-benchmark"}


def registry_text(ports: list[int]) -> str:
    from newsbot.registry import Outlet, outlet_toml

    return "\n".join(outlet_toml(Outlet(
        site=f"bench_{n:03d}", name=f"벤치 {n}", base_url=f"http://127.0.0.1:{port}", cms="mcode", home_region="경기도",
        verified=True, evidence=(f"http://127.0.0.1:{port}/news/view.php?idx=1 (benchmarks/sitegen.py)",),
    )) for n, port in enumerate(ports, 1))


def measure(args: list[str], output: Path) -> dict:
    """Run ``scrapy ARGS`` in a fresh process: wall seconds, peak RSS (MB), exit status."""
    command = [sys.executable, "-m", "scrapy", *args, "-s", f"OUTPUT_DIR={output}"]
    for name, value in SETTINGS.items():
        command += ["-s", f"{name}={value}"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1"}
    log = output.with_suffix(".log")
    started = time.perf_counter()
    with log.open("w") as stderr:
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    articles = sum(1 for path in output.glob("*/jsonl/*.jsonl") for _ in path.open(encoding="utf-8"))
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "exit_status": os.waitstatus_to_exitcode(status), "articles": articles, "log": str(log)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outlets", type=int, default=40)
    parser.add_argument("--articles", type=int, default=60, help="articles per outlet (20 per list page)")
    parser.add_argument("--concurrent", type=int, default=8, help="CRAWLALL_CONCURRENT_OUTLETS")
    parser.add_argument("--json", metavar="PATH", help="save the numbers")
    args = parser.parse_args()

    server = subprocess.Popen([sys.executable, str(BENCHMARKS / "sitegen.py"), "--sites", str(args.outlets),
                               "--articles", str(args.articles)], stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        if not line.startswith("PORTS "):
            raise RuntimeError(f"site generator did not start: {line!r}")
        ports = [int(p) for p in line.split()[1].split(",")]
        with tempfile.TemporaryDirectory(prefix="crawlall-memory-") as tmp:
            tmp = Path(tmp)
            registry = tmp / "outlets.toml"
            registry.write_text(registry_text(ports), encoding="utf-8")
            quarter = max(1, args.outlets // 4)
            runs = {
                "one outlet alone (scrapy crawl)": measure(
                    ["crawl", "gginews", "-a", f"base_url=http://127.0.0.1:{ports[0]}", "-a", "site=bench_alone"],
                    tmp / "alone"),
                f"crawlall, {quarter} outlets": measure(
                    ["crawlall", "--registry", str(registry), "--sites", ",".join(f"bench_{n:03d}" for n in range(1, quarter + 1)),
                     "-s", f"CRAWLALL_CONCURRENT_OUTLETS={args.concurrent}"], tmp / "quarter"),
                f"crawlall, {args.outlets} outlets": measure(
                    ["crawlall", "--registry", str(registry), "-s", f"CRAWLALL_CONCURRENT_OUTLETS={args.concurrent}"],
                    tmp / "all"),
            }
            for name, run in runs.items():
                if run["exit_status"] != 0:
                    print(f"{name}: exit status {run['exit_status']}; log:\n{Path(run['log']).read_text()[-3000:]}")
                    sys.exit(1)
                run.pop("log")
    finally:
        server.kill()
        server.wait()

    alone = runs["one outlet alone (scrapy crawl)"]
    print(f"{args.outlets} generated outlets × {args.articles} articles, {args.concurrent} crawled at once; "
          f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    print(f"{'run':34} {'articles':>8} {'seconds':>8} {'peak RSS MB':>12}")
    for name, run in runs.items():
        print(f"{name:34} {run['articles']:>8} {run['seconds']:>8} {run['peak_rss_mb']:>12}")
    separate = round(alone["peak_rss_mb"] * args.outlets, 1)
    print(f"{args.outlets} separate processes (one outlet alone × {args.outlets}): {separate} MB "
          f"({separate / runs[f'crawlall, {args.outlets} outlets']['peak_rss_mb']:.1f}× crawlall's peak)")
    if args.json:
        Path(args.json).write_text(json.dumps({"outlets": args.outlets, "articles": args.articles,
                                               "concurrent": args.concurrent, "runs": runs,
                                               "separate_processes_mb": separate}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
