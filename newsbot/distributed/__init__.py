"""Running one spider as N cooperating workers on a shared Redis (``-s REDIS_URL=...``).

The switch is one setting: when ``REDIS_URL`` is set, :class:`newsbot.addon.NewsbotAddon`
swaps in :class:`~newsbot.distributed.scheduler.ClusterScheduler` (scrapy-redis's
scheduler and duplicate filter, with leases so a killed worker loses nothing), the Redis
state store (:mod:`newsbot.distributed.state`, as ``NEWSBOT_STATE_STORE``), the claim
pipeline and the :class:`ClusterWorker` extension.  Without it nothing here is imported.

Every key lives under ``<NEWSBOT_REDIS_PREFIX>:<spider>:`` (see :class:`ClusterKeys`);
docs/cluster.md describes them and how to run a cluster.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

DEFAULT_PREFIX = "newsbot"
#: seconds a worker counts as alive after its last heartbeat
DEFAULT_WORKER_TTL = 15.0


def cluster_enabled(settings) -> bool:
    return bool(settings.get("REDIS_URL"))


def redis_client(settings):
    """A Redis client from ``REDIS_URL`` / ``REDIS_PARAMS``, as scrapy-redis builds it."""
    from scrapy_redis.connection import get_redis_from_settings

    return get_redis_from_settings(settings)


def redis_address(server) -> str:
    """Where a client points, for messages (never the password in REDIS_URL)."""
    kwargs = server.connection_pool.connection_kwargs
    if kwargs.get("path"):
        return f"unix:{kwargs['path']} db {kwargs.get('db', 0)}"
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"


def redis_url_setting(settings) -> str:
    """Where ``REDIS_URL`` came from, as the user set it: the setting or the environment."""
    from scrapy.settings import SETTINGS_PRIORITIES

    from_environment = (os.environ.get("NEWSBOT_REDIS_URL") == settings.get("REDIS_URL")
                        and settings.getpriority("REDIS_URL") <= SETTINGS_PRIORITIES["project"])
    return "NEWSBOT_REDIS_URL" if from_environment else "REDIS_URL"


def checked_redis_client(settings):
    """:func:`redis_client`, a URL redis-py cannot read (a port that is no number, an
    unknown scheme, a bad option) being one :class:`~scrapy.exceptions.UsageError` line
    with the password masked, not a traceback that prints it."""
    from scrapy.exceptions import UsageError

    from newsbot.urls import redact_credentials

    url = str(settings.get("REDIS_URL"))
    try:
        return redis_client(settings)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        password = _password(url)
        if password:
            message = message.replace(password, "***")
        raise UsageError(f"{redis_url_setting(settings)}: not a usable Redis URL: "
                         f"{redact_credentials(url)!r} ({message})") from None


def _password(url: str) -> str | None:
    userinfo = url.partition("://")[2].split("/", 1)[0].rpartition("@")[0]
    return userinfo.partition(":")[2] or None


def check_cluster_settings(settings) -> None:
    """Before a worker starts: a usable queue class and a Redis that answers, else one
    :class:`~scrapy.exceptions.UsageError` line (the crawl command's preflight)."""
    from redis.exceptions import RedisError
    from scrapy.exceptions import UsageError
    from scrapy.utils.misc import load_object
    from scrapy_redis.queue import PriorityQueue

    queue_cls = settings.get("SCHEDULER_QUEUE_CLASS")
    if queue_cls and not issubclass(load_object(queue_cls), PriorityQueue):  # the lease scripts pop a sorted set
        raise UsageError(f"SCHEDULER_QUEUE_CLASS {queue_cls}: a cluster needs scrapy_redis.queue.PriorityQueue")
    server = checked_redis_client(settings)
    try:
        server.ping()
    except RedisError as exc:
        raise UsageError(f"{redis_url_setting(settings)}: no Redis at {redis_address(server)} ({exc})") from None
    finally:
        server.close()


@dataclass(frozen=True)
class WorkerIdentity:
    """Who holds a lease or a claim: a stable name plus a token new in every process.

    The token is what proves liveness (the heartbeat key holds it), so a worker restarted
    under the same ``NEWSBOT_WORKER_ID`` at once recognises its previous life's leases
    and claims as abandoned, without waiting for the heartbeat to expire.
    """

    worker_id: str
    token: str

    @property
    def owner(self) -> str:
        return f"{self.worker_id}|{self.token}"


class ClusterWorker:
    """Extension: this process's :class:`WorkerIdentity`, one per crawl, shared by the
    scheduler (leases) and the state store (claims)."""

    def __init__(self, crawler):
        self.identity = WorkerIdentity(str(crawler.settings["NEWSBOT_WORKER_ID"]), uuid.uuid4().hex)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


def worker_identity(crawler) -> WorkerIdentity:
    worker = crawler.get_extension(ClusterWorker)
    if worker is None:
        raise RuntimeError("cluster mode (REDIS_URL) needs the newsbot.distributed.ClusterWorker extension")
    return worker.identity


class ClusterKeys:
    """Redis key names of one spider's cluster state."""

    def __init__(self, prefix: str, spider: str):
        base = f"{prefix}:{spider}"
        self.requests = f"{base}:requests"        # zset: the shared request queue (scrapy-redis)
        self.inflight = f"{base}:inflight"        # hash: lease -> serialized request
        self.lease_seq = f"{base}:lease-seq"      # counter for lease names
        self.run = f"{base}:run"                  # string: id of the run in progress
        self.worker_prefix = f"{base}:worker:"    # + worker id -> token (expires)
        self.articles = f"{base}:articles"        # hash: canonical URL -> recorded article (JSON)
        self.claim_prefix = f"{base}:claim:"      # + sha1(canonical URL) -> owner (expires)
        self.versions = f"{base}:versions"        # hash: canonical URL + "\n" + version -> JSON
        self.marks = f"{base}:marks"              # hash: mark name (high_water, ...) -> JSON
        self.faults = f"{base}:faults"            # hash: canonical URL -> failed fetch (JSON)

    def dupefilter(self, run_id: str) -> str:
        return f"{self.requests.rsplit(':', 1)[0]}:dupefilter:{run_id}"

    def worker(self, worker_id: str) -> str:
        return self.worker_prefix + worker_id

    @classmethod
    def from_settings(cls, settings, spider: str) -> ClusterKeys:
        return cls(settings.get("NEWSBOT_REDIS_PREFIX") or DEFAULT_PREFIX, spider)


def configure(settings) -> None:
    """What ``REDIS_URL`` switches (called by :class:`newsbot.addon.NewsbotAddon`).

    "spider" priority: above settings.py, still below a command line ``-s``.
    """
    settings.set("SCHEDULER", "newsbot.distributed.scheduler.ClusterScheduler", priority="spider")
    settings.set("NEWSBOT_STATE_STORE", "newsbot.distributed.state.RedisStateStore", priority="spider")
    # The worker's name: in its leases and claims, and in every file it writes (output.file_tag).
    if not settings.get("NEWSBOT_WORKER_ID"):
        settings.set("NEWSBOT_WORKER_ID", f"{socket.gethostname()}-{os.getpid()}", priority="spider")
    settings.set_in_component_priority_dict("EXTENSIONS", ClusterWorker, 0)
    settings.set("DUPEFILTER_CLASS", "newsbot.distributed.scheduler.ClusterDupeFilter", priority="spider")
    # The queue and the run's filter outlive any one worker; the last one out cleans up.
    settings.set("SCHEDULER_PERSIST", True, priority="spider")
    from newsbot.distributed.pipeline import CLAIM_PIPELINE_PRIORITY, ClaimPipeline

    settings.set_in_component_priority_dict("ITEM_PIPELINES", ClaimPipeline, CLAIM_PIPELINE_PRIORITY)
