"""scrapy-redis's scheduler and duplicate filter, made safe for N workers that may die.

What scrapy-redis gives: one priority queue of serialized requests in Redis that every
worker pushes to and pops from, and a Redis set of request fingerprints.  What it does
not (and what this module adds, in the scheduler slot Scrapy made for it):

* **Leases.**  scrapy-redis's pop removes a request from Redis; a worker killed while
  the request is downloading, or while its items are in the pipelines, loses it, and its
  fingerprint keeps it from ever being scheduled again (a lost list page loses every
  page after it).  Here a pop moves the request, atomically, into a lease
  (``<spider>:inflight``) named after the worker; the lease is dropped once the engine
  is done with the request (downloaded, parsed, its new requests pushed, its items
  through the pipelines).  Leases of a worker whose heartbeat expired go back to the
  queue, so a killed worker's work is redone by the others or by itself restarted.
  Likewise a request is marked seen and pushed in one step (scrapy-redis does the two
  apart: a kill between them loses the request for good).
* **Runs.**  The duplicate filter is scoped to one run (``<spider>:dupefilter:<run>``).
  Workers joining a run share it (N workers yielding the same start URLs enqueue them
  once); the run ends when the last worker finds the queue and every lease empty, and
  its filter goes with it.  So a persisted filter never swallows the list pages the next
  scheduled run must walk again; across runs, "already recorded" is the state store's
  job, exactly as in an embedded crawl.
* **Cooperative close.**  A worker with nothing to do stays open while others hold
  leases (their pages may yield more requests) and closes with everyone once the run
  is done.
* Scrapy >= 2.13 APIs: no ``spider=`` arguments to stats, Scrapy's own request
  fingerprinter (``REQUEST_FINGERPRINTER_CLASS``) instead of scrapy-redis's private one.
"""

from __future__ import annotations

import logging
import uuid

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, UsageError
from scrapy.utils.misc import load_object
from scrapy.utils.request import request_from_dict
from scrapy_redis import defaults as redis_defaults
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from newsbot.distributed import (
    DEFAULT_WORKER_TTL, ClusterKeys, cluster_enabled, redis_address, redis_client, worker_identity,
)

logger = logging.getLogger(__name__)

#: request.meta key holding the lease a popped request came from
LEASE_META = "newsbot_lease"
#: seconds between an idle worker's looks at the shared queue
IDLE_POLL = 0.25

# Pop the best request into a lease, in one step: it is never in neither place.
POP_LUA = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
local lease = ARGV[1] .. '|' .. redis.call('INCR', KEYS[3]) .. '|' .. top[2]
redis.call('HSET', KEYS[2], lease, top[1])
return {lease, top[1]}
"""

# Mark seen and push in one step.  scrapy-redis does SADD, then ZADD: a worker killed in
# between leaves a fingerprint with no request behind it, and the page that links to it,
# parsed again, finds it "seen": lost.  ARGV: fingerprint ('' = dont_filter), score, data.
ENQUEUE_LUA = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# Leases whose owner is gone (heartbeat key missing or holding another token) go back to
# the queue with their old score.  Lease name: <worker id>|<token>|<serial>|<score>.
RECLAIM_LUA = """
local leases = redis.call('HGETALL', KEYS[1])
local requeued = 0
for i = 1, #leases, 2 do
  local worker, token, serial, score = string.match(leases[i], '^(.*)|([^|]*)|([^|]*)|([^|]*)$')
  if worker == nil or redis.call('GET', ARGV[1] .. worker) ~= token then
    redis.call('ZADD', KEYS[2], tonumber(score) or 0, leases[i + 1])
    redis.call('HDEL', KEYS[1], leases[i])
    requeued = requeued + 1
  end
end
return requeued
"""

# The given leases go back to the queue (a worker closing before its work was done).
REQUEUE_LUA = """
local requeued = 0
for i = 1, #ARGV do
  local data = redis.call('HGET', KEYS[1], ARGV[i])
  if data then
    local score = string.match(ARGV[i], '|([^|]*)$')
    redis.call('ZADD', KEYS[2], tonumber(score) or 0, data)
    redis.call('HDEL', KEYS[1], ARGV[i])
    requeued = requeued + 1
  end
end
return requeued
"""

# The run is over when nothing is queued and nothing is leased, anywhere: its id and its
# duplicate filter are deleted together, so the next run starts from the list pages.
FINISH_LUA = """
if redis.call('ZCARD', KEYS[1]) > 0 or redis.call('HLEN', KEYS[2]) > 0 then return 0 end
local run = redis.call('GET', KEYS[3])
if run then redis.call('DEL', ARGV[1] .. run) end
redis.call('DEL', ARGV[1] .. ARGV[2], KEYS[3])
return 1
"""


class ClusterDupeFilter(RFPDupeFilter):
    """scrapy-redis's Redis-set filter, keyed per run, fingerprinting as Scrapy does.

    ``close()`` keeps the set: other workers of the run still use it.  It is deleted when
    the run finishes (:class:`ClusterScheduler`).
    """

    def __init__(self, server, key, debug=False, fingerprinter=None):
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    def request_fingerprint(self, request) -> str:
        if self.fingerprinter is None:
            return super().request_fingerprint(request)
        return self.fingerprinter.fingerprint(request).hex()

    def close(self, reason=""):
        pass


class ClusterScheduler(Scheduler):
    """The scheduler every worker of a cluster runs (set by ``REDIS_URL``; see the module)."""

    def __init__(self, server, crawler, *, queue_cls, serializer, idle_poll=IDLE_POLL):
        super().__init__(server, persist=True, queue_cls=queue_cls, serializer=serializer)
        self.crawler = crawler
        self.stats = crawler.stats
        self.identity = worker_identity(crawler)
        self.worker_ttl = crawler.settings.getfloat("NEWSBOT_WORKER_TTL", DEFAULT_WORKER_TTL)
        self.idle_poll = idle_poll
        self.keys: ClusterKeys | None = None
        self.run_id: str | None = None
        self.leases: dict[str, object] = {}  # lease name -> the Request popped under it
        self._heartbeat_loop: LoopingCall | None = None
        self._wake_call = None
        self._warned_no_engine_slot = False
        self._enqueue = server.register_script(ENQUEUE_LUA)
        self._pop = server.register_script(POP_LUA)
        self._reclaim = server.register_script(RECLAIM_LUA)
        self._requeue = server.register_script(REQUEUE_LUA)
        self._finish = server.register_script(FINISH_LUA)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not cluster_enabled(settings):
            raise UsageError("ClusterScheduler needs REDIS_URL")
        queue_cls = settings.get("SCHEDULER_QUEUE_CLASS") or redis_defaults.SCHEDULER_QUEUE_CLASS
        server = redis_client(settings)
        serializer = settings.get("SCHEDULER_SERIALIZER")
        if isinstance(serializer, str):
            import importlib

            serializer = importlib.import_module(serializer)
        return cls(server, crawler, queue_cls=queue_cls, serializer=serializer)

    # -- lifecycle -------------------------------------------------------------
    def open(self, spider):
        # The crawl command checked both before the engine started (one clean error line);
        # here for other runners, and for a Redis that went away since.  Raised from open(),
        # not from_crawler: Scrapy 2.19 hides errors raised while the scheduler is built.
        if not issubclass(load_object(self.queue_cls), PriorityQueue):  # the lease scripts pop a sorted set
            raise UsageError(f"SCHEDULER_QUEUE_CLASS {self.queue_cls}: a cluster needs scrapy_redis.queue.PriorityQueue")
        try:
            self.server.ping()
        except RedisError as exc:
            raise UsageError(f"REDIS_URL: no Redis at {redis_address(self.server)} ({exc})") from None
        self.spider = spider
        self.keys = ClusterKeys.from_settings(self.crawler.settings, spider.name)
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.keys.requests, serializer=self.serializer
        )
        self._heartbeat()
        self._heartbeat_loop = LoopingCall(self._heartbeat)
        self._heartbeat_loop.start(max(self.worker_ttl / 3, 0.1), now=False)
        # The first worker names the run; the others join it.
        run_id = None
        while run_id is None:  # (None only if the run ended between the two calls)
            self.server.set(self.keys.run, uuid.uuid4().hex, nx=True)
            run_id = self.server.get(self.keys.run)
        self.run_id = run_id.decode()
        self.df = ClusterDupeFilter(
            self.server, self.keys.dupefilter(self.run_id),
            debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=self.crawler.request_fingerprinter,
        )
        reclaimed = self._reclaim_abandoned()
        logger.info(
            "Cluster worker %s joined run %s of %s on Redis: %d request(s) queued, %d leased, %d reclaimed",
            self.identity.worker_id, self.run_id, spider.name, len(self.queue),
            self.server.hlen(self.keys.inflight), reclaimed,
        )

    def close(self, reason):
        if self.keys is None:  # open() failed: nothing of ours is in Redis
            return
        if self._heartbeat_loop is not None and self._heartbeat_loop.running:
            self._heartbeat_loop.stop()
        if self._wake_call is not None and self._wake_call.active():
            self._wake_call.cancel()
        if reason == "finished":
            self._release_own_leases()  # every request this worker took is done
        else:
            self._release_finished_leases()
        if self.leases:
            # Shut down or cancelled with requests unfinished: back in the queue for the others.
            requeued = self._requeue(keys=[self.keys.inflight, self.keys.requests], args=list(self.leases))
            self.leases.clear()
            self.stats.inc_value("newsbot/cluster/leases_requeued_on_close", requeued)
            logger.info("Cluster worker %s closing (%s): %d unfinished request(s) back in the queue",
                        self.identity.worker_id, reason, requeued)
        # Only our own heartbeat: a restarted namesake may already have replaced it.
        key = self.keys.worker(self.identity.worker_id)
        if self.server.get(key) == self.identity.token.encode():
            self.server.delete(key)

    def _heartbeat(self) -> None:
        self.server.set(self.keys.worker(self.identity.worker_id), self.identity.token,
                        px=int(self.worker_ttl * 1000))

    # -- queue -----------------------------------------------------------------
    def enqueue_request(self, request):
        # A retry or redirect of a leased request is a new request: its old lease is
        # dropped when the engine is done with the original.
        request.meta.pop(LEASE_META, None)
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        # score as scrapy-redis's PriorityQueue.push: lowest first, so -priority
        if not self._enqueue(keys=[self.df.key, self.keys.requests],
                             args=[fingerprint, -request.priority, self._encode(request)]):
            self.df.log(request, self.spider)
            self.stats.inc_value("dupefilter/filtered")
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    # The queue's wire format, as scrapy-redis's queues write it (Request.to_dict through the
    # SCHEDULER_SERIALIZER), with Scrapy's public request (de)serialization: workers of
    # other scrapy-redis versions read the same entries.
    def _encode(self, request) -> bytes:
        return self.queue.serializer.dumps(request.to_dict(spider=self.spider))

    def _decode(self, data: bytes):
        return request_from_dict(self.queue.serializer.loads(data), spider=self.spider)

    def next_request(self):
        self._release_finished_leases()
        popped = self._pop(keys=[self.keys.requests, self.keys.inflight, self.keys.lease_seq],
                           args=[self.identity.owner])
        if not popped:
            # Empty now, maybe not in a moment: a peer pushing between this pop and the
            # engine's idle check makes that check see pending requests, so spider_idle
            # (and the poll it starts) never fires and only the engine's 5 s heartbeat
            # would look again; a whole run can be over by then.
            self._wake_soon()
            return None
        lease, data = popped[0].decode(), popped[1]
        request = self._decode(data)
        request.meta[LEASE_META] = lease
        self.leases[lease] = request
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self):
        return len(self.queue) > 0

    # -- leases ----------------------------------------------------------------
    def _engine_in_progress(self):
        """Requests the engine has not finished with (downloading, parsing, in pipelines).

        Scrapy has no public signal for "done with this request"; the engine's slot set
        is that fact.  Without it (a future Scrapy), leases are released only when the
        worker is idle: still correct, a killed worker's finished work is just redone.
        """
        slot = getattr(getattr(self.crawler, "engine", None), "_slot", None)
        in_progress = getattr(slot, "inprogress", None)
        if in_progress is None and not self._warned_no_engine_slot:
            self._warned_no_engine_slot = True
            logger.warning("Cluster: cannot see the engine's requests in progress; leases released when idle")
        return in_progress

    def _release_finished_leases(self) -> None:
        in_progress = self._engine_in_progress()
        if in_progress is None:
            return
        done = [lease for lease, request in self.leases.items() if request not in in_progress]
        if done:
            self.server.hdel(self.keys.inflight, *done)
            for lease in done:
                del self.leases[lease]

    def _release_own_leases(self) -> None:
        if self.leases:
            self.server.hdel(self.keys.inflight, *self.leases)
            self.leases.clear()

    def _reclaim_abandoned(self) -> int:
        requeued = self._reclaim(keys=[self.keys.inflight, self.keys.requests], args=[self.keys.worker_prefix])
        if requeued:
            self.stats.inc_value("newsbot/cluster/leases_reclaimed", requeued)
            logger.info("Cluster: %d request(s) of stopped workers back in the queue", requeued)
        return requeued

    # -- idle: wait for the others, or finish the run with them ------------------
    def spider_idle(self, spider):
        self._release_own_leases()  # idle engine: everything this worker popped is done
        self._reclaim_abandoned()
        if self._finish(keys=[self.keys.requests, self.keys.inflight, self.keys.run],
                        args=[self.keys.dupefilter(""), self.run_id]):
            logger.info("Cluster run %s of %s is done: no request queued or leased", self.run_id, spider.name)
            return  # let the engine close the spider ("finished")
        self._wake_soon()
        raise DontCloseSpider

    def _wake_soon(self) -> None:
        # The engine looks at an idle scheduler only every 5 s; requests another worker
        # pushes meanwhile would wait.  Nudge it sooner.
        if self._wake_call is None or not self._wake_call.active():
            from twisted.internet import reactor  # the one Scrapy installed (never at import time)

            self._wake_call = reactor.callLater(self.idle_poll, self._wake)

    def _wake(self) -> None:
        slot = getattr(getattr(self.crawler, "engine", None), "_slot", None)
        if slot is not None and slot.nextcall is not None:
            slot.nextcall.schedule()
