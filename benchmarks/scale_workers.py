"""Throughput of 1 -> N cluster workers on one generated site (docs/cluster.md).

For each worker count: a fresh ``redis-server`` on a free loopback port, a generated
family-A site of ``--articles`` articles on 127.0.0.1 (each response held ``--delay``
seconds, standing in for a real server's latency), and N real ``scrapy crawl gginews
-s REDIS_URL=...`` processes started together, each with its own output folder.  Every
run is checked: the union of the workers' JSON Lines must hold every article exactly
once, or the script fails.

Two times per run: *crawl*, from the first worker's ``start_time`` to the last one's
``finish_time`` (Scrapy's stats: the crawl itself), and *wall*, from launch to the last
exit (adds each process's start-up, ~2-5 s of imports on a loaded machine).

    python benchmarks/scale_workers.py --articles 2000 --workers 1,2,3 --delay 0.05

Prints a Markdown table.  Nothing is sent anywhere but 127.0.0.1.
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
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newsbot.testing.generated_site import GeneratedSite  # noqa: E402
from newsbot.testing.redis_server import RedisServer  # noqa: E402

_STAT_TIME = re.compile(r"'(start_time|finish_time)': datetime\.datetime\(([\d, ]+)")


def stat_times(log: str) -> dict[str, datetime]:
    times = {}
    for name, numbers in _STAT_TIME.findall(log):
        times[name] = datetime(*(int(n) for n in numbers.split(",") if n.strip()))
    return times


def run_cluster(workers: int, site: GeneratedSite, base_url: str, folder: Path, concurrency: int) -> dict:
    with RedisServer() as redis:
        launched = time.monotonic()
        processes = []
        for number in range(1, workers + 1):
            output = folder / f"w{number}"
            output.mkdir(parents=True)
            cmd = [sys.executable, "-m", "scrapy", "crawl", "gginews", "-a", f"base_url={base_url}"]
            for name, value in {
                "REDIS_URL": redis.url, "OUTPUT_DIR": output, "NEWSBOT_WORKER_ID": f"w{number}",
                "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": 0, "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
                "LOG_FILE": folder / f"w{number}.log", "LOG_LEVEL": "INFO",
            }.items():
                cmd += ["-s", f"{name}={value}"]
            processes.append(subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        codes = [p.wait(timeout=3600) for p in processes]
        wall = time.monotonic() - launched
    logs = [(folder / f"w{n}.log").read_text(encoding="utf-8", errors="replace") for n in range(1, workers + 1)]
    if any(codes):
        raise SystemExit(f"{workers} worker(s): exit codes {codes}; logs in {folder}")
    ids, per_worker = [], []
    for number in range(1, workers + 1):
        mine = [json.loads(line)["article_id"]
                for path in (folder / f"w{number}" / "gginews" / "jsonl").glob("*.jsonl")
                for line in path.read_text(encoding="utf-8").splitlines()]
        per_worker.append(len(mine))
        ids += mine
    if sorted(map(int, ids)) != list(site.article_ids()):
        raise SystemExit(f"{workers} worker(s): {len(ids)} records, {len(set(ids))} distinct, "
                         f"{site.count} articles: not each exactly once; logs in {folder}")
    times = [stat_times(log) for log in logs]
    crawl = (max(t["finish_time"] for t in times) - min(t["start_time"] for t in times)).total_seconds()
    return {"workers": workers, "crawl": crawl, "wall": wall, "per_worker": per_worker}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,3", help="worker counts to run, comma-separated")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds each response is held (server latency)")
    parser.add_argument("--concurrency", type=int, default=4, help="CONCURRENT_REQUESTS_PER_DOMAIN per worker")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",")]

    site = GeneratedSite(args.articles, seed=2024, delay=args.delay)
    results = []
    with site.serve() as server, tempfile.TemporaryDirectory(prefix="newsbot-scale-") as scratch:
        for workers in counts:
            result = run_cluster(workers, site, server.base_url, Path(scratch) / f"n{workers}", args.concurrency)
            results.append(result)
            print(f"# {workers} worker(s): crawl {result['crawl']:.1f} s, wall {result['wall']:.1f} s, "
                  f"articles per worker {result['per_worker']}", file=sys.stderr, flush=True)

    load = os.getloadavg()
    print(f"{args.articles} articles, {args.delay * 1000:.0f} ms per response, "
          f"CONCURRENT_REQUESTS_PER_DOMAIN={args.concurrency} per worker, {os.cpu_count()} CPU(s), "
          f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}\n")
    print("| workers | crawl (s) | articles/s | speed-up | wall incl. start-up (s) | articles per worker |")
    print("|---:|---:|---:|---:|---:|---|")
    for r in results:
        rate = args.articles / r["crawl"]
        speedup = results[0]["crawl"] / r["crawl"]  # against the first row (1 worker by default)
        print(f"| {r['workers']} | {r['crawl']:.1f} | {rate:.1f} | {speedup:.2f}x | {r['wall']:.1f} | "
              f"{' / '.join(map(str, r['per_worker']))} |")


if __name__ == "__main__":
    main()
