"""Redis-backed crawl state, shared by every worker of a cluster (``-s REDIS_URL=...``).

``NEWSBOT_STATE_STORE`` in a cluster (set by :func:`newsbot.distributed.configure`).
The same public methods as :class:`~newsbot.state.sqlite.SqliteStateStore`, over keys
under ``<prefix>:<site>:`` (articles, versions, marks), plus :meth:`claim`: the one step
two workers can race on.  Every write that reads first is one Lua script, so it is atomic
on the server.

Claims.  Two workers may hold the same article (two URL spellings, or a request redone
after its worker was presumed dead).  Before writing its record a worker claims the
article: the claim fails if this content is already recorded, or if another *live*
worker holds the claim.  A claim is released by :meth:`mark_recorded` (after the record
is written).  A claim whose worker died (its heartbeat key is gone or holds a newer
token) is taken over, so a claimed-but-unwritten article is not lost; a claim also
expires (``NEWSBOT_CLAIM_TTL``) in case its worker lives on but never wrote it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from newsbot.dates import is_future
from newsbot.distributed import ClusterKeys, redis_client, worker_identity
from newsbot.output import site_of

#: seconds a claim lasts if its (live) worker never writes the record
DEFAULT_CLAIM_TTL = 600

# claim() results
CLAIMED, ALREADY_RECORDED, HELD_ELSEWHERE = 0, 1, 2

CLAIM_LUA = """
local recorded = redis.call('HGET', KEYS[1], ARGV[1])
if recorded then
  local digest = cjson.decode(recorded)['content_digest']
  if ARGV[5] == '' or digest == ARGV[5] then return 1 end
end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[2] then
  local worker, token = string.match(holder, '^(.*)|([^|]*)$')
  if worker and redis.call('GET', ARGV[3] .. worker) == token then return 2 end
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
return 0
"""

# KEYS: articles, versions, marks, claim.  ARGV: url, article JSON, version JSON, now, the
# published time the high-water mark may take ('' for none: a date far in the future is not one).
MARK_RECORDED_LUA = """
local article = cjson.decode(ARGV[2])
local previous = redis.call('HGET', KEYS[1], ARGV[1])
article['first_seen'] = previous and cjson.decode(previous)['first_seen'] or ARGV[4]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(article))
redis.call('HSET', KEYS[2], ARGV[1] .. '\\n' .. article['version'], ARGV[3])
local function id_key(id)
  if string.match(id, '^%d+$') then return 1, tonumber(id) end
  return 0, id
end
local raw = redis.call('HGET', KEYS[3], 'high_water')
local mark = raw and cjson.decode(raw) or {}
local changed = false
local id, published = article['article_id'], ARGV[5]
if type(id) == 'string' and id ~= '' then
  local old = mark['article_id']
  if type(old) ~= 'string' then
    mark['article_id'], changed = id, true
  else
    local a1, a2 = id_key(id)
    local b1, b2 = id_key(old)
    if a1 > b1 or (a1 == b1 and a2 > b2) then mark['article_id'], changed = id, true end
  end
end
if type(published) == 'string' and published ~= '' then
  local old = mark['published_at']
  if type(old) ~= 'string' or published > old then mark['published_at'], changed = published, true end
end
if changed then redis.call('HSET', KEYS[3], 'high_water', cjson.encode(mark)) end
redis.call('DEL', KEYS[4])
return 1
"""


# KEYS: faults.  ARGV: canonical url, url, kind, detail, gone (0/1), now.
MARK_FAILED_LUA = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local row = raw and cjson.decode(raw) or {attempts = 0, first_failed = ARGV[6]}
row['url'], row['kind'], row['detail'], row['gone'] = ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1'
row['attempts'] = row['attempts'] + 1
row['last_failed'] = ARGV[6]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(row))
return row['attempts']
"""


# KEYS: marks.  ARGV: run id, floor date ('' = none), now.  The first worker of a run opens
# the walk and remembers the walk an earlier run left open; its peers get the same answer.
OPEN_WALK_LUA = """
local raw = redis.call('HGET', KEYS[1], 'open_walk')
local walk = raw and cjson.decode(raw) or nil
local floor = ARGV[2] ~= '' and ARGV[2] or nil
if walk and walk['run'] == ARGV[1] then
  return cjson.encode({left_open = walk['left_open'] or false})
end
local left_open = false
if walk then
  left_open = {floor_date = walk['floor_date'], started = walk['started']}
  local old = walk['floor_date']
  if type(old) ~= 'string' or floor == nil then floor = nil elseif old < floor then floor = old end
end
redis.call('HSET', KEYS[1], 'open_walk', cjson.encode({floor_date = floor or cjson.null, started = ARGV[3],
                                                      run = ARGV[1], left_open = left_open}))
return cjson.encode({left_open = left_open})
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RedisStateStore:
    #: opened on first use: it needs the ClusterWorker extension, built after CrawlState
    #: (and its Redis was checked by the crawl command's preflight)
    opens_at_setup = False

    def __init__(self, server, site: str, keys: ClusterKeys, owner: str, claim_ttl: float = DEFAULT_CLAIM_TTL):
        self.server = server
        self.site = site
        self.keys = keys
        self.owner = owner  # "<worker id>|<token>", see newsbot.distributed.WorkerIdentity
        self.claim_ttl_ms = int(claim_ttl * 1000)
        self.versions_key = keys.versions
        self.marks_key = keys.marks
        self.faults_key = keys.faults
        self._claim = server.register_script(CLAIM_LUA)
        self._mark_recorded = server.register_script(MARK_RECORDED_LUA)
        self._open_walk = server.register_script(OPEN_WALK_LUA)
        self.closed = False
        self._ledger: RedisFaultLedger | None = None

    @classmethod
    def from_crawler(cls, crawler) -> RedisStateStore:
        settings = crawler.settings
        site = site_of(crawler.spider)
        return cls(redis_client(settings), site, ClusterKeys.from_settings(settings, site),
                   worker_identity(crawler).owner,
                   claim_ttl=settings.getfloat("NEWSBOT_CLAIM_TTL", DEFAULT_CLAIM_TTL))

    @property
    def db(self):
        """The store's database handle: here the Redis client (the SQLite store's is a connection)."""
        return self.server

    def fault_ledger(self) -> RedisFaultLedger:
        if self._ledger is None:
            self._ledger = RedisFaultLedger(self)
        return self._ledger

    def _claim_key(self, canonical_url: str) -> str:
        return self.keys.claim_prefix + hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()

    # -- articles ----------------------------------------------------------------
    def is_recorded(self, canonical_url: str) -> bool:
        return bool(self.server.hexists(self.keys.articles, canonical_url))

    def recorded(self, canonical_url: str) -> dict | None:
        """The latest recorded version of an article, or None."""
        raw = self.server.hget(self.keys.articles, canonical_url)
        if raw is None:
            return None
        row = json.loads(raw)
        keys = ("article_id", "published_at", "modified_at", "content_digest", "version", "last_seen")
        return {key: row.get(key) for key in keys}

    def claim(self, canonical_url: str, content_digest: str | None = None) -> int:
        """Claim the right to record this article (this content): :data:`CLAIMED`,
        :data:`ALREADY_RECORDED` or :data:`HELD_ELSEWHERE` (a live worker is writing it)."""
        return int(self._claim(
            keys=[self.keys.articles, self._claim_key(canonical_url)],
            args=[canonical_url, self.owner, self.keys.worker_prefix, self.claim_ttl_ms, content_digest or ""],
        ))

    def mark_recorded(self, canonical_url: str, article_id=None, published_at=None, modified_at=None,
                      content_digest=None, version: int = 1) -> None:
        """Record (a version of) an article, after its record was written; releases the claim."""
        now = _now()
        article = {"article_id": None if article_id is None else str(article_id), "published_at": published_at,
                   "modified_at": modified_at, "content_digest": content_digest, "version": int(version),
                   "last_seen": now}
        version_row = {"content_digest": content_digest, "modified_at": modified_at, "recorded_at": now}
        self._mark_recorded(
            keys=[self.keys.articles, self.versions_key, self.marks_key, self._claim_key(canonical_url)],
            args=[canonical_url, json.dumps(article), json.dumps(version_row), now,
                  "" if not published_at or is_future(published_at) else published_at],
        )

    def mark_checked(self, canonical_url: str) -> None:
        """A re-fetch found the recorded content unchanged: remember when we looked."""
        raw = self.server.hget(self.keys.articles, canonical_url)
        if raw is not None:
            row = json.loads(raw)
            row["last_seen"] = _now()
            self.server.hset(self.keys.articles, canonical_url, json.dumps(row))

    def count(self) -> int:
        return int(self.server.hlen(self.keys.articles))

    def version_count(self) -> int:
        return int(self.server.hlen(self.versions_key))

    # -- marks -------------------------------------------------------------------
    def get_mark(self, name: str):
        raw = self.server.hget(self.marks_key, name)
        return json.loads(raw) if raw is not None else None

    def set_mark(self, name: str, value) -> None:
        if value is None:
            self.server.hdel(self.marks_key, name)
        else:
            self.server.hset(self.marks_key, name, json.dumps(value))

    def high_water(self) -> dict:
        """``{"article_id": newest id, "published_at": newest published time}`` (None when empty)."""
        mark = self.get_mark("high_water") or {}
        return {"article_id": mark.get("article_id"), "published_at": mark.get("published_at")}

    def open_walk(self, floor_date: str | None) -> dict | None:
        """As :meth:`SqliteStateStore.open_walk`, once per cluster run.

        Every worker of a run opens the walk; only a walk opened by an *earlier* run counts
        as left open (a peer's is not), and all workers of the run get the same answer.
        """
        answer = json.loads(self._open_walk(keys=[self.marks_key],
                                            args=[self.run_id() or self.owner, floor_date or "", _now()]))
        return answer["left_open"] or None

    def run_id(self) -> str | None:
        """The cluster run this worker is part of: named in Redis by the first worker's
        scheduler when it opened (newsbot.distributed.scheduler), before any walk starts."""
        raw = self.server.get(self.keys.run)
        return raw.decode() if raw is not None else None

    def finish_walk(self) -> None:
        self.set_mark("open_walk", None)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.server.close()


class RedisFaultLedger:
    """:class:`newsbot.state.ledger.FaultLedger`'s methods over the cluster's Redis."""

    def __init__(self, store: RedisStateStore):
        self.store = store
        self.db = store.db
        self._mark_failed = store.server.register_script(MARK_FAILED_LUA)

    def mark_failed(self, canonical_url: str, url: str, kind: str, detail: str = "", gone: bool = False) -> int:
        return int(self._mark_failed(keys=[self.store.faults_key],
                                     args=[canonical_url, url, kind, detail or "", int(bool(gone)), _now()]))

    def _rows(self) -> dict[str, dict]:
        return {url.decode(): json.loads(raw) for url, raw in self.store.server.hgetall(self.store.faults_key).items()}

    def is_gone(self, canonical_url: str) -> bool:
        raw = self.store.server.hget(self.store.faults_key, canonical_url)
        return bool(raw is not None and json.loads(raw)["gone"])

    def failed_urls(self, max_attempts: int) -> list[str]:
        """Articles that failed (not gone, not recorded since) fewer than ``max_attempts`` times."""
        rows = {canonical: row for canonical, row in self._rows().items()
                if not row["gone"] and row["attempts"] < max_attempts}
        if not rows:
            return []
        canonicals = sorted(rows, key=lambda c: (rows[c]["first_failed"], c))
        recorded = self.store.server.hmget(self.store.keys.articles, canonicals)
        return [rows[c]["url"] for c, done in zip(canonicals, recorded) if done is None]

    def faults(self) -> dict[str, tuple[str, bool, int]]:
        """canonical URL -> (kind, gone, attempts), for reports and tests."""
        return {c: (row["kind"], bool(row["gone"]), row["attempts"]) for c, row in self._rows().items()}
