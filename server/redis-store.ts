// The shared store for several server instances: sessions in Redis (or Valkey), every operation
// one round trip, every rule that two instances could race applied atomically in a Lua script.
// Web standards only (Web Crypto, TextDecoder, performance.now): the node-redis client is the
// app's, passed in.
import { check, integerAtLeast } from './option-checks.ts';
import { RedisClock } from './redis-clock.ts';
import {
  SessionStoreFullError,
  SessionStoreUnavailableError,
  type ExpiredSession,
  type SessionRecord,
  type SessionStore,
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
  withCommandOptions(options: { timeout: number }): RedisSessionClient;
}

export interface RedisSessionStoreOptions {
  /** A connected node-redis client (or cluster client). The app owns it: connects and closes it. */
  client: RedisSessionClient;
  /**
   * Prepended to every key. Default `idle-logout:{sessions}:`. Keep a `{hash tag}` in it on Redis
   * Cluster: the scripts touch a session's key and the deadline index together, which Cluster
   * allows only within one hash slot. Give each app (or environment) sharing a Redis its own prefix.
   */
  prefix?: string;
  /**
   * How long Redis keeps a session's record after the session ended, so that the sweeper of some
   * instance can still claim it and fire `onSessionEnd` when every instance was down at the
   * deadline. Past it Redis drops the record: the session stays ended, but its callback is lost.
   * Default 3 600 000 (1 h).
   */
  expiryGraceMs?: number;
  /**
   * Most sessions held at once, ended-but-uncollected ones included; at the cap sign-in answers 503
   * instead of evicting anyone. Default: no cap (size Redis with `maxmemory`, see docs/redis.md).
   */
  maxSessions?: number;
  /** Where a warning about this server's clock and Redis's goes (docs/redis.md, Clocks). Default `console`. */
  logger?: Pick<Console, 'warn'>;
}

const DEFAULT_PREFIX = 'idle-logout:{sessions}:';
const DEFAULT_EXPIRY_GRACE_MS = 3_600_000;
// '#' never occurs in a base64url digest, so the index key can never be some session's key.
const INDEX_SUFFIX = '#deadlines';
// Index entries one takeExpired script looks at before it hands control back to Redis: a backlog
// of re-scores (sessions extended since they were indexed) must not block Redis for long.
const EXAMINE_BUDGET = 1_000;

// A record is a Redis hash. Fields, in the order every script returns them: subject, data (JSON,
// absent when the session has none), created, idle deadline, absolute deadline. Numbers are kept as
// the decimal strings JavaScript wrote; the scripts compare them but only ever copy a string that
// is already there, never format one (Lua 5.1 prints numbers with 14 significant digits), and
// never decode `data` (cjson turns an empty array into an object).
const FIELDS = ['s', 'd', 'c', 'i', 'a'];

// The sign-in, keepalive and sweep scripts start with the same two arguments: when the app sent
// the command, in Redis's clock (converted with the offset RedisClock measures), and the time
// bound (ms, 0 = none). A command can reach Redis late: a stalled link, a GC pause, a TCP retransmit, Redis
// itself busy. So a script judges "now" at the time Redis runs it (the app's now plus the time the
// command spent in transit, by Redis's clock: TIME in a script is replicated by effect since Redis
// 5), and refuses work that arrives later than the bound, by when the caller has answered 503.
const LATENESS = `
local function lateMs()
  local t = redis.call('TIME')
  return math.max(0, tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000 - tonumber(ARGV[1]))
end
local function tooLate(late)
  local bound = tonumber(ARGV[2])
  return bound > 0 and late > bound
end
`;

// KEYS: record, index. ARGV: sentAt, bound, member, subject, created, idle, absolute, endsAt,
// ttlMs, maxSessions, [data].
const CREATE = `${LATENESS}
if tooLate(lateMs()) then return 'late' end
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
local max = tonumber(ARGV[10])
if max > 0 and redis.call('ZCARD', KEYS[2]) >= max then return 'full' end
redis.call('HSET', KEYS[1], 's', ARGV[4], 'c', ARGV[5], 'i', ARGV[6], 'a', ARGV[7])
if ARGV[11] then redis.call('HSET', KEYS[1], 'd', ARGV[11]) end
redis.call('PEXPIRE', KEYS[1], ARGV[9])
redis.call('ZADD', KEYS[2], ARGV[8], ARGV[3])
return 'ok'
`;

// KEYS: record. ARGV: sentAt, bound, proposed idle deadline, now, grace ms. The store's one rule
// (session.ts extendedIdleDeadline; the contract suite holds this copy to it and to the cases in
// server/testing/deadline-rule.ts): never earlier, never past the absolute deadline, only while
// live at the time Redis runs it; never creates. A keepalive that left while the session was live
// but arrives after its end must not revive it: another instance may already have answered 401.
// The index keeps the old, earlier score: takeExpired re-scores it when it comes due, so
// keepalives, the hot path, do no index work.
const EXTEND = `${LATENESS}
local late = lateMs()
if tooLate(late) then return 'late' end
local f = redis.call('HMGET', KEYS[1], 's', 'd', 'c', 'i', 'a')
if not f[1] then return false end
local idle, absolute, now = tonumber(f[4]), tonumber(f[5]), tonumber(ARGV[4]) + late
if math.min(idle, absolute) <= now then return false end
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
const DELETE = `
local f = redis.call('HMGET', KEYS[1], 's', 'd', 'c', 'i', 'a')
redis.call('ZREM', KEYS[2], ARGV[1])
if not f[1] then return false end
redis.call('DEL', KEYS[1])
return f
`;

// KEYS: index. ARGV: sentAt, bound, now, limit, budget, index suffix. Claims up to limit ended
// sessions, oldest deadline first, each exactly once across all instances. Returns
// {status, member, fields x5, ...} where status is 'more' when the budget ran out before the due
// entries did, or {'late'}.
// Record keys are the index key minus its suffix plus the member, so a client-side keyPrefix
// (node-redis `keyPrefix`) applies to them too; they share the index's hash tag.
//
// The sweeper is what frees a full Redis (maxmemory + noeviction, docs/redis.md), so it must run
// when Redis refuses writes. Redis 7 refuses a whole script declared with flags unless it allows
// OOM, and a script without flags at its first deny-oom write, if it has not written before
// (scriptVerifyOOM in Redis's src/script.c). So the script declares `allow-oom` (it only deletes,
// and re-scores members already in the index, which needs no new memory), and frees first
// anyway: extended sessions are skipped past while claiming and re-scored at the end.
const TAKE_EXPIRED = `#!lua flags=allow-oom
${LATENESS}
if tooLate(lateMs()) then return {'late'} end
local index = KEYS[1]
local prefix = string.sub(index, 1, #index - #ARGV[6])
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
    local f = redis.call('HMGET', key, 's', 'd', 'c', 'i', 'a')
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
        redis.call('DEL', key)
        redis.call('ZREM', index, member)
        out[#out + 1] = member
        for i = 1, 5 do out[#out + 1] = f[i] end
        taken = taken + 1
      end
    end
  end
end
if #rescore > 0 then redis.call('ZADD', index, 'XX', unpack(rescore)) end
return out
`;

// Redis's clock, for the store to measure its offset from the app's. KEYS: the index (only so that
// a Cluster client sends it to the shard that holds the sessions).
const TIME = `return redis.call('TIME')`;

interface Script {
  source: string;
  sha1: Promise<string>;
}

async function sha1Hex(source: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(source));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

function script(source: string): Script {
  return { source, sha1: sha1Hex(source) };
}

const decoder = new TextDecoder();

/** A reply string, whatever type mapping the app's client uses (strings by default, or buffers). */
function text(reply: unknown): string | undefined {
  if (reply === null || reply === undefined || reply === false) return undefined;
  if (typeof reply === 'string') return reply;
  if (reply instanceof Uint8Array) return decoder.decode(reply);
  return String(reply);
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
  return record;
}

/** The expiry script's reply: {'done' | 'more', member, fields x5, member, fields x5, ...}. */
function claimedFrom(reply: unknown): { sessions: ExpiredSession[]; more: boolean } {
  if (!Array.isArray(reply)) throw new Error('RedisSessionStore: unexpected reply from the expiry script');
  const sessions: ExpiredSession[] = [];
  for (let i = 1; i + 5 < reply.length; i += 6) {
    const record = recordFrom(reply.slice(i + 1, i + 6));
    if (record) sessions.push({ key: text(reply[i])!, record });
  }
  return { sessions, more: text(reply[0]) === 'more' };
}

function isNoScriptError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** Redis before 7.0 reads a script's `#!lua flags=…` line as Lua, and fails to compile it. */
function isFlagsUnsupportedError(error: unknown): boolean {
  return error instanceof Error && error.message.includes("unexpected symbol near '#'");
}


/**
 * Sessions in Redis, shared by every server instance that uses the same Redis and prefix. Each
 * operation is one round trip; extend, delete and the expiry claim are Lua scripts, so instances
 * cannot race them, and every ended session reaches `onSessionEnd` on exactly one instance.
 * Deadlines are the servers' clocks (`now`); a script judges them at the time Redis runs it, and
 * refuses work that reaches Redis later than the server's `storeTimeoutMs` after it was sent.
 * The store measures its clock against Redis's and warns when they differ by more than 1 s
 * (redis-clock.ts): keep instances NTP-synced.
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
  readonly expiryGraceMs: number;
  readonly maxSessions: number | undefined;
  /** The one time bound (the server's storeTimeoutMs), once a createIdleSession adopted the store. */
  #timeLimitMs: number | undefined;
  /** The app's client as given: sign-outs wait for their answer however late (the server reports it). */
  #appClient: RedisSessionClient;
  /** Withdraws commands still queued in node-redis when the time bound passes. */
  #client: RedisSessionClient;
  #indexKey: string;
  #redisClock: RedisClock;
  #scripts = {
    create: script(CREATE),
    extend: script(EXTEND),
    delete: script(DELETE),
    takeExpired: script(TAKE_EXPIRED),
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
    this.expiryGraceMs = integerAtLeast(0, OWNER, 'expiryGraceMs', options.expiryGraceMs ?? DEFAULT_EXPIRY_GRACE_MS);
    this.maxSessions = options.maxSessions === undefined ? undefined : integerAtLeast(1, OWNER, 'maxSessions', options.maxSessions);
    this.#appClient = client;
    this.#client = client;
    this.#indexKey = this.prefix + INDEX_SUFFIX;
    this.#redisClock = new RedisClock(() => this.#redisTime(), options.logger ?? console);
  }

  /** Follows the server's `storeTimeoutMs` (createIdleSession calls this; see SessionStore). */
  adoptTimeLimit(limitMs: number): void {
    if (this.#timeLimitMs !== undefined && this.#timeLimitMs !== limitMs) {
      throw new Error(
        `RedisSessionStore: this store already serves a createIdleSession with storeTimeoutMs ${this.#timeLimitMs}, not ${limitMs}. Give every createIdleSession that shares a store the same storeTimeoutMs, or each its own store.`,
      );
    }
    this.#timeLimitMs = limitMs;
    // node-redis drops a command's timeout once the command is written to the socket, so this only
    // withdraws commands still queued (offline queue); the scripts refuse the late ones it sent.
    this.#client = this.#appClient.withCommandOptions({ timeout: limitMs });
    // Measure the clocks now, while nothing waits on it (first use measures again if this fails).
    this.#redisClock.check().catch(() => {});
  }

  async get(key: string, now: number): Promise<SessionRecord | undefined> {
    const fields = await this.#client.hmGet(this.prefix + key, FIELDS);
    const record = Array.isArray(fields) ? recordFrom(fields) : undefined;
    // Ended but not yet swept: the record is still there for the sweeper, but it is not live.
    return record && Math.min(record.idleDeadlineAt, record.absoluteDeadlineAt) > now ? record : undefined;
  }

  async create(key: string, record: SessionRecord): Promise<void> {
    const endsAt = Math.min(record.idleDeadlineAt, record.absoluteDeadlineAt);
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
      String(this.maxSessions ?? 0),
    ];
    if (record.data !== undefined) args.push(JSON.stringify(record.data));
    const reply = text(await this.#run(this.#scripts.create, [this.prefix + key, this.#indexKey], args));
    if (reply === 'late') throw this.#late('sign-in');
    if (reply === 'full') throw new SessionStoreFullError(`the Redis store holds its cap of ${this.maxSessions} sessions`);
    if (reply === 'exists') throw new Error('RedisSessionStore: a session with this key exists');
  }

  async extend(key: string, proposedDeadlineAt: number, now: number): Promise<SessionRecord | undefined> {
    const args = [...(await this.#timing()), String(proposedDeadlineAt), String(now), String(this.expiryGraceMs)];
    const reply = await this.#run(this.#scripts.extend, [this.prefix + key], args);
    if (text(reply) === 'late') throw this.#late('keepalive');
    return Array.isArray(reply) ? recordFrom(reply) : undefined;
  }

  async delete(key: string): Promise<SessionRecord | undefined> {
    const reply = await this.#run(this.#scripts.delete, [this.prefix + key, this.#indexKey], [key], this.#appClient);
    return Array.isArray(reply) ? recordFrom(reply) : undefined;
  }

  async takeExpired(now: number, limit: number): Promise<ExpiredSession[]> {
    const expired: ExpiredSession[] = [];
    // One round trip unless a backlog of re-scores used up a script's budget; then go on, each
    // script short enough not to stall Redis.
    while (expired.length < limit) {
      const args = [...(await this.#timing()), String(now), String(limit - expired.length), String(EXAMINE_BUDGET), INDEX_SUFFIX];
      let claimed: { sessions: ExpiredSession[]; more: boolean };
      try {
        const reply = await this.#run(this.#scripts.takeExpired, [this.#indexKey], args);
        if (Array.isArray(reply) && text(reply[0]) === 'late') throw this.#late('expiry claim');
        claimed = claimedFrom(reply);
      } catch (error) {
        if (expired.length === 0) throw error;
        break; // hand over what earlier scripts removed: only this caller can report it
      }
      expired.push(...claimed.sessions);
      if (!claimed.more) break;
    }
    return expired;
  }

  /** The scripts' first two arguments: when the call was made, in Redis's clock, and the bound. */
  async #timing(): Promise<[string, string]> {
    return [String(await this.#redisClock.sentAt()), String(this.#timeLimitMs ?? 0)];
  }

  /** A script refused as late: tell the caller, and measure the clocks again in case Redis's stepped. */
  #late(operation: string): SessionStoreUnavailableError {
    this.#redisClock.check().catch(() => {});
    return new SessionStoreUnavailableError(
      `Redis received the ${operation} more than the ${this.#timeLimitMs} ms time bound (storeTimeoutMs) after it was sent, and refused it`,
    );
  }

  async #redisTime(): Promise<readonly [unknown, unknown]> {
    const reply = await this.#run(this.#scripts.time, [this.#indexKey], [], this.#appClient);
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error('RedisSessionStore: unexpected reply from TIME');
    return [text(reply[0]), text(reply[1])];
  }

  /** EVALSHA, and EVAL when Redis does not know the script (after a restart or SCRIPT FLUSH, or on a
   * Cluster node that has not seen it yet); EVAL caches it there for the next call. */
  async #run(script: Script, keys: string[], args: string[], client = this.#client): Promise<unknown> {
    const options = { keys, arguments: args };
    try {
      return await client.evalSha(await script.sha1, options);
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
