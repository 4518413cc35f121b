// The shared store for several server instances: sessions in Redis (or Valkey), every operation
// one round trip, every rule that two instances could race applied atomically in a Lua script.
// Web standards only (Web Crypto, TextDecoder, performance.now): the node-redis client is the
// app's, passed in.
//
// Redis Cluster (docs/redis.md, Redis Cluster). A script may touch keys of one hash slot only.
// So the store is cut into `shards`, each one `{hash tag}` (redis-shards.ts): a session's record,
// its shard's deadline index and its shard's index of that subject's sessions share a tag, and
// every script runs inside one shard. A session's shard is CRC16(key) mod shards (the key is
// already a SHA-256 digest), so get, extend, update and delete stay one command to one
// master. The scripts name the index (and the record) in KEYS and reach the records an index
// lists as prefix + member: those share the index's tag, so they are in the slot the script was
// routed to, which Cluster allows. What spans shards, and is no longer one atomic step:
// - listSubject reads every shard (in parallel); each shard's part is exact.
// - revoke runs in every shard holding the subject (named keys: only theirs); each session is
//   handed out once, but a sign-in on another shard may land between two shards' revokes (as it
//   could just after an atomic one). A shard that fails makes the call fail (503, the user
//   retries); what the other shards removed is then not reported.
// - create, with a per-subject limit or the cap: reads every shard's count and the subject's
//   sessions, creates in the session's shard, then removes the subject's oldest past the limit
//   where they are (marked 'replaced'). Concurrent sign-ins of one subject can leave it over its
//   limit, and concurrent sign-ins can pass the cap, by how many run at once: both are enforced
//   again by the next sign-in (eventually, not atomically).
// - takeExpired peeks at every shard's due entries and claims from each its share of the
//   globally oldest, so no shard's ended sessions wait behind another's; each claim is one
//   shard's atomic script, so every ended session is still handed out exactly once.
// One shard (the default) is the prefix itself: today's keys, unchanged, so an upgrade keeps
// everyone signed in, and every operation is the single atomic script it always was.
//
// Failover: Redis replicates asynchronously, so a write the master acknowledged can be missing on
// the replica that replaces it. `waitForReplicas` sends WAIT after writes that create or remove
// sessions (not keepalives: they stay one round trip); see #replicated for what a shortfall does.
import { check, integerAtLeast } from './option-checks.ts';
import { RedisClock } from './redis-clock.ts';
import { INDEX_SUFFIX, MAX_SHARDS, SUBJECT_INFIX, shardIndexOf, shardsOf, subjectIndexOf, type RedisShard } from './redis-shards.ts';
import { createWithdrawal } from './redis-withdrawal.ts';
import {
  removedSession,
  SessionStoreFullError,
  SessionStoreUnavailableError,
  type ExpiredSession,
  type RemovalMark,
  type RemovedSession,
  type RevokeSelection,
  type SessionLookupResult,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
} from './store.ts';

const OWNER = 'RedisSessionStore';

/** The arguments node-redis takes for `EVAL` / `EVALSHA`. */
export interface RedisScriptOptions {
  keys: string[];
  arguments: string[];
}

/**
 * The part of a node-redis client (`createClient()`, v5 or v6) or cluster client
 * (`createCluster()`) that the store uses. Pass the app's own connected client.
 */
export interface RedisSessionClient {
  hmGet(key: string, fields: string[]): Promise<unknown>;
  evalSha(sha1: string, options: RedisScriptOptions): Promise<unknown>;
  eval(script: string, options: RedisScriptOptions): Promise<unknown>;
  withCommandOptions(options: { timeout: number; abortSignal?: AbortSignal }): RedisSessionClient;
  /** node-redis's: connected and writing commands to Redis (not queueing them offline). */
  readonly isReady?: boolean;
  /**
   * A cluster client's connection to the master of a key's slot, where `waitForReplicas` sends
   * WAIT (it must follow the write on the connection that wrote). A single-node client is that
   * connection itself.
   */
  getNodeClientForKey?(key: string): Promise<RedisNodeConnection>;
}

/** One connection to one Redis node (a node-redis client): enough to send WAIT. */
export interface RedisNodeConnection {
  sendCommand(args: string[]): Promise<unknown>;
}

export interface RedisSessionStoreOptions {
  /** A connected node-redis client (or cluster client). The app owns it: connects and closes it. */
  client: RedisSessionClient;
  /**
   * Prepended to every key. Default `idle-logout:{sessions}:`. Keep a `{hash tag}` in it on Redis
   * Cluster: the scripts touch a session's key and its shard's indexes together, which Cluster
   * allows only within one hash slot. Give each app (or environment) sharing a Redis its own prefix.
   */
  prefix?: string;
  /**
   * How many hash tags (shards) sessions are spread over: on Redis Cluster, k masters then carry
   * k shares of them. Default 1: every key under the prefix's one tag, as every release before
   * sharding wrote them. Changing it on a running Redis signs everyone out once (docs/redis.md,
   * Redis Cluster). At most 256: a sign-in with a per-subject limit reads every shard.
   */
  shards?: number;
  /**
   * After every write that creates or removes a session or changes its data (sign-in, sign-out,
   * revoke, sweep claim, update), wait until this many replicas have it (Redis WAIT, within the
   * time bound) before answering, so a failover cannot undo what the app was told; fewer answer
   * 503. Keepalives do not wait (docs/redis.md, Failover). Default 0: Redis's asynchronous
   * replication, as before. Set it only when every master has that many replicas.
   */
  waitForReplicas?: number;
  /**
   * With `waitForReplicas`, how long one WAIT may take, in ms. WAIT blocks the connection it is sent
   * on (every command behind it waits), so keep it short; a replica that is up confirms in about a
   * round trip, but a busy machine can pause it for longer (then that shard answers 503 to sign-ins
   * for a second). Default 100.
   */
  replicaWaitMs?: number;
  /**
   * How long Redis keeps a session's record after the session ended, so that the sweeper of some
   * instance can still claim it and fire `onSessionEnd` when every instance was down at the
   * deadline. Past it Redis drops the record: the session stays ended, but its callback is lost.
   * Default 3 600 000 (1 h).
   */
  expiryGraceMs?: number;
  /**
   * Most sessions held at once, ended-but-uncollected ones included; at the cap sign-in answers 503
   * instead of evicting anyone. Default 1 000 000: about 0.6 GB of Redis memory at the ~600 bytes a
   * session takes with its index entries (docs/redis.md, Sizing), so a default Redis never grows
   * without bound; with `maxSessionsPerSubject` only that many distinct users can fill it.
   */
  maxSessions?: number;
  /** Where a warning about this server's clock and Redis's goes (docs/redis.md, Clocks). Default `console`. */
  logger?: Pick<Console, 'warn'>;
}

const DEFAULT_PREFIX = 'idle-logout:{sessions}:';
const DEFAULT_EXPIRY_GRACE_MS = 3_600_000;
const DEFAULT_MAX_SESSIONS = 1_000_000;
// How long WAIT may take by default. A replica that is up confirms in about a round trip; WAIT
// blocks the connection it is sent on (every command behind it waits), so a master without its
// replicas must not hold that connection for long.
const DEFAULT_REPLICA_WAIT_MS = 100;
// After a WAIT fell short, how long the shard counts as short of replicas without asking again:
// sign-ins and data updates there answer 503 at once, removals go unconfirmed (docs/redis.md).
const UNCONFIRMED_RECHECK_MS = 1_000;
// The time bound of a store no createIdleSession adopted (scripts, tests): the default storeTimeoutMs.
const DEFAULT_TIME_LIMIT_MS = 2_000;
// Index entries one takeExpired script looks at before it hands control back to Redis: a backlog
// of re-scores (sessions extended since they were indexed) must not block Redis for long.
const EXAMINE_BUDGET = 1_000;

// A record is a Redis hash. Fields, in the order every script returns them: subject, data (JSON,
// absent when the session has none), created, idle deadline, absolute deadline, display (JSON,
// absent when none). A session removed by `create` or `revoke` while live leaves its key behind
// as a hash with the one field `x` (the RemovalMark), expiring when the session would have ended:
// get and extend read it with the fields, so a miss answers the mark in the same round trip; no
// other script reads a record without `s`. Numbers are kept as
// the decimal strings JavaScript wrote; the scripts compare them but only ever copy a string that
// is already there, never format one (Lua 5.1 prints numbers with 14 significant digits), and
// never decode `data` (cjson turns an empty array into an object).
const FIELDS = ['s', 'd', 'c', 'i', 'a', 'v'];
const MARK_FIELD = 'x';
const FIELDS_AND_MARK = [...FIELDS, MARK_FIELD];

// The sign-in, keepalive and sweep scripts start with the same two arguments: when the app sent
// the command, in Redis's clock (converted with the offset RedisClock measures), and the time
// bound (ms, 0 = none). A command can reach Redis late: a stalled link, a GC pause, a TCP retransmit, Redis
// itself busy. So a script judges "now" at the time Redis runs it (the app's now plus the time the
// command spent in transit, by Redis's clock: TIME in a script is replicated by effect since Redis
// 5), and refuses work that arrives later than the bound, by when the caller has answered 503.
// These are statements, not local functions: a script's functions are made anew on every call,
// which cost Redis about 1.3 µs per keepalive (INFO commandstats over 50 000 calls).
const LATENESS = `
local time = redis.call('TIME')
local late = math.max(0, tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000 - tonumber(ARGV[1]))
local bound = tonumber(ARGV[2])
local tooLate = bound > 0 and late > bound
`;

/**
 * Lua statements (after LATENESS) that read the record at KEYS[1] into `f` and the time now as
 * Redis runs this (the sender's now, ARGV[nowArgument], plus the time in transit) into `now`; when
 * the record is gone or no longer live then, the script returns `whenNotLive`, where `f[7]` is the
 * removal mark (false when there is none), read in the same HMGET so that a miss costs no second
 * round trip.
 */
function readLive(nowArgument: number, whenNotLive: string): string {
  return `
local f = redis.call('HMGET', KEYS[1], 's', 'd', 'c', 'i', 'a', 'v', '${MARK_FIELD}')
local now = tonumber(ARGV[${nowArgument}]) + late
if not f[1] or math.min(tonumber(f[4]), tonumber(f[5])) <= now then return ${whenNotLive} end
f[7] = nil
`;
}

// What the scripts that touch a subject's index share. Record keys are the deadline index key
// minus its suffix plus the member (so a client-side keyPrefix applies to them too), and share
// the index's hash tag. Every removal goes through removeSession, which keeps both indexes in
// step with the record in the same script.
const SESSIONS = `
local SUFFIX, SUBJECT = '${INDEX_SUFFIX}', '${SUBJECT_INFIX}'
local function prefixOf(index) return string.sub(index, 1, #index - #SUFFIX) end
local function fieldsOf(key) return redis.call('HMGET', key, 's', 'd', 'c', 'i', 'a', 'v') end
local function endsAtOf(f) return math.min(tonumber(f[4]), tonumber(f[5])) end
-- Deletes the record and its index entries; leaves the mark when the session was live at now.
local function removeSession(prefix, index, member, f, now, mark)
  local key = prefix .. member
  redis.call('DEL', key)
  redis.call('ZREM', index, member)
  redis.call('ZREM', prefix .. SUBJECT .. f[1], member)
  local endsAt = endsAtOf(f)
  if mark and endsAt > now then
    redis.call('HSET', key, '${MARK_FIELD}', mark)
    redis.call('PEXPIRE', key, math.ceil(endsAt - now))
  end
end
-- The subject's sessions, oldest first, as {member, fields}; drops entries whose record is gone
-- (Redis dropped it when its TTL fired): the index never keeps an orphan past the next look.
local function sessionsOf(prefix, subjectIndex)
  local found = {}
  for _, member in ipairs(redis.call('ZRANGE', subjectIndex, 0, -1)) do
    local f = fieldsOf(prefix .. member)
    if f[1] then found[#found + 1] = {member, f} else redis.call('ZREM', subjectIndex, member) end
  end
  return found
end
local function handOut(out, member, f)
  out[#out + 1] = member
  for i = 1, 6 do out[#out + 1] = f[i] end
end
`;

// KEYS: record, index, subject index. ARGV: sentAt, bound, member, subject, created, idle,
// absolute, endsAt, ttlMs, maxSessions, maxPerSubject, subject index ttlMs, data, display (''
// when none). Returns {'ok', member, fields x6, ...} with the sessions it replaced, or {reason}.
// The subject at its limit frees its oldest slots first, so it never meets the global cap; the
// cap is checked before anything is removed, so a refused sign-in changes nothing.
const CREATE = `${LATENESS}${SESSIONS}
if tooLate then return {'late'} end
if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
local prefix, now = prefixOf(KEYS[2]), tonumber(ARGV[5]) + late
local perSubject = tonumber(ARGV[11])
-- Without a limit there is nothing to replace, and the subject's set is not read at all.
local held, surplus = {}, 0
if perSubject > 0 then
  held = sessionsOf(prefix, KEYS[3])
  surplus = math.max(0, #held - perSubject + 1)
end
local max = tonumber(ARGV[10])
if max > 0 and redis.call('ZCARD', KEYS[2]) - surplus >= max then return {'full'} end
local out = {'ok'}
for n = 1, surplus do
  removeSession(prefix, KEYS[2], held[n][1], held[n][2], now, 'replaced')
  handOut(out, held[n][1], held[n][2])
end
redis.call('HSET', KEYS[1], 's', ARGV[4], 'c', ARGV[5], 'i', ARGV[6], 'a', ARGV[7])
if ARGV[13] ~= '' then redis.call('HSET', KEYS[1], 'd', ARGV[13]) end
if ARGV[14] ~= '' then redis.call('HSET', KEYS[1], 'v', ARGV[14]) end
redis.call('PEXPIRE', KEYS[1], ARGV[9])
redis.call('ZADD', KEYS[2], ARGV[8], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[3])
-- The subject index lives as long as its longest-lived record can (absolute deadline + grace),
-- so a subject who never comes back leaves nothing behind.
if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[12]) then redis.call('PEXPIRE', KEYS[3], ARGV[12]) end
return out
`;

// KEYS: subject index, index. Returns {sessions in the index, member, fields x6, ...}, oldest
// first; the caller keeps the live ones (judged like get, with the server's now). The count is
// what a sign-in on a sharded store checks the cap against (the sum over the shards).
const LIST = `${SESSIONS}
local out = {redis.call('ZCARD', KEYS[2])}
for _, found in ipairs(sessionsOf(prefixOf(KEYS[2]), KEYS[1])) do handOut(out, found[1], found[2]) end
return out
`;

// KEYS: subject index, index. ARGV: sentAt, bound, now, 'only' | 'except', mark, member...
// Removes the subject's sessions named (only) or not named (except), marking the live ones with
// the mark ('revoked', or 'replaced' when a sharded store's sign-in frees its subject's oldest
// slots in other shards); only members of this subject's index can be touched. Never refused for arriving late, like a
// sign-out: what Redis receives lands and is reported once.
const REVOKE = `${LATENESS}${SESSIONS}
local prefix, now = prefixOf(KEYS[2]), tonumber(ARGV[3]) + late
local named = {}
for n = 6, #ARGV do named[ARGV[n]] = true end
local only = ARGV[4] == 'only'
local out = {'done'}
for _, found in ipairs(sessionsOf(prefix, KEYS[1])) do
  if (named[found[1]] == true) == only then
    removeSession(prefix, KEYS[2], found[1], found[2], now, ARGV[5])
    handOut(out, found[1], found[2])
  end
end
return out
`;

// KEYS: record. ARGV: sentAt, bound, now, data ('' removes it). Only while live at the time
// Redis runs it, like extend; never extends, never revives.
const UPDATE = `${LATENESS}
if tooLate then return 'late' end
${readLive(3, 'false')}if ARGV[4] == '' then
  redis.call('HDEL', KEYS[1], 'd')
  f[2] = false
else
  redis.call('HSET', KEYS[1], 'd', ARGV[4])
  f[2] = ARGV[4]
end
return f
`;

// KEYS: record. ARGV: sentAt, bound, proposed idle deadline, now, grace ms. Returns the fields,
// 'late', the removal mark when the session is gone but marked, or nil. The store's one rule
// (session.ts extendedIdleDeadline; the contract suite holds this copy to it and to the cases in
// server/testing/deadline-rule.ts): never earlier, never past the absolute deadline, only while
// live at the time Redis runs it; never creates. A keepalive that left while the session was live
// but arrives after its end must not revive it: another instance may already have answered 401.
// The deadline index keeps the old, earlier score: takeExpired re-scores it when it comes due,
// and the subject index is scored by createdAt and outlives the record by itself, so keepalives,
// the hot path, do no index work.
const EXTEND = `${LATENESS}
if tooLate then return 'late' end
${readLive(4, 'f[7]')}local idle, absolute = tonumber(f[4]), tonumber(f[5])
local proposed = tonumber(ARGV[3])
local nextIdle, nextText = idle, f[4]
if proposed > nextIdle then nextIdle, nextText = proposed, ARGV[3] end
if nextIdle > absolute then nextIdle, nextText = absolute, f[5] end
if nextIdle ~= idle then
  redis.call('HSET', KEYS[1], 'i', nextText)
  redis.call('PEXPIRE', KEYS[1], math.ceil(math.min(nextIdle, absolute) - now) + tonumber(ARGV[5]))
  f[4] = nextText
end
return f
`;

// KEYS: record, index. ARGV: member. Atomic, so exactly one caller gets the record back. Never
// refused for arriving late: a sign-out Redis receives lands, and the server reports it once.
// Under maxmemory it frees only (DEL and ZREM are not deny-oom commands), so it works when full.
const DELETE = `${SESSIONS}
local f = fieldsOf(KEYS[1])
if not f[1] then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return false
end
removeSession(prefixOf(KEYS[2]), KEYS[2], ARGV[1], f, 0, false)
return f
`;

// KEYS: index. ARGV: sentAt, bound, now, limit, budget. Claims up to limit ended
// sessions, oldest deadline first, each exactly once across all instances. Returns
// {status, member, fields x6, ...} where status is 'more' when the budget ran out before the due
// entries did, or {'late'}.
//
// The sweeper is what frees a full Redis (maxmemory + noeviction, docs/redis.md), so it must run
// when Redis refuses writes. Redis 7 refuses a whole script declared with flags unless it allows
// OOM, and a script without flags at its first deny-oom write, if it has not written before
// (scriptVerifyOOM in Redis's src/script.c). So the script declares `allow-oom` (it only deletes,
// and re-scores members already in the index, which needs no new memory), and frees first
// anyway: extended sessions are skipped past while claiming and re-scored at the end.
const TAKE_EXPIRED = `#!lua flags=allow-oom
${LATENESS}${SESSIONS}
if tooLate then return {'late'} end
local index = KEYS[1]
local prefix = prefixOf(index)
local now, limit, budget = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local out, taken, examined = {'done'}, 0, 0
local rescore = {} -- score, member, ...: sessions extended since they were indexed
while taken < limit and out[1] == 'done' do
  -- Skipped (extended) entries stay in the index until the end, at the lowest ranks.
  local due = redis.call('ZRANGEBYSCORE', index, '-inf', ARGV[3], 'LIMIT', #rescore / 2, limit - taken)
  if #due == 0 then break end
  for _, member in ipairs(due) do
    if examined >= budget then out[1] = 'more'; break end
    examined = examined + 1
    local key = prefix .. member
    local f = fieldsOf(key)
    if not f[1] then
      -- Deleted, or dropped by Redis past the grace period: nothing left to hand out.
      redis.call('ZREM', index, member)
    else
      local idle, absolute = tonumber(f[4]), tonumber(f[5])
      local endsAt, endsText = idle, f[4]
      if absolute < idle then endsAt, endsText = absolute, f[5] end
      if endsAt > now then
        rescore[#rescore + 1] = endsText
        rescore[#rescore + 1] = member
      else
        removeSession(prefix, index, member, f, now, false)
        handOut(out, member, f)
        taken = taken + 1
      end
    end
  end
end
if #rescore > 0 then redis.call('ZADD', index, 'XX', unpack(rescore)) end
return out
`;

// KEYS: index. ARGV: now, limit. The first `limit` index entries due at now, with their scores:
// what a sharded store reads from every shard to claim the oldest ended sessions first, whichever
// shard they are in. Entries of sessions extended since they were indexed are among them (the
// claim re-scores those), so a peek may promise more than the claim then finds.
const PEEK_DUE = `return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])`;

// Redis's clock, for the store to measure its offset from the app's. KEYS: the first shard's index
// (only so that a Cluster client sends it to a master that holds sessions).
const TIME = `return redis.call('TIME')`;

interface Script {
  source: string;
  sha1: Promise<string>;
  /** The same, once known: every call but the first sends without awaiting it. */
  sha1Known?: string;
}

async function sha1Hex(source: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(source));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

function script(source: string): Script {
  const made: Script = { source, sha1: sha1Hex(source) };
  made.sha1.then((sha1) => (made.sha1Known = sha1)).catch(() => {}); // a failure surfaces where sha1 is awaited
  return made;
}

const decoder = new TextDecoder();

/** A reply string, whatever type mapping the app's client uses (strings by default, or buffers). */
function text(reply: unknown): string | undefined {
  if (reply === null || reply === undefined || reply === false) return undefined;
  if (typeof reply === 'string') return reply;
  if (reply instanceof Uint8Array) return decoder.decode(reply);
  return String(reply);
}

/** What a miss answers for the mark field's reply: Redis expires a mark when the session would have ended, so no `now` is needed. */
function removedBy(reply: unknown): RemovedSession | undefined {
  const mark = text(reply);
  return mark === 'revoked' || mark === 'replaced' ? removedSession(mark) : undefined;
}

function recordFrom(fields: readonly unknown[]): SessionRecord | undefined {
  const subject = text(fields[0]);
  if (subject === undefined) return undefined;
  const record: SessionRecord = {
    subject,
    createdAt: Number(text(fields[2])),
    idleDeadlineAt: Number(text(fields[3])),
    absoluteDeadlineAt: Number(text(fields[4])),
  };
  const data = text(fields[1]);
  if (data !== undefined) record.data = JSON.parse(data);
  const display = text(fields[5]);
  if (display !== undefined) record.display = JSON.parse(display);
  return record;
}

/** A script's list of sessions: {status, member, fields x6, member, fields x6, ...}. */
function sessionsFrom(reply: unknown): { sessions: StoredSession[]; status: string | undefined } {
  if (!Array.isArray(reply)) throw new Error('RedisSessionStore: unexpected reply from a script');
  const sessions: StoredSession[] = [];
  for (let i = 1; i + FIELDS.length < reply.length; i += FIELDS.length + 1) {
    const record = recordFrom(reply.slice(i + 1, i + 1 + FIELDS.length));
    if (record) sessions.push({ key: text(reply[i])!, record });
  }
  return { sessions, status: text(reply[0]) };
}

function isNoScriptError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** Redis before 7.0 reads a script's `#!lua flags=…` line as Lua, and fails to compile it. */
function isFlagsUnsupportedError(error: unknown): boolean {
  return error instanceof Error && error.message.includes("unexpected symbol near '#'");
}


const endsAtOf = (record: SessionRecord): number => Math.min(record.idleDeadlineAt, record.absoluteDeadlineAt);
/** Sessions from several shards in the order one shard's index keeps them: by score, then key. */
const byCreatedAt = (a: StoredSession, b: StoredSession) => a.record.createdAt - b.record.createdAt || (a.key < b.key ? -1 : 1);
const byEnd = (a: StoredSession, b: StoredSession) => endsAtOf(a.record) - endsAtOf(b.record) || (a.key < b.key ? -1 : 1);
// Peek-then-claim rounds one sharded takeExpired makes at most: a round falls short only when the
// peek saw entries of extended sessions (which the claim re-scores) or another instance was faster.
const MAX_CLAIM_ROUNDS = 8;

/**
 * Sessions in Redis, shared by every server instance that uses the same Redis and prefix. Each
 * operation is one round trip; extend, delete and the expiry claim are Lua scripts, so instances
 * cannot race them, and every ended session reaches `onSessionEnd` on exactly one instance.
 * Deadlines are the servers' clocks (`now`); a script judges them at the time Redis runs it, and
 * refuses work that reaches Redis later than the server's `storeTimeoutMs` after it was sent.
 * The store measures its clock against Redis's and warns when they differ by more than 1 s
 * (redis-clock.ts): keep instances NTP-synced. With `shards`, sessions spread over that many hash
 * tags (Redis Cluster capacity); a session's own operations stay one script on one shard.
 *
 * Exported from `idle-logout/server/redis`; docs/redis.md covers deployment.
 *
 * @example
 * import { createClient } from 'redis';
 *
 * const client = createClient({ url: 'redis://127.0.0.1:6379', disableOfflineQueue: true });
 * client.on('error', (error) => console.error('redis', error));
 * await client.connect();
 * const idle = createIdleSession({ store: new RedisSessionStore({ client }) });
 */
export class RedisSessionStore implements SessionStore {
  readonly prefix: string;
  readonly shards: number;
  readonly expiryGraceMs: number;
  readonly maxSessions: number;
  readonly waitForReplicas: number;
  readonly replicaWaitMs: number;
  /** The one time bound (the server's storeTimeoutMs), once a createIdleSession adopted the store. */
  #timeLimitMs: number | undefined;
  /** The app's client as given: sign-outs wait for their answer however late (the server reports it). */
  #appClient: RedisSessionClient;
  /** The client for this moment's commands: withdrawn while still queued in node-redis once the time bound passes. */
  #client: () => RedisSessionClient;
  #shardKeys: RedisShard[];
  #redisClock: RedisClock;
  #logger: Pick<Console, 'warn'>;
  /** Per shard, until when (performance.now()) its master is known to lack the replicas asked for. */
  #unconfirmedUntil = new Map<RedisShard, number>();
  #scripts = {
    create: script(CREATE),
    list: script(LIST),
    revoke: script(REVOKE),
    update: script(UPDATE),
    extend: script(EXTEND),
    delete: script(DELETE),
    takeExpired: script(TAKE_EXPIRED),
    peekDue: script(PEEK_DUE),
    time: script(TIME),
  };

  constructor(options: RedisSessionStoreOptions) {
    const { client } = options;
    check(
      typeof client?.evalSha === 'function' && typeof client.withCommandOptions === 'function',
      OWNER,
      'client must be a node-redis client, e.g. createClient() from "redis"',
    );
    check(
      !('commandTimeoutMs' in options),
      OWNER,
      "commandTimeoutMs is gone. createIdleSession's storeTimeoutMs (default 2000) is the one time bound of every store call, and the store follows it: remove commandTimeoutMs and set storeTimeoutMs instead.",
    );
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    check(typeof this.prefix === 'string', OWNER, 'prefix must be a string');
    this.shards = integerAtLeast(1, OWNER, 'shards', options.shards ?? 1);
    check(this.shards <= MAX_SHARDS, OWNER, `shards must be at most ${MAX_SHARDS} (a sign-in with a per-subject limit reads every shard)`);
    this.expiryGraceMs = integerAtLeast(0, OWNER, 'expiryGraceMs', options.expiryGraceMs ?? DEFAULT_EXPIRY_GRACE_MS);
    this.maxSessions = integerAtLeast(1, OWNER, 'maxSessions', options.maxSessions ?? DEFAULT_MAX_SESSIONS);
    this.waitForReplicas = integerAtLeast(0, OWNER, 'waitForReplicas', options.waitForReplicas ?? 0);
    this.replicaWaitMs = integerAtLeast(1, OWNER, 'replicaWaitMs', options.replicaWaitMs ?? DEFAULT_REPLICA_WAIT_MS);
    check(
      this.waitForReplicas === 0 || typeof client.getNodeClientForKey === 'function' || typeof (client as Partial<RedisNodeConnection>).sendCommand === 'function',
      OWNER,
      'waitForReplicas needs a node-redis client or cluster client (it sends WAIT); pass one, or leave waitForReplicas at 0',
    );
    this.#appClient = client;
    this.#client = () => client;
    this.#shardKeys = shardsOf(this.prefix, this.shards);
    this.#logger = options.logger ?? console;
    this.#redisClock = new RedisClock(() => this.#redisTime(), this.#logger);
  }

  /** Follows the server's `storeTimeoutMs` (createIdleSession calls this; see SessionStore). */
  adoptTimeLimit(limitMs: number): void {
    if (this.#timeLimitMs !== undefined && this.#timeLimitMs !== limitMs) {
      throw new Error(
        `RedisSessionStore: this store already serves a createIdleSession with storeTimeoutMs ${this.#timeLimitMs}, not ${limitMs}. Give every createIdleSession that shares a store the same storeTimeoutMs, or each its own store.`,
      );
    }
    this.#timeLimitMs = limitMs;
    // `timeout: 0` turns off node-redis's own per-command timer (redis-withdrawal.ts). Withdrawal
    // only reaches commands still queued (offline queue); the scripts refuse the late ones that
    // were sent. A signal is not free: node-redis adds and removes an abort listener on it for every
    // command, 4–6 µs of CPU each (server/redis-withdrawal.ts). So a client that fails its commands
    // at once while Redis is away (disableOfflineQueue, as docs/redis.md recommends) never gets
    // one, and a queueing single-node client only while it is not ready (Redis away: what it is
    // given then waits in the offline queue). A cluster client's `isReady` speaks for its view of
    // the slots, not for each master's connection, so it gets one always. A command given just
    // before a client notices that its connection dropped may wait there unsigned: a late script
    // is refused when it is sent, a late read changes nothing, and a late sign-out still signs
    // out. Commands held while a connected socket is backed up are written when it drains, alike.
    const commands = this.#appClient.withCommandOptions({ timeout: 0 });
    if (failsAtOnceWhileOffline(this.#appClient)) {
      this.#client = () => commands;
    } else {
      const appClient = this.#appClient;
      const queued = createWithdrawal(limitMs, (abortSignal) => appClient.withCommandOptions({ timeout: 0, abortSignal }));
      this.#client = isClusterClient(appClient) ? () => queued.current() : () => (appClient.isReady === true ? commands : queued.current());
    }
    // Measure the clocks now, while nothing waits on it (first use measures again if this fails).
    this.#redisClock.check().catch(() => {});
  }

  async get(key: string, now: number): Promise<SessionLookupResult> {
    const fields = await this.#client().hmGet(this.#recordKey(key), FIELDS_AND_MARK);
    if (!Array.isArray(fields)) return undefined;
    const record = recordFrom(fields);
    // Ended but not yet swept: the record is still there for the sweeper, but it is not live.
    if (record) return endsAtOf(record) > now ? record : undefined;
    return removedBy(fields[FIELDS.length]);
  }

  async create(key: string, record: SessionRecord, maxPerSubject?: number): Promise<StoredSession[]> {
    const shard = this.#shardOf(key);
    if (this.shards === 1) return this.#createIn(shard, key, record, maxPerSubject ?? 0, this.maxSessions);
    // Sharded: the subject's sessions and the store's count are spread over the shards, so the
    // limits are read first (one script per shard, in parallel), then the session is created in
    // its own shard, then the subject's oldest past the limit are removed where they are. Each
    // step is atomic on its shard; together they are not, so sign-ins racing each other can
    // overshoot either limit by how many run at once, and the next sign-in removes the surplus.
    const census = await Promise.all(this.#shardKeys.map((each) => this.#run(this.#scripts.list, [subjectIndexOf(each, record.subject), each.index], [])));
    let held = 0;
    const subjects: StoredSession[] = [];
    for (const reply of census) {
      const { sessions, status } = sessionsFrom(reply);
      held += Number(status);
      subjects.push(...sessions);
    }
    const surplus = maxPerSubject ? Math.max(0, subjects.length - maxPerSubject + 1) : 0;
    if (held - surplus >= this.maxSessions) throw this.#full();
    await this.#createIn(shard, key, record, 0, 0);
    if (surplus === 0) return [];
    // The session exists now: a shard failing here leaves its surplus for the next sign-in, and
    // what the others removed is handed over, so each is reported once.
    const oldest = subjects.sort(byCreatedAt).slice(0, surplus).map((each) => each.key);
    const { removed } = await this.#revokeIn(record.subject, this.#byShard(oldest), 'only', 'replaced', record.createdAt);
    return removed;
  }

  async listSubject(subject: string, now: number): Promise<StoredSession[]> {
    const replies = await Promise.all(this.#shardKeys.map((shard) => this.#run(this.#scripts.list, [subjectIndexOf(shard, subject), shard.index], [])));
    const sessions = replies.flatMap((reply) => sessionsFrom(reply).sessions).filter(({ record }) => endsAtOf(record) > now);
    return this.shards === 1 ? sessions : sessions.sort(byCreatedAt);
  }

  async revoke(subject: string, which: RevokeSelection, now: number): Promise<StoredSession[]> {
    const except = new Set(which.exceptKeys);
    // Named sessions: only their shards. All (but some): every shard, each told the exceptions.
    const targets: [RedisShard, string[]][] = which.keys
      ? this.#byShard(which.keys.filter((key) => !except.has(key)))
      : this.#shardKeys.map((shard) => [shard, [...except]]);
    const { removed, failure } = await this.#revokeIn(subject, targets, which.keys ? 'only' : 'except', 'revoked', now);
    // A shard that failed still holds its sessions: the user gets 503 and asks again, rather than
    // be told all were ended. What the other shards removed is then not reported (docs/redis.md).
    if (failure !== undefined) throw failure;
    return removed;
  }

  async update(key: string, data: unknown, now: number): Promise<SessionRecord | undefined> {
    const shard = this.#shardOf(key);
    this.#refuseUnconfirmed(shard, 'session update');
    const args = [...(await this.#timing()), String(now), data === undefined ? '' : JSON.stringify(data)];
    const reply = await this.#run(this.#scripts.update, [shard.prefix + key], args);
    if (text(reply) === 'late') throw this.#late('session update');
    if (!Array.isArray(reply)) return undefined;
    await this.#replicated(shard, 'session update', 'confirm');
    return recordFrom(reply);
  }

  async extend(key: string, proposedDeadlineAt: number, now: number): Promise<SessionLookupResult> {
    let timing = this.#timing();
    if (!Array.isArray(timing)) timing = await timing; // only while the clocks are first measured
    const args = [timing[0], timing[1], String(proposedDeadlineAt), String(now), String(this.expiryGraceMs)];
    const reply = await this.#run(this.#scripts.extend, [this.#recordKey(key)], args);
    if (Array.isArray(reply)) return recordFrom(reply);
    if (text(reply) === 'late') throw this.#late('keepalive');
    return removedBy(reply);
  }

  async delete(key: string): Promise<SessionRecord | undefined> {
    const shard = this.#shardOf(key);
    const reply = await this.#run(this.#scripts.delete, [shard.prefix + key, shard.index], [key], this.#appClient);
    if (!Array.isArray(reply)) return undefined;
    await this.#replicated(shard, 'sign-out', 'removal');
    return recordFrom(reply);
  }

  async takeExpired(now: number, limit: number): Promise<ExpiredSession[]> {
    if (this.shards === 1) return this.#claimFrom(this.#shardKeys[0]!, now, limit);
    // Oldest ended sessions first whichever shard holds them, so no shard waits behind another:
    // peek at every shard's due entries, then claim from each shard its share of the oldest.
    const expired: ExpiredSession[] = [];
    let failure: unknown;
    for (let round = 0; round < MAX_CLAIM_ROUNDS && expired.length < limit && failure === undefined; round++) {
      const due = await this.#dueShares(now, limit - expired.length);
      failure = due.failure;
      if (due.shares.length === 0) break;
      const claims = await Promise.allSettled(due.shares.map(([shard, count]) => this.#claimFrom(shard, now, count)));
      let claimed = 0;
      for (const claim of claims) {
        if (claim.status === 'rejected') failure ??= claim.reason;
        else {
          expired.push(...claim.value);
          claimed += claim.value.length;
        }
      }
      if (claimed === due.total) break; // every due entry it saw was an ended session: none left
    }
    // A shard that failed (its master down) does not hold up the others' sessions; only when
    // nothing could be claimed does the sweep fail (and the outage get logged).
    if (expired.length === 0 && failure !== undefined) throw failure;
    return expired.sort(byEnd);
  }

  /** How many of the `limit` oldest due index entries each shard holds; a shard that fails is left out. */
  async #dueShares(now: number, limit: number): Promise<{ shares: [RedisShard, number][]; total: number; failure: unknown }> {
    const peeks = await Promise.allSettled(this.#shardKeys.map((shard) => this.#run(this.#scripts.peekDue, [shard.index], [String(now), String(limit)])));
    const entries: { shard: RedisShard; score: number }[] = [];
    let failure: unknown;
    peeks.forEach((peek, i) => {
      if (peek.status === 'rejected') return void (failure ??= peek.reason);
      const reply = Array.isArray(peek.value) ? peek.value : [];
      for (let n = 1; n < reply.length; n += 2) entries.push({ shard: this.#shardKeys[i]!, score: Number(text(reply[n])) });
    });
    const oldest = entries.sort((a, b) => a.score - b.score).slice(0, limit);
    const shares = new Map<RedisShard, number>();
    for (const { shard } of oldest) shares.set(shard, (shares.get(shard) ?? 0) + 1);
    return { shares: [...shares], total: oldest.length, failure };
  }

  /** One shard's claim: one script unless a backlog of re-scores used up a script's budget. */
  async #claimFrom(shard: RedisShard, now: number, limit: number): Promise<ExpiredSession[]> {
    const expired: ExpiredSession[] = [];
    // One round trip unless a backlog of re-scores used up a script's budget; then go on, each
    // script short enough not to stall Redis.
    while (expired.length < limit) {
      const args = [...(await this.#timing()), String(now), String(limit - expired.length), String(EXAMINE_BUDGET)];
      let claimed: { sessions: ExpiredSession[]; more: boolean };
      try {
        const { sessions, status } = sessionsFrom(await this.#run(this.#scripts.takeExpired, [shard.index], args));
        if (status === 'late') throw this.#late('expiry claim');
        if (sessions.length > 0) await this.#replicated(shard, 'expiry claim', 'removal');
        claimed = { sessions, more: status === 'more' };
      } catch (error) {
        if (expired.length === 0) throw error;
        break; // hand over what earlier scripts removed: only this caller can report it
      }
      expired.push(...claimed.sessions);
      if (!claimed.more) break;
    }
    return expired;
  }

  /** Runs CREATE on the session's shard, with the cap and per-subject limit that shard enforces (0: none). */
  async #createIn(shard: RedisShard, key: string, record: SessionRecord, perSubject: number, maxSessions: number): Promise<StoredSession[]> {
    this.#refuseUnconfirmed(shard, 'sign-in');
    const endsAt = endsAtOf(record);
    // A TTL relative to the record's own clock (createdAt is the server's now at sign-in), so a
    // test clock in the past does not make Redis drop the key at once.
    const ttlMs = Math.max(0, Math.ceil(endsAt - record.createdAt)) + this.expiryGraceMs;
    const args = [
      ...(await this.#timing()),
      key,
      record.subject,
      String(record.createdAt),
      String(record.idleDeadlineAt),
      String(record.absoluteDeadlineAt),
      String(endsAt),
      String(Math.max(1, ttlMs)),
      String(maxSessions),
      String(perSubject),
      String(Math.max(1, Math.ceil(record.absoluteDeadlineAt - record.createdAt)) + this.expiryGraceMs),
      record.data === undefined ? '' : JSON.stringify(record.data),
      record.display === undefined ? '' : JSON.stringify(record.display),
    ];
    const keys = [shard.prefix + key, shard.index, subjectIndexOf(shard, record.subject)];
    const { sessions, status } = sessionsFrom(await this.#run(this.#scripts.create, keys, args));
    if (status === 'late') throw this.#late('sign-in');
    if (status === 'full') throw this.#full();
    if (status === 'exists') throw new Error('RedisSessionStore: a session with this key exists');
    await this.#replicated(shard, 'sign-in', 'confirm');
    return sessions;
  }

  /**
   * REVOKE on each shard given (with the keys it names there), in parallel: every shard's
   * removals, oldest first, and the first failure if a shard failed. Like delete, on the app's
   * own client, so a revoke Redis received is reported however late.
   */
  async #revokeIn(subject: string, targets: [RedisShard, string[]][], mode: 'only' | 'except', mark: RemovalMark, now: number) {
    const timing = await this.#timing();
    const replies = await Promise.allSettled(
      targets.map(async ([shard, named]) => {
        const reply = await this.#run(this.#scripts.revoke, [subjectIndexOf(shard, subject), shard.index], [...timing, String(now), mode, mark, ...named], this.#appClient);
        const { sessions } = sessionsFrom(reply);
        if (sessions.length > 0) await this.#replicated(shard, 'revoke', 'removal');
        return sessions;
      }),
    );
    const removed = replies.flatMap((reply) => (reply.status === 'fulfilled' ? reply.value : []));
    const failure: unknown = replies.find((reply) => reply.status === 'rejected')?.reason;
    return { removed: targets.length === 1 ? removed : removed.sort(byCreatedAt), failure };
  }

  #shardOf(key: string): RedisShard {
    return this.#shardKeys[shardIndexOf(key, this.shards)]!;
  }

  #recordKey(key: string): string {
    return this.#shardOf(key).prefix + key;
  }

  /** Keys grouped by the shard that holds them. */
  #byShard(keys: readonly string[]): [RedisShard, string[]][] {
    const grouped = new Map<RedisShard, string[]>();
    for (const key of keys) {
      const shard = this.#shardOf(key);
      grouped.set(shard, [...(grouped.get(shard) ?? []), key]);
    }
    return [...grouped];
  }

  /**
   * With `waitForReplicas`, waits until that many replicas of the shard's master have every write
   * this connection sent so far (Redis WAIT; it must go to the connection that wrote).
   * - WAIT fails (the connection dropped: the master may have died with the write): throws, so
   *   the caller answers 503 and reports nothing; a failover that undid it leaves the session for
   *   a later sweep or sign-out to report, once.
   * - Fewer replicas confirm in time (the master answered, its replicas did not): a sign-in or
   *   update ('confirm') throws, and so does every one on that shard for the next second without
   *   asking; a removal stands and is reported (only a failover to a replica that missed it could
   *   undo it, and no replica confirms now), and a warning is logged.
   */
  async #replicated(shard: RedisShard, operation: string, kind: 'confirm' | 'removal'): Promise<void> {
    if (this.waitForReplicas === 0) return;
    if (kind === 'removal' && (this.#unconfirmedUntil.get(shard) ?? 0) > performance.now()) return;
    const acks = await this.#replicaAcks(shard);
    if (acks >= this.waitForReplicas) {
      this.#unconfirmedUntil.delete(shard);
      return;
    }
    if (!this.#unconfirmedUntil.has(shard)) {
      this.#logger.warn(
        `idle-logout: Redis confirmed the ${operation} on ${acks} of the ${this.waitForReplicas} replicas waitForReplicas asks for within ${this.replicaWaitMs} ms. Until its replicas are back, sign-ins on its shard answer 503 and sign-outs and expiries there are not confirmed (docs/redis.md, Failover).`,
      );
    }
    this.#unconfirmedUntil.set(shard, performance.now() + UNCONFIRMED_RECHECK_MS);
    if (kind === 'confirm') throw this.#unconfirmed(operation);
  }

  /**
   * WAIT's answer from the shard's master. A connection that is down (a cluster client waits for
   * it to reconnect, a single client may queue the command) cannot confirm the write it sent: past
   * WAIT's own bound plus the time bound, this gives up rather than wait for a master that died.
   */
  async #replicaAcks(shard: RedisShard): Promise<number> {
    const client = this.#appClient;
    const wait = async () => {
      const node = client.getNodeClientForKey ? await client.getNodeClientForKey(shard.index) : (client as unknown as RedisNodeConnection);
      return Number(text(await node.sendCommand(['WAIT', String(this.waitForReplicas), String(this.replicaWaitMs)])));
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SessionStoreUnavailableError('the connection to the master that took the write did not answer WAIT, so a failover may undo the write')),
        this.replicaWaitMs + (this.#timeLimitMs ?? DEFAULT_TIME_LIMIT_MS),
      );
    });
    try {
      return await Promise.race([wait(), gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A sign-in or update on a shard known to lack its replicas: refused before it is sent. */
  #refuseUnconfirmed(shard: RedisShard, operation: string): void {
    if ((this.#unconfirmedUntil.get(shard) ?? 0) > performance.now()) throw this.#unconfirmed(operation);
  }

  #unconfirmed(operation: string): SessionStoreUnavailableError {
    return new SessionStoreUnavailableError(`fewer than the ${this.waitForReplicas} replicas waitForReplicas asks for confirm writes on this shard, so the ${operation} was refused: a failover could undo it`);
  }

  #full(): SessionStoreFullError {
    return new SessionStoreFullError(`the Redis store holds its cap of ${this.maxSessions} sessions`);
  }

  /** The scripts' first two arguments: when the call was made, in Redis's clock, and the bound. */
  #timing(): [string, string] | Promise<[string, string]> {
    const sentAt = this.#redisClock.sentAt();
    const bound = String(this.#timeLimitMs ?? 0);
    // No async function: once the clocks are measured this is synchronous (about 2 µs less per request).
    return typeof sentAt === 'number' ? [wholeMs(sentAt), bound] : sentAt.then((at) => [wholeMs(at), bound]);
  }

  /** A script refused as late: tell the caller, and measure the clocks again in case Redis's stepped. */
  #late(operation: string): SessionStoreUnavailableError {
    this.#redisClock.check().catch(() => {});
    return new SessionStoreUnavailableError(
      `Redis received the ${operation} more than the ${this.#timeLimitMs} ms time bound (storeTimeoutMs) after it was sent, and refused it`,
    );
  }

  /** Redis's clock, read on the first shard's master (a Cluster's masters must keep one time: docs/redis.md). */
  async #redisTime(): Promise<readonly [unknown, unknown]> {
    const reply = await this.#run(this.#scripts.time, [this.#shardKeys[0]!.index], [], this.#appClient);
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error('RedisSessionStore: unexpected reply from TIME');
    return [text(reply[0]), text(reply[1])];
  }

  /** EVALSHA, and EVAL when Redis does not know the script (after a restart or SCRIPT FLUSH, or on a
   * Cluster node that has not seen it yet); EVAL caches it there for the next call. */
  async #run(script: Script, keys: string[], args: string[], client = this.#client()): Promise<unknown> {
    const options = { keys, arguments: args };
    try {
      return await client.evalSha(script.sha1Known ?? (await script.sha1), options);
    } catch (error) {
      if (!isNoScriptError(error)) throw error;
    }
    try {
      return await client.eval(script.source, options);
    } catch (error) {
      if (!isFlagsUnsupportedError(error)) throw error;
      throw new Error(
        'RedisSessionStore needs Redis 7.0 or later (or Valkey 7.2 or later): its expiry script declares `#!lua flags=allow-oom` so that it can free a full Redis, and this server cannot read script flags.',
        { cause: error },
      );
    }
  }
}

/**
 * A send time as whole ms, rounded down: the script then counts a command a fraction of a ms later
 * than it was, never earlier, so it refuses no less than it should. A fractional double's
 * shortest decimal form costs about 0.2 µs more to write per call, on every keepalive.
 */
function wholeMs(at: number): string {
  return String(Math.floor(at));
}

/** A node-redis cluster client (createCluster()): it finds the node that serves a key. */
function isClusterClient(client: RedisSessionClient): boolean {
  return typeof client.getNodeClientForKey === 'function';
}

/**
 * Whether a node-redis client rejects commands at once while it is disconnected instead of queueing
 * them: `disableOfflineQueue` on a client, or in a cluster client's `defaults` (which node-redis
 * keeps in `_options`). Anything else, or a client that does not say, counts as queueing.
 */
function failsAtOnceWhileOffline(client: unknown): boolean {
  const { options, _options } = client as { options?: { disableOfflineQueue?: unknown }; _options?: { defaults?: { disableOfflineQueue?: unknown } } };
  return options?.disableOfflineQueue === true || _options?.defaults?.disableOfflineQueue === true;
}
