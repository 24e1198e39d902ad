"""newsbot's full pipeline against bare Scrapy, side by side, on one generated outlet.

    .venv/bin/python benchmarks/pipeline_vs_bare.py                  # 5,000 articles
    .venv/bin/python benchmarks/pipeline_vs_bare.py --articles 50000 # peak RSS must not grow
    .venv/bin/python benchmarks/pipeline_vs_bare.py --articles 500 --generic   # + the generic spider

One run: serve a generated family-A outlet of N articles (benchmarks/sitegen.py, its
own process on 127.0.0.1), crawl it (a) with a bare Scrapy spider that only follows
links and (b) with ``gginews`` and every newsbot component (extraction, normalization,
dedupe, WARC, JSON Lines), both at the same concurrency and with politeness delays off;
then re-parse the archive (b) wrote.  Each crawl runs in a fresh process, so CPU time
and peak RSS are that crawl's alone.  Prints a table; ``--json PATH`` saves the numbers.

(b) runs with ``REQUISITES=none``, as every run did before page requisites were
archived, so its numbers stay comparable with earlier runs.  ``--requisites`` makes the
site serve what its article pages name (a photo per article, a shared stylesheet with an
@import, a font and a logo: benchmarks/sitegen.py) and adds (c), the same newsbot crawl
with ``REQUISITES=images+css``: what archiving them costs, in pages/s and in bytes per
article.

Numbers are only comparable within one run on one machine: run it on an idle machine,
and read the ratio, not the absolute rates, when something else is running.

The peer, in the same run on the same site: what a user would assemble instead of newsbot,
Scrapy + trafilatura (``bare_extraction`` with metadata) + warcio's ``WARCWriter``
(benchmarks/stack_spider.py); its column prints CPU per article and throughput, and for
it and newsbot the body-extraction quality on the generated pages (recall and precision
of each article's known paragraphs, benchmarks/sitegen.py ``expected_body``).
``--no-stack`` leaves it out (it is the slowest column).

``--generic`` adds (c): the same outlet crawled by the generic spider (newsbot/cms/generic.py),
which knows nothing of the CMS: it learns the article URL shape from the list pages (given
as its start pages: it does not page) and extracts every field with the later layers
(structured metadata, labelled text, trafilatura for the body).  Its column is the cost of
an outlet on an unknown CMS beside the known-family path of (b).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent


# -- the crawl, in a child process -----------------------------------------------------------
def _common_settings(concurrency: int) -> dict:
    from newsbot import settings as newsbot_settings

    return {
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        # Scrapy-level tuning newsbot does is given to the baseline too: the ratio is then
        # what newsbot's own work costs, not what a Scrapy default costs.
        "CONCURRENT_ITEMS": getattr(newsbot_settings, "CONCURRENT_ITEMS", 100),
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": True,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "USER_AGENT": "newsbot-benchmark",
    }


def _cpu_seconds(who=resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_child(mode: str, base_url: str, output_dir: str, concurrency: int, result_path: str,
              overrides: dict | None = None, start_urls: str | None = None) -> None:
    """Crawl once in this process and write what was measured to ``result_path``."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings
    from scrapy.utils.project import get_project_settings

    spider_args = {"base_url": base_url}
    if mode in ("fetch", "bare"):
        sys.path.insert(0, str(BENCHMARKS))
        from bare_spider import BareSpider

        settings = Settings(_common_settings(concurrency))
        spidercls, articles_stat = BareSpider, "bare/articles"
        if mode == "fetch":
            spider_args["fetch_only"] = "1"
    elif mode == "stack":
        sys.path.insert(0, str(BENCHMARKS))
        from stack_spider import StackSpider

        settings = Settings({**_common_settings(concurrency), "FEEDS": {
            str(Path(output_dir) / "stack.jsonl"): {"format": "jsonlines", "encoding": "utf-8"}}})
        spidercls, articles_stat = StackSpider, "stack/articles"
        spider_args["output_dir"] = output_dir
    else:
        from newsbot.cms.generic import GenericSpider
        from newsbot.spiders.registry import GginewsSpider

        settings = get_project_settings()
        settings.setdict({**_common_settings(concurrency), "OUTPUT_DIR": output_dir, **(overrides or {})},
                         priority="cmdline")
        base = GginewsSpider
        if mode == "generic":
            base = GenericSpider
            spider_args.update(site="gginews", start_urls=start_urls)

        class TimedSpider(base):
            """gginews, timing parse_article: HTML parse plus page object, per article."""

            extraction_seconds = 0.0

            def parse_article(self, response):
                # CPU time of this thread: what extraction costs, whatever else the machine runs
                started = time.thread_time()
                results = list(super().parse_article(response))
                TimedSpider.extraction_seconds += time.thread_time() - started
                yield from results

        spidercls, articles_stat = TimedSpider, "newsbot/items_written"
        # (b) as measured before requisites existed; (c) with them (see the module docstring)
        settings.set("REQUISITES", "images+css" if mode == "full-req" else "none", priority="cmdline")

    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spidercls)
    # From scheduling the crawl to the reactor stopping: start-up of components, every
    # page, and what closing costs (fsync, the CDXJ index of the last WARC), not imports.
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    children_started = _cpu_seconds(resource.RUSAGE_CHILDREN)
    process.crawl(crawler, **spider_args)
    process.start()
    seconds, main_cpu_seconds = time.perf_counter() - started, _cpu_seconds() - cpu_started
    # any worker processes a crawl starts are this process's children, joined when the
    # crawl ends: their CPU time is the crawl's too
    children_cpu_seconds = _cpu_seconds(resource.RUSAGE_CHILDREN) - children_started

    stats = crawler.stats.get_stats()
    result = {
        "mode": mode,
        "seconds": seconds,
        "cpu_seconds": main_cpu_seconds + children_cpu_seconds,
        "main_cpu_seconds": main_cpu_seconds,
        "workers_cpu_seconds": children_cpu_seconds,
        "workers_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "pages": stats.get("response_received_count", 0),
        "articles": stats.get(articles_stat, 0),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "finish_reason": stats.get("finish_reason"),
        "errors": stats.get("log_count/ERROR", 0),
    }
    if mode in ("full", "full-req"):
        requisites = sum(v for k, v in stats.items() if k.startswith("newsbot/requisites/fetched/"))
        result["requisites"] = requisites
        # pages: list and article pages (and robots.txt), without the requisites
        result["pages"] -= requisites
        result["responses"] = stats.get("response_received_count", 0)
        result["warc_bytes"] = stats.get("newsbot/warc_bytes", 0)
        result["requisite_bytes_archived"] = stats.get("newsbot/requisites/bytes_archived", 0)
        result["requisite_revisits"] = stats.get("newsbot/requisites/revisits", 0)
        result["requisites_failed"] = sum(v for k, v in stats.items() if k.startswith("newsbot/requisites/failed/"))
    if mode in ("full", "full-req", "generic"):
        result["extraction_seconds"] = spidercls.extraction_seconds
        result["items_duplicate"] = stats.get("newsbot/items_duplicate", 0)
        result["extraction_warnings"] = stats.get("newsbot/items_with_extraction_warnings", 0)
    Path(result_path).write_text(json.dumps(result))


# -- the orchestra -----------------------------------------------------------------------------
def _proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class GeneratedSite:
    """benchmarks/sitegen.py in its own process; ``base_url`` once it listens."""

    def __init__(self, articles: int, requisites: bool = False):
        self.articles = articles
        self.process = subprocess.Popen(
            [sys.executable, str(BENCHMARKS / "sitegen.py"), "--articles", str(articles),
             *(["--requisites"] if requisites else [])],
            stdout=subprocess.PIPE, text=True,
        )
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.process.kill()
            raise RuntimeError(f"site generator did not start: {line!r}")
        self.base_url = f"http://127.0.0.1:{int(line.split()[1])}"

    def cpu_seconds(self) -> float:
        return _proc_cpu_seconds(self.process.pid)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _child_env() -> dict:
    # The checkout this script lives in, whatever newsbot the venv has installed.
    return {**os.environ, "SCRAPY_SETTINGS_MODULE": "newsbot.settings",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}


def crawl(mode: str, site: GeneratedSite, workdir: Path, concurrency: int, overrides: list[str] = (),
          timeout: float = 7200) -> dict:
    output_dir = workdir / mode
    shutil.rmtree(output_dir, ignore_errors=True)
    result_path = workdir / f"{mode}.json"
    server_cpu = site.cpu_seconds()
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--base-url", site.base_url,
           "--output-dir", str(output_dir), "--concurrency", str(concurrency), "--result", str(result_path)]
    for override in overrides:
        cmd += ["--set", override]
    if mode == "generic":  # its start pages: every list page (the generic spider does not page)
        pages = -(-site.articles // 20)
        cmd += ["--start-urls", ",".join(f"{site.base_url}/news/list.php?page={p}" for p in range(1, pages + 1))]
    subprocess.run(cmd, cwd=REPO, env=_child_env(), check=True, timeout=timeout)
    result = json.loads(result_path.read_text())
    result["server_cpu_share"] = (site.cpu_seconds() - server_cpu) / result["seconds"]
    result["output_dir"] = str(output_dir)
    return result


def reparse(warc_dir: Path, workdir: Path, timeout: float = 7200) -> dict:
    """``scrapy reparse gginews WARC_DIR``, the command as a user runs it (start-up included;
    by default one process per usable CPU, see newsbot/reparse/shards.py).  CPU time
    is the parent's and its children's; peak RSS is the largest single process's."""
    output_dir = workdir / "reparse"
    shutil.rmtree(output_dir, ignore_errors=True)
    cmd = [sys.executable, "-m", "scrapy", "reparse", "gginews", str(warc_dir),
           "-s", f"OUTPUT_DIR={output_dir}", "-s", "LOG_LEVEL=WARNING"]
    started = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=REPO, env=_child_env())
    deadline = started + timeout
    while True:  # wait4: this child's own CPU time and peak RSS
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            process.kill()
            raise TimeoutError(f"scrapy reparse did not finish in {timeout} s")
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"scrapy reparse exited with {os.waitstatus_to_exitcode(status)}")
    articles = sum(1 for path in (output_dir / "gginews" / "reparse" / "jsonl").glob("*.jsonl")
                   for _ in path.open("rb"))
    processes = len(list((output_dir / "gginews" / "reports").glob("*.json")))   # one crawl report each
    return {"mode": "reparse", "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "articles": articles, "processes": processes, "peak_rss_mb": usage.ru_maxrss / 1024}


def _du_mb(path: Path, pattern: str) -> float:
    return sum(p.stat().st_size for p in path.rglob(pattern)) / 1e6


def benchmark(articles: int, concurrency: int, workdir: Path, repeat: int = 1, overrides: list[str] = (),
              modes: tuple[str, ...] = ("fetch", "bare", "full")) -> dict:
    site = GeneratedSite(articles, requisites="full-req" in modes)
    runs = {mode: [] for mode in modes}
    try:
        for _ in range(repeat):
            # Side by side: alternate, so drift in the machine's load hits all alike.
            for mode in modes:
                result = crawl(mode, site, workdir, concurrency, overrides if mode.startswith("full") or mode == "generic" else ())
                if mode.startswith("full"):
                    gginews = Path(result["output_dir"]) / "gginews"
                    result["warc_mb"] = _du_mb(gginews / "warc", "*.warc.gz")
                    result["jsonl_mb"] = _du_mb(gginews / "jsonl", "*.jsonl")
                runs[mode].append(result)
    finally:
        site.close()
    # Best of the repeats: the least disturbed measurement of each.
    best = {mode: max(runs[mode], key=lambda r: r["pages"] / r["seconds"]) for mode in modes}
    best["reparse"] = reparse(Path(runs["full"][-1]["output_dir"]) / "gginews" / "warc", workdir)
    if "stack" in best:   # how much of each article's body each recovered (the same pages)
        best["full"]["body_quality"] = body_quality(_jsonl_records(Path(best["full"]["output_dir"]) / "gginews" / "jsonl"))
        best["stack"]["body_quality"] = body_quality(_jsonl_records(Path(best["stack"]["output_dir"])))
    return {"articles": articles, "concurrency": concurrency, "repeat": repeat, **best, "machine": machine()}


def _jsonl_records(folder: Path) -> list[dict]:
    return [json.loads(line) for path in sorted(folder.glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def body_quality(records: list[dict]) -> dict:
    """How much of the generated bodies (benchmarks/sitegen.py ``expected_body``) the
    records' ``body`` recovered: recall, the share of expected characters found as whole
    paragraphs; precision, the share of the body's characters that are expected text
    (menus, captions, related links, boilerplate lower it); exact, bodies that are the
    expected paragraphs and nothing else.  Whitespace is ignored."""
    sys.path.insert(0, str(BENCHMARKS))
    from urllib.parse import parse_qs, urlsplit

    import sitegen

    def squeeze(text: str) -> str:
        return "".join(text.split())

    expected_chars = found_chars = body_chars = exact = 0
    for record in records:
        idx = int(parse_qs(urlsplit(record["url"]).query)["idx"][0])
        expected = [squeeze(p) for p in sitegen.expected_body(idx)]
        body = squeeze(record.get("body") or "")
        found = sum(len(p) for p in expected if p in body)
        expected_chars += sum(len(p) for p in expected)
        found_chars += found
        body_chars += len(body)
        exact += body == "".join(expected)
    return {"records": len(records), "recall": found_chars / max(expected_chars, 1),
            "precision": found_chars / max(body_chars, 1), "exact": exact / max(len(records), 1)}


def machine() -> dict:
    import lxml.etree
    import scrapy

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cpus": os.cpu_count(), "python": platform.python_version(),
            "scrapy": scrapy.__version__, "lxml": ".".join(map(str, lxml.etree.LXML_VERSION[:3])),
            "os": platform.platform(terse=True)}


def summary(results: dict) -> dict:
    """The headline numbers, flat: what the table prints and the smoke test checks."""
    fetch, bare, full, reparse_run = (results[m] for m in ("fetch", "bare", "full", "reparse"))

    def pages_per_second(run):
        return run["pages"] / run["seconds"]

    def cpu_per_1000(run):
        return run["cpu_seconds"] / max(run["articles"], 1) * 1000

    return {
        "articles": results["articles"],
        "fetch_pages_per_s": pages_per_second(fetch),
        "bare_pages_per_s": pages_per_second(bare),
        "full_pages_per_s": pages_per_second(full),
        "ratio_full_to_bare": pages_per_second(full) / pages_per_second(bare),
        # Both crawls are one single-threaded process: when the machine is busy, CPU time per
        # page predicts the unloaded ratio better than wall-clock rates do.
        "cpu_ratio_full_to_bare": cpu_per_1000(bare) / cpu_per_1000(full),
        "fetch_cpu_s_per_1000": cpu_per_1000(fetch),
        "bare_cpu_s_per_1000": cpu_per_1000(bare),
        "full_cpu_s_per_1000": cpu_per_1000(full),
        "extraction_ms_per_article": full["extraction_seconds"] / max(full["articles"], 1) * 1000,
        "fetch_peak_rss_mb": fetch["peak_rss_mb"],
        "bare_peak_rss_mb": bare["peak_rss_mb"],
        "full_peak_rss_mb": full["peak_rss_mb"],
        "reparse_articles_per_s": reparse_run["articles"] / reparse_run["seconds"],
        "reparse_cpu_s_per_1000": cpu_per_1000(reparse_run),
        "reparse_peak_rss_mb": reparse_run["peak_rss_mb"],
        **(generic_summary(results) if "generic" in results else {}),
        **(stack_summary(results) if "stack" in results else {}),
    }


def stack_summary(results: dict) -> dict:
    stack, full = results["stack"], results["full"]

    def cpu_per_1000(run):
        return run["cpu_seconds"] / max(run["articles"], 1) * 1000

    return {
        "stack_pages_per_s": stack["pages"] / stack["seconds"],
        "stack_cpu_s_per_1000": cpu_per_1000(stack),
        "stack_peak_rss_mb": stack["peak_rss_mb"],
        "cpu_ratio_stack_to_full": cpu_per_1000(stack) / cpu_per_1000(full),
        "full_body_recall": full["body_quality"]["recall"],
        "full_body_precision": full["body_quality"]["precision"],
        "full_body_exact": full["body_quality"]["exact"],
        "stack_body_recall": stack["body_quality"]["recall"],
        "stack_body_precision": stack["body_quality"]["precision"],
        "stack_body_exact": stack["body_quality"]["exact"],
    }


def generic_summary(results: dict) -> dict:
    generic, full = results["generic"], results["full"]
    cpu = generic["cpu_seconds"] / max(generic["articles"], 1) * 1000
    return {
        "generic_pages_per_s": generic["pages"] / generic["seconds"],
        "generic_cpu_s_per_1000": cpu,
        "generic_extraction_ms_per_article": generic["extraction_seconds"] / max(generic["articles"], 1) * 1000,
        "cpu_ratio_generic_to_full": cpu / (full["cpu_seconds"] / max(full["articles"], 1) * 1000),
    }


def report(results: dict) -> str:
    fetch, bare, full, reparse_run, m = (results[k] for k in ("fetch", "bare", "full", "reparse", "machine"))
    numbers = summary(results)
    stack = results.get("stack")
    columns = (fetch, bare, full) + ((stack,) if stack else ())
    titles = ("fetch only", "bare Scrapy", "newsbot full") + (("Scrapy+traf.+warcio",) if stack else ())

    def per_1000(run):
        return f"{run['cpu_seconds'] / max(run['articles'], 1) * 1000:.2f}"

    def quality(key):
        return ["-", "-", *(f"{r['body_quality'][key]:.3f}" for r in columns[2:])] if stack else None

    rows = [
        ("pages fetched", [f"{r['pages']:,}" for r in columns]),
        ("articles", [f"{r['articles']:,}" for r in columns]),
        ("seconds", [f"{r['seconds']:.1f}" for r in columns]),
        ("pages/s", [f"{r['pages'] / r['seconds']:.0f}" for r in columns]),
        ("CPU s per 1,000 articles", [per_1000(r) for r in columns]),
        ("extraction ms/article", ["-", "-", f"{numbers['extraction_ms_per_article']:.2f}"] + (["-"] if stack else [])),
        ("peak RSS MB", [f"{r['peak_rss_mb']:.0f}" for r in columns]),
        ("server CPU, share of a core", [f"{r['server_cpu_share']:.2f}" for r in columns]),
        ("body recall (share of text)", quality("recall")),
        ("body precision", quality("precision")),
        ("bodies exact", quality("exact")),
    ]
    lines = [
        f"newsbot benchmark: {results['articles']:,} articles, concurrency {results['concurrency']}, "
        f"best of {results['repeat']}",
        f"machine: {m['cpu']}, {m['cpus']} CPUs, {m['os']}, Python {m['python']}, Scrapy {m['scrapy']}, "
        f"lxml {m['lxml']}",
        "",
        f"{'':30}" + "".join(f"{t:>{max(13, len(t) + 2)}}" for t in titles),
        *(f"{name:30}" + "".join(f"{v:>{max(13, len(t) + 2)}}" for v, t in zip(values, titles))
          for name, values in rows if values is not None),
        "",
        f"full / bare throughput: {numbers['ratio_full_to_bare']:.2f}x "
        f"(by CPU time per article: {numbers['cpu_ratio_full_to_bare']:.2f}x)",
        f"archive: {full['warc_mb']:.1f} MB WARC, {full['jsonl_mb']:.1f} MB JSON Lines",
        f"re-parse from WARC (scrapy reparse, {reparse_run['processes']} processes): "
        f"{reparse_run['articles']:,} articles in "
        f"{reparse_run['seconds']:.1f} s = {numbers['reparse_articles_per_s']:.0f} articles/s, "
        f"CPU {numbers['reparse_cpu_s_per_1000']:.2f} s per 1,000, peak RSS {reparse_run['peak_rss_mb']:.0f} MB",
    ]
    if stack:
        lines.append(
            f"the peer (Scrapy + trafilatura bare_extraction with metadata + warcio's WARCWriter): "
            f"{numbers['cpu_ratio_stack_to_full']:.1f}x newsbot's CPU per article, "
            f"{numbers['stack_pages_per_s'] / numbers['full_pages_per_s']:.2f}x its pages/s; body recall "
            f"{numbers['stack_body_recall']:.3f} vs {numbers['full_body_recall']:.3f}, precision "
            f"{numbers['stack_body_precision']:.3f} vs {numbers['full_body_precision']:.3f}")
    problems = [f"{r['mode']}: finish_reason={r['finish_reason']}, {r['errors']} errors"
                for r in columns if r["finish_reason"] != "finished" or r["errors"]]
    problems += [f"{r['mode']}: {r['articles']} articles of {results['articles']}"
                 for r in (*columns, reparse_run) if r["articles"] != results["articles"]]
    if "generic" in results:
        generic = results["generic"]
        lines += [
            "",
            f"generic spider on the same outlet (no selectors: metadata, labels, trafilatura): "
            f"{numbers['generic_pages_per_s']:.0f} pages/s, CPU {numbers['generic_cpu_s_per_1000']:.2f} s per 1,000 "
            f"articles ({numbers['cpu_ratio_generic_to_full']:.2f}x the known-family crawl's), extraction "
            f"{numbers['generic_extraction_ms_per_article']:.2f} ms/article (known family "
            f"{numbers['extraction_ms_per_article']:.2f}), peak RSS {generic['peak_rss_mb']:.0f} MB",
        ]
        if generic["articles"] != results["articles"]:
            problems.append(f"generic: {generic['articles']} articles of {results['articles']}")
    if problems:
        lines += ["", "WARNING: " + "; ".join(problems)]
    return "\n".join(lines)


def report_full_only(results: dict) -> str:
    full, reparse_run = results["full"], results["reparse"]
    return "\n".join([
        f"newsbot full crawl: {results['articles']:,} articles, concurrency {results['concurrency']}",
        f"  {full['pages'] / full['seconds']:.0f} pages/s, CPU {full['cpu_seconds'] / full['articles'] * 1000:.2f} s "
        f"per 1,000 articles, peak RSS {full['peak_rss_mb']:.0f} MB",
        f"re-parse ({reparse_run['processes']} processes): "
        f"{reparse_run['articles'] / reparse_run['seconds']:.0f} articles/s, "
        f"CPU {reparse_run['cpu_seconds'] / max(reparse_run['articles'], 1) * 1000:.2f} s per 1,000 articles, "
        f"peak RSS {reparse_run['peak_rss_mb']:.0f} MB",
    ])


def summary_requisites(results: dict) -> dict:
    """Requisites off (b) and on (c), on the same site: the headline numbers."""
    off, on = results["full"], results["full-req"]

    def per_article(run, key):
        return run[key] / max(run["articles"], 1)

    return {
        "req_off_pages_per_s": off["pages"] / off["seconds"],
        "req_on_pages_per_s": on["pages"] / on["seconds"],
        "req_on_responses_per_s": on["responses"] / on["seconds"],
        "req_off_articles_per_s": off["articles"] / off["seconds"],
        "req_on_articles_per_s": on["articles"] / on["seconds"],
        "req_off_warc_bytes_per_article": per_article(off, "warc_bytes"),
        "req_on_warc_bytes_per_article": per_article(on, "warc_bytes"),
        "req_off_cpu_s_per_1000": off["cpu_seconds"] / max(off["articles"], 1) * 1000,
        "req_on_cpu_s_per_1000": on["cpu_seconds"] / max(on["articles"], 1) * 1000,
        "req_on_requisites": on["requisites"],
    }


def report_requisites(results: dict) -> str:
    off, on = results["full"], results["full-req"]
    numbers = summary_requisites(results)
    rows = [
        ("articles", f"{off['articles']:,}", f"{on['articles']:,}"),
        ("pages fetched (lists, articles)", f"{off['pages']:,}", f"{on['pages']:,}"),
        ("requisites fetched", f"{off['requisites']:,}", f"{on['requisites']:,}"),
        ("seconds", f"{off['seconds']:.1f}", f"{on['seconds']:.1f}"),
        ("pages/s", f"{numbers['req_off_pages_per_s']:.0f}", f"{numbers['req_on_pages_per_s']:.0f}"),
        ("responses/s (requisites included)", f"{off['responses'] / off['seconds']:.0f}",
         f"{numbers['req_on_responses_per_s']:.0f}"),
        ("articles/s", f"{numbers['req_off_articles_per_s']:.1f}", f"{numbers['req_on_articles_per_s']:.1f}"),
        ("CPU s per 1,000 articles", f"{numbers['req_off_cpu_s_per_1000']:.2f}", f"{numbers['req_on_cpu_s_per_1000']:.2f}"),
        ("WARC bytes per article", f"{numbers['req_off_warc_bytes_per_article']:,.0f}",
         f"{numbers['req_on_warc_bytes_per_article']:,.0f}"),
        ("peak RSS MB", f"{off['peak_rss_mb']:.0f}", f"{on['peak_rss_mb']:.0f}"),
    ]
    lines = [f"page requisites, same site (a {sitegen_photo_kb()} KB photo per article; one stylesheet, "
             "its import, font and logo for all):",
             f"{'':36}{'REQUISITES=none':>17}{'images+css':>14}",
             *(f"{name:36}{a:>17}{b:>14}" for name, a, b in rows),
             f"cost: {numbers['req_on_articles_per_s'] / numbers['req_off_articles_per_s']:.2f}x the articles/s, "
             f"{numbers['req_on_warc_bytes_per_article'] / numbers['req_off_warc_bytes_per_article']:.2f}x the "
             f"WARC bytes per article"]
    if on["requisites_failed"]:
        lines.append(f"WARNING: {on['requisites_failed']} requisite(s) failed")
    return "\n".join(lines)


def sitegen_photo_kb() -> int:
    sys.path.insert(0, str(BENCHMARKS))
    import sitegen

    return sitegen.PHOTO_BYTES // 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5000, help="articles on the generated site (default 5000)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent requests, both crawls (default 16)")
    parser.add_argument("--repeat", type=int, default=1, help="alternate bare/full this many times, keep the best")
    parser.add_argument("--workdir", type=Path, help="keep outputs here (default: a temporary folder, removed)")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    parser.add_argument("--full-only", action="store_true",
                        help="only the newsbot crawl and the re-parse (e.g. to compare peak RSS at 5,000 and 50,000)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a newsbot setting for the full crawl, e.g. WARC_COMPRESS_LEVEL=1 (repeatable)")
    parser.add_argument("--requisites", action="store_true",
                        help="also crawl with page requisites on (REQUISITES=images+css), the site serving them")
    parser.add_argument("--generic", action="store_true",
                        help="also crawl the outlet with the generic spider (newsbot/cms/generic.py)")
    parser.add_argument("--no-stack", action="store_true",
                        help="leave out the peer (Scrapy + trafilatura + warcio), the slowest column")
    parser.add_argument("--child", choices=("fetch", "bare", "full", "full-req", "generic", "stack"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--start-urls", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--output-dir", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        overrides = dict(item.split("=", 1) for item in args.set)
        run_child(args.child, args.base_url, args.output_dir, args.concurrency, args.result, overrides,
                  args.start_urls)
        return 0

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="newsbot-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        modes = ("full",) if args.full_only else ("fetch", "bare", "full") + (() if args.no_stack else ("stack",))
        modes += ("generic",) if args.generic else ()
        if args.requisites:
            modes += ("full-req",)
        results = benchmark(args.articles, args.concurrency, workdir, args.repeat, args.set, modes)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(report(results) if not args.full_only else report_full_only(results))
    if args.requisites:
        print()
        print(report_requisites(results))
    if args.json:
        numbers = summary(results) if not args.full_only else {}
        if args.requisites:
            numbers.update(summary_requisites(results))
        args.json.write_text(json.dumps({"summary": numbers, **results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
