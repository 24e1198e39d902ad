"""N workers on one real redis-server (issue 7): shared queue, filter, state; kill and resume.

Every test starts its own ``redis-server`` on a free loopback port (nothing persisted)
and a generated family-A site on 127.0.0.1; workers are real ``scrapy crawl``
processes with ``-s REDIS_URL=...``, each with its own output folder, as on separate
machines.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from scrapy.settings import Settings

import newsbot.output
from newsbot.addon import NewsbotAddon
from newsbot.distributed import ClusterKeys
from newsbot.distributed.merge import merge_outputs
from newsbot.state.ledger import FaultLedger
from newsbot.distributed.state import (
    ALREADY_RECORDED, CLAIMED, HELD_ELSEWHERE, RedisFaultLedger, RedisStateStore,
)
from newsbot.state.sqlite import SqliteStateStore
from newsbot.testing.generated_site import GeneratedSite
from newsbot.testing.redis_server import RedisServer
from tests.conftest import REPO, CrawlResult, run_scrapy

# Skipped only on a developer's machine without redis-server; under CI (.ci/run installs
# it) a missing server is a failure, never a silent skip.
pytestmark = pytest.mark.skipif(
    not any(Path(d, "redis-server").exists() for d in os.environ.get("PATH", "").split(os.pathsep))
    and not os.environ.get("CI"),
    reason="redis-server (Debian package redis-server, installed by .ci/run) is not on PATH",
)

SITE = "gginews"
ARTICLES = 520
WORKER_TTL = 4  # seconds: a killed worker's leases are free this soon after its last heartbeat (and a
#                 live worker on this loaded machine never misses its heartbeat for that long)
WORKER_TIMEOUT = 150


@pytest.fixture
def redis_server():
    with RedisServer() as server:
        yield server


class Worker:
    """One ``scrapy crawl`` process of the cluster, logging to ``<output>/<id>-<n>.log``."""

    def __init__(self, worker_id: str, base_url: str, redis_url: str | None, output: Path, start_number: int = 1,
                 per_domain: int = 8, env: dict | None = None):
        self.worker_id, self.output = worker_id, output
        self.log = output.parent / f"{worker_id}-{start_number}.log"
        cmd = [sys.executable, "-m", "scrapy", "crawl", SITE, "-a", f"base_url={base_url}"]
        for name, value in {
            **({"REDIS_URL": redis_url} if redis_url else {}), "OUTPUT_DIR": output, "NEWSBOT_WORKER_ID": worker_id,
            "NEWSBOT_WORKER_TTL": WORKER_TTL, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": 0,
            "CONCURRENT_REQUESTS_PER_DOMAIN": per_domain, "LOG_FILE": self.log, "LOG_LEVEL": "INFO",
        }.items():
            cmd += ["-s", f"{name}={value}"]
        self.output.parent.mkdir(parents=True, exist_ok=True)
        with self.log.with_suffix(".err").open("wb") as errors:  # what fails before logging starts
            self.process = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=errors,
                                            env={**os.environ, **(env or {})})

    def wait(self) -> int:
        try:
            return self.process.wait(timeout=WORKER_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def log_text(self) -> str:
        return "".join(p.read_text(encoding="utf-8", errors="replace")
                       for p in (self.log.with_suffix(".err"), self.log) if p.exists())

    def stats(self) -> dict:
        return CrawlResult(self.process.returncode, "", self.log_text(), self.output).stats()

    def records(self) -> list[dict]:
        return CrawlResult(0, "", "", self.output).records(SITE)


def jsonl_lines(output: Path) -> int:
    # finished files and the one being written (<name>.jsonl.open, docs/records.md)
    return sum(p.read_bytes().count(b"\n") for p in (output / SITE / "jsonl").glob("*.jsonl*"))


def wait_until_joined(workers, timeout: float = 60.0) -> None:
    """Block until every worker has logged that it joined the cluster run."""
    deadline = time.monotonic() + timeout
    while not all("Cluster worker" in w.log_text() and "joined run" in w.log_text() for w in workers):
        exited = [w.worker_id for w in workers if w.process.poll() is not None]
        assert not exited, f"worker(s) {exited} exited before joining: " + "".join(w.log_text() for w in workers)[-3000:]
        assert time.monotonic() < deadline, "workers did not all join within %ss" % timeout
        time.sleep(0.1)


def stop_all(workers):
    for worker in workers:
        if worker.process.poll() is None:
            worker.kill()


# -- the switch ---------------------------------------------------------------------
def addon_settings(**overrides) -> Settings:
    settings = Settings()
    settings.setmodule("newsbot.settings", priority="project")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    NewsbotAddon().update_settings(settings)
    return settings


def test_redis_url_is_the_one_switch():
    embedded = addon_settings()
    assert embedded["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    assert not embedded["DUPEFILTER_CLASS"].startswith("newsbot.distributed")
    assert not any("distributed" in str(k) for k in embedded.getdict("ITEM_PIPELINES"))

    cluster = addon_settings(REDIS_URL="redis://127.0.0.1:1/0")
    assert cluster["SCHEDULER"] == "newsbot.distributed.scheduler.ClusterScheduler"
    assert cluster["DUPEFILTER_CLASS"] == "newsbot.distributed.scheduler.ClusterDupeFilter"
    assert cluster.getbool("SCHEDULER_PERSIST") is True
    pipelines = {getattr(k, "__name__", str(k)): v for k, v in cluster.getdict("ITEM_PIPELINES").items()}
    assert pipelines["ClaimPipeline"] == 750
    # the rest of the pipeline chain is the embedded one, unchanged
    assert {k: v for k, v in pipelines.items() if k != "ClaimPipeline"} == embedded.getdict("ITEM_PIPELINES")


def test_no_redis_at_redis_url_is_one_error_line(tmp_path):
    from newsbot.testing.redis_server import _free_port

    port = _free_port()  # nothing listens there
    result = run_scrapy(["crawl", SITE, "-a", "base_url=http://127.0.0.1:9"], tmp_path / "output",
                        {"REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    assert result.returncode == 2
    assert result.stderr.count("newsbot: error: ") == 1
    assert f"newsbot: error: REDIS_URL: no Redis at 127.0.0.1:{port}/0 (" in result.stderr
    assert "Traceback" not in result.stderr


# -- the Redis state store -------------------------------------------------------------
def store_for(server: RedisServer, worker_id: str, token: str, run_id: str = "r1") -> RedisStateStore:
    keys = ClusterKeys("newsbot", SITE)
    client = server.client()
    client.set(keys.worker(worker_id), token, px=60_000)  # a live worker's heartbeat
    client.set(keys.run, run_id)  # the run this worker joined (its scheduler names it in Redis)
    return RedisStateStore(client, SITE, keys, f"{worker_id}|{token}")


def test_redis_store_has_every_method_of_the_sqlite_store():
    public = {name for name in dir(SqliteStateStore) if not name.startswith("_")}
    assert public - set(dir(RedisStateStore)) == set()
    ledger_methods = {name for name in dir(FaultLedger) if not name.startswith("_")}
    assert ledger_methods - set(dir(RedisFaultLedger)) == set()


def test_claims_are_exclusive_taken_over_from_dead_workers_and_released_by_the_record(redis_server):
    a = store_for(redis_server, "a", "t1")
    b = store_for(redis_server, "b", "t2")
    url = "http://example.test/news/view.php?idx=1"
    assert a.claim(url, "sha256:1") == CLAIMED
    assert b.claim(url, "sha256:1") == HELD_ELSEWHERE      # a is alive and writing it
    assert a.claim(url, "sha256:1") == CLAIMED             # a's own claim
    redis_server.client().delete("newsbot:gginews:worker:a")  # a dies before writing
    assert b.claim(url, "sha256:1") == CLAIMED             # not lost: b takes it over
    assert a.claim(url, "sha256:1") == HELD_ELSEWHERE
    b.mark_recorded(url, article_id="1", published_at="2024-06-01T09:00:00+09:00", content_digest="sha256:1")
    assert redis_server.client().keys("newsbot:gginews:claim:*") == []  # released by the record
    assert a.claim(url, "sha256:1") == ALREADY_RECORDED
    assert a.claim(url, "sha256:2") == CLAIMED             # edited content: a new version may be recorded
    a.mark_recorded(url, article_id="1", published_at="2024-06-01T09:00:00+09:00", content_digest="sha256:2",
                    version=2)
    assert a.recorded(url)["version"] == 2 and a.recorded(url)["content_digest"] == "sha256:2"
    assert (a.count(), a.version_count()) == (1, 2)


def test_one_claim_wins_a_race_of_sixteen_workers(redis_server):
    stores = [store_for(redis_server, f"w{i}", f"t{i}") for i in range(16)]
    barrier = threading.Barrier(len(stores))
    outcomes = [None] * len(stores)

    def race(i):
        barrier.wait()
        outcomes[i] = stores[i].claim("http://example.test/news/view.php?idx=7", "sha256:7")

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == [CLAIMED] + [HELD_ELSEWHERE] * 15


def test_high_water_first_seen_and_fault_ledger(redis_server):
    store = store_for(redis_server, "a", "t1")
    for idx, published in (("99", "2024-06-03T10:00:00+09:00"), ("1000", "2024-06-01T10:00:00+09:00"),
                           ("250", "2024-06-02T10:00:00+09:00")):
        store.mark_recorded(f"http://example.test/{idx}", article_id=idx, published_at=published, content_digest=idx)
    # ids compare as numbers ("1000" > "250" > "99"); times as times
    assert store.high_water() == {"article_id": "1000", "published_at": "2024-06-03T10:00:00+09:00"}
    first_seen = json.loads(redis_server.client().hget("newsbot:gginews:articles", "http://example.test/99"))["first_seen"]
    store.mark_recorded("http://example.test/99", article_id="99", content_digest="x", version=2)
    again = json.loads(redis_server.client().hget("newsbot:gginews:articles", "http://example.test/99"))
    assert again["first_seen"] == first_seen and again["version"] == 2

    ledger = store.fault_ledger()
    ledger.mark_failed("http://example.test/5", "http://example.test/5?x=1", "http_500", "boom")
    ledger.mark_failed("http://example.test/5", "http://example.test/5?x=1", "http_500", "boom")
    ledger.mark_failed("http://example.test/6", "http://example.test/6", "http_404", gone=True)
    ledger.mark_failed("http://example.test/250", "http://example.test/250", "timeout")
    assert ledger.faults() == {"http://example.test/5": ("http_500", False, 2),
                               "http://example.test/6": ("http_404", True, 1),
                               "http://example.test/250": ("timeout", False, 1)}
    assert ledger.is_gone("http://example.test/6") and not ledger.is_gone("http://example.test/5")
    # recorded since (250) and gone (6) are not retried; 5 only while under the attempt limit
    assert ledger.failed_urls(max_attempts=3) == ["http://example.test/5?x=1"]
    assert ledger.failed_urls(max_attempts=2) == []


def test_a_walk_is_left_open_by_an_earlier_run_never_by_a_peer(redis_server):
    first, peer = store_for(redis_server, "a", "t1", "r1"), store_for(redis_server, "b", "t2", "r1")
    assert first.open_walk("2024-06-01") is None
    assert peer.open_walk("2024-06-03") is None  # same run: the peer's walk is not "left open"
    # run r1 was killed (no finish_walk); the next run's workers all see r1's walk open
    later, later_peer = store_for(redis_server, "a", "t3", "r2"), store_for(redis_server, "c", "t4", "r2")
    left_open = later.open_walk("2024-06-10")
    assert left_open["floor_date"] == "2024-06-01"
    assert later_peer.open_walk(None) == left_open
    assert later.get_mark("open_walk")["floor_date"] == "2024-06-01"  # lowered to r1's floor
    later_peer.finish_walk()
    assert later.get_mark("open_walk") is None
    assert store_for(redis_server, "a", "t5", "r3").open_walk(None) is None


# -- whole crawls ----------------------------------------------------------------------
def assert_every_article_once(site: GeneratedSite, records: list[dict]):
    ids = sorted(int(r["article_id"]) for r in records)
    assert ids == list(site.article_ids())  # none missing, none twice


def assert_run_cleaned_up(redis_server, articles: int = ARTICLES):
    client = redis_server.client()
    keys = {k.decode() for k in client.keys("newsbot:gginews:*")}
    # queue, leases, run id, the run's filter and every heartbeat are gone; state stays
    assert not {k for k in keys if k.rsplit(":", 1)[-1] in {"requests", "inflight", "run"}}
    assert not [k for k in keys if ":dupefilter:" in k or ":worker:" in k or ":claim:" in k]
    assert client.hlen("newsbot:gginews:articles") == articles


def test_a_worker_that_finds_the_queue_empty_looks_again_within_the_idle_poll(redis_server, monkeypatch):
    """The lost wake-up: a peer pushes between this worker's empty pop and the engine's idle
    check, so the check sees pending requests and spider_idle (which starts the poll) never
    fires.  The empty pop itself must schedule the next look, not the engine's 5 s heartbeat."""
    from scrapy import Spider
    from scrapy.utils.test import get_crawler
    from twisted.internet import reactor

    from newsbot.distributed.scheduler import IDLE_POLL, ClusterScheduler

    crawler = get_crawler(Spider, {"REDIS_URL": redis_server.url, "NEWSBOT_WORKER_ID": "w1",
                                   "ADDONS": {"newsbot.addon.NewsbotAddon": 0}})
    spider = crawler.spider = Spider(name=SITE)
    crawler._apply_settings()  # the add-on's cluster settings and extensions, as a crawl applies them
    crawler.engine = crawler._create_engine()  # a real engine, not started: nothing in progress
    scheduler = ClusterScheduler.from_crawler(crawler)
    scheduler.open(spider)
    try:
        assert scheduler.next_request() is None
        wake = scheduler._wake_call
        assert wake is not None and wake.active() and wake.func == scheduler._wake
        assert wake.getTime() - reactor.seconds() <= IDLE_POLL
    finally:
        scheduler.close("finished")
    assert not wake.active()  # closing cancels it


def test_three_workers_crawl_one_site_each_article_once_then_merge(redis_server, tmp_path):
    # Why a cluster exists: a site slower than one worker can drain (here 4 requests at a
    # time, 0.1 s each: 40 pages/s, while every list page adds 20 articles).  With a fast
    # site the worker that parses a list page pops its articles before an idle peer looks,
    # and one worker does the whole run, correctly but proving nothing about sharing.
    # The site answers nothing until all three workers are in the run: on a loaded machine one
    # worker once started so late that the others had finished the run without it.
    site = GeneratedSite(ARTICLES, seed=7, delay=0.1)
    site.gate.clear()
    with site.serve() as server:
        workers = [Worker(f"w{i}", server.base_url, redis_server.url, tmp_path / f"w{i}", per_domain=4)
                   for i in (1, 2, 3)]
        try:
            wait_until_joined(workers)
            site.gate.set()
            codes = [w.wait() for w in workers]
        finally:
            stop_all(workers)
    logs = "".join(w.log_text() for w in workers)
    assert codes == [0, 0, 0], logs[-3000:]
    assert "Traceback" not in logs
    assert "ScrapyDeprecationWarning" not in logs  # scrapy-redis parts used as Scrapy 2.19 expects

    records = [r for w in workers for r in w.records()]
    assert_every_article_once(site, records)
    per_worker = [len(w.records()) for w in workers]
    assert all(n > 0 for n in per_worker), per_worker  # they shared the work
    assert sum(w.stats()["newsbot/items_written"] for w in workers) == ARTICLES
    by_id = {r["article_id"]: r for r in records}
    expected = site.expected(site.newest_idx)
    assert by_id[str(site.newest_idx)]["title"] == expected["title"]
    assert by_id[str(site.newest_idx)]["body"] == expected["body"]
    # list pages: each fetched once in the whole cluster (the run's shared filter), 26 + the empty 27th
    list_fetches = [t for t in server.requests if t.startswith("/news/list.php")]
    assert len(list_fetches) == len(set(list_fetches)) == ARTICLES // 20 + 1
    warc_names = [p.name for w in workers for p in (w.output / SITE / "warc").glob("*.warc.gz")]
    assert len(warc_names) == len(set(warc_names)) == 3
    assert sorted(name.split("-")[2] for name in warc_names) == ["w1", "w2", "w3"]  # <site>-<UTC>-<worker>-<n>
    assert_run_cleaned_up(redis_server)

    merged = subprocess.run(
        [sys.executable, "-m", "scrapy", "merge", SITE, *[str(w.output) for w in workers], "-o", str(tmp_path / "merged")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert merged.returncode == 0, merged.stderr[-2000:]
    assert f"{ARTICLES} record(s) from 3 JSON Lines file(s) (0 duplicate(s) dropped, 0 bad line(s) skipped)" in merged.stdout
    (jsonl,) = (tmp_path / "merged").glob("*.jsonl")
    (cdxj,) = (tmp_path / "merged").glob("*.cdxj")
    merged_records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert_every_article_once(site, merged_records)
    indexed = [json.loads(line.split(" ", 2)[2]) for line in cdxj.read_text(encoding="utf-8").splitlines()]
    article_responses = {(e["url"], e["filename"]) for e in indexed if "view.php" in e["url"] and e.get("mime") != "warc/request"}
    # every record's WARC pointer is in the one index
    assert {(r["url"], r["warc_filename"]) for r in merged_records} <= article_responses


def test_killed_worker_restarted_loses_nothing(redis_server, tmp_path):
    site = GeneratedSite(ARTICLES, seed=8, delay=0.01)  # slow enough to kill mid-crawl
    site.gate.clear()
    client = redis_server.client()
    with site.serve() as server:
        # newsbot's default 2 per domain: each worker is busy with articles most of the time
        first = Worker("w1", server.base_url, redis_server.url, tmp_path / "w1", per_domain=2)
        other = Worker("w2", server.base_url, redis_server.url, tmp_path / "w2", per_domain=2)
        workers = [first, other]
        try:
            wait_until_joined(workers)  # both in the run before the site answers (see above)
            site.gate.set()
            deadline = time.monotonic() + 60
            while jsonl_lines(first.output) < 100 and time.monotonic() < deadline and first.process.poll() is None:
                time.sleep(0.05)
            # Freeze w1 at a moment it holds requests (between list pages it may hold none), then kill it.
            held = []
            while not held and time.monotonic() < deadline and first.process.poll() is None:
                first.process.send_signal(signal.SIGSTOP)
                time.sleep(0.01)
                held = [k for k in client.hkeys("newsbot:gginews:inflight") if k.startswith(b"w1|")]
                if not held:
                    first.process.send_signal(signal.SIGCONT)
                    time.sleep(0.02)
            assert held, "w1 finished (or never held a request) before it could be killed"
            first.kill()
            # still <name>.jsonl.open: w1 reborn finishes them under their final names
            first_life_files = sorted(p.with_name(p.name.removesuffix(".open"))
                                      for p in (first.output / SITE / "jsonl").glob("*.jsonl*"))
            restarted = Worker("w1", server.base_url, redis_server.url, tmp_path / "w1", start_number=2, per_domain=2)
            workers.append(restarted)
            assert other.wait() == 0, other.log_text()[-3000:]
            assert restarted.wait() == 0, restarted.log_text()[-3000:]
        finally:
            stop_all(workers)

    # nothing lost: the killed worker's file holds whole lines only; with the others', every article
    records = [r for w in (first, other) for r in w.records()]  # w1's folder holds both of its lives
    copies = Counter(int(r["article_id"]) for r in records)
    assert sorted(copies) == list(site.article_ids())
    # A record is written twice only if the kill fell between its JSON line and its mark in the
    # store (a file and Redis cannot change in one step): then one copy is in the killed life's file.
    killed_life = Counter(int(json.loads(line)["article_id"])
                          for path in first_life_files for line in path.read_text(encoding="utf-8").splitlines())
    twice = {idx for idx, n in copies.items() if n > 1}
    assert all(copies[idx] == 2 and killed_life[idx] == 1 for idx in twice), twice
    merged = merge_outputs([first.output, other.output], SITE, tmp_path / "merged")
    assert (merged.records, merged.duplicates, merged.bad_lines) == (ARTICLES, len(twice), 0)
    # every request w1 held when it died was handed back to the queue, by w1 reborn or by w2
    reclaimed = sum(w.stats().get("newsbot/cluster/leases_reclaimed", 0) for w in (other, restarted))
    assert reclaimed == len(held)
    assert_run_cleaned_up(redis_server)


def test_graceful_stop_hands_the_rest_of_the_run_to_the_next_worker(redis_server, tmp_path):
    site = GeneratedSite(200, seed=10, delay=0.01)
    client = redis_server.client()
    with site.serve() as server:
        first = Worker("w1", server.base_url, redis_server.url, tmp_path / "w1")
        workers = [first]
        try:
            deadline = time.monotonic() + 60
            while jsonl_lines(first.output) < 40 and time.monotonic() < deadline and first.process.poll() is None:
                time.sleep(0.05)
            first.process.send_signal(signal.SIGTERM)  # what systemd sends
            first.wait()
            # it finished what it held: nothing leased, no heartbeat, the run and its queue live on
            assert first.stats()["finish_reason"] == "shutdown"
            assert client.hlen("newsbot:gginews:inflight") == 0
            assert client.keys("newsbot:gginews:worker:*") == []
            assert client.exists("newsbot:gginews:run") and client.zcard("newsbot:gginews:requests") > 0
            second = Worker("w2", server.base_url, redis_server.url, tmp_path / "w2")
            workers.append(second)
            assert second.wait() == 0, second.log_text()[-3000:]
        finally:
            stop_all(workers)
    assert_every_article_once(site, first.records() + second.records())
    assert_run_cleaned_up(redis_server, articles=200)


def test_next_run_walks_the_list_pages_again(redis_server, tmp_path):
    site = GeneratedSite(60, seed=9)
    with site.serve() as server:
        first = Worker("w1", server.base_url, redis_server.url, tmp_path / "run1")
        assert first.wait() == 0, first.log_text()[-3000:]
        first_run_lists = [t for t in server.requests if t.startswith("/news/list.php")]
        site.publish(3)  # three new articles on page 1 since
        second = Worker("w1", server.base_url, redis_server.url, tmp_path / "run2")
        assert second.wait() == 0, second.log_text()[-3000:]
    second_run_lists = [t for t in server.requests if t.startswith("/news/list.php")][len(first_run_lists):]
    # the first run's filter ended with it: page 1 is fetched again and its new articles found
    assert second_run_lists[0] == "/news/list.php"
    assert sorted(int(r["article_id"]) for r in second.records()) == [1061, 1062, 1063]
    assert redis_server.client().hlen("newsbot:gginews:articles") == 63


def test_a_password_protected_redis_from_the_environment_stays_out_of_command_line_and_log(tmp_path):
    password = "s3cret-Passw0rd"
    site = GeneratedSite(25, seed=11)
    with RedisServer(password=password) as server, site.serve() as http:
        assert password in server.url
        # NEWSBOT_REDIS_URL: the switch without the password on the command line (ps shows argv)
        worker = Worker("w1", http.base_url, None, tmp_path / "w1", env={"NEWSBOT_REDIS_URL": server.url})
        assert not any(password in arg for arg in worker.process.args)
        assert worker.wait() == 0, worker.log_text()[-3000:]
        assert server.client().hlen("newsbot:gginews:articles") == 25  # it logged in and worked there
    assert sorted(int(r["article_id"]) for r in worker.records()) == list(site.article_ids())
    assert "Cluster worker w1 joined run" in worker.log_text()
    assert password not in worker.log_text()
