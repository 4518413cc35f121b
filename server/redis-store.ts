// The shared store for several server instances: sessions in Redis (or Valkey), every operation
// one round trip, every rule that two instances could race applied atomically in a Lua script.
// Web standards only (Web Crypto, TextDecoder): the node-redis client is the app's, passed in.
import { SessionStoreFullError, type ExpiredSession, type SessionRecord, type SessionStore } from './store.ts';

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
   * A store call that has not answered after this long fails (the request gets 503). Reads,
   * sign-ins and keepalives still waiting to be sent are withdrawn, so they neither pile up in
   * node-redis's offline queue nor run late, with a stale clock, once Redis is back. A sign-out or
   * expiry claim that Redis answers late is kept, and its record handed to the next `takeExpired`,
   * so its `onSessionEnd` still fires once. Keep it below the server's `storeTimeoutMs`
   * (default 2000), or the server gives up first and late records are lost. 0 = no timeout of the
   * store's own. Default 1000.
   */
  commandTimeoutMs?: number;
  /**
   * Most sessions held at once, ended-but-uncollected ones included; at the cap sign-in answers 503
   * instead of evicting anyone. Default: no cap (size Redis with `maxmemory`, see docs/redis.md).
   */
  maxSessions?: number;
}

const DEFAULT_PREFIX = 'idle-logout:{sessions}:';
const DEFAULT_EXPIRY_GRACE_MS = 3_600_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 1_000;
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

// KEYS: record, index. ARGV: member, subject, created, idle, absolute, endsAt, ttlMs, maxSessions, [data].
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
local max = tonumber(ARGV[8])
if max > 0 and redis.call('ZCARD', KEYS[2]) >= max then return 'full' end
redis.call('HSET', KEYS[1], 's', ARGV[2], 'c', ARGV[3], 'i', ARGV[4], 'a', ARGV[5])
if ARGV[9] then redis.call('HSET', KEYS[1], 'd', ARGV[9]) end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
return 'ok'
`;

// KEYS: record. ARGV: proposed idle deadline, now, grace ms. The store's one rule
// (session.ts extendedIdleDeadline): never earlier, never past the absolute deadline, only while
// live at now; never creates. The index keeps the old, earlier score: takeExpired re-scores it
// when it comes due, so keepalives, the hot path, do no index work.
const EXTEND = `
local f = redis.call('HMGET', KEYS[1], 's', 'd', 'c', 'i', 'a')
if not f[1] then return false end
local idle, absolute, now = tonumber(f[4]), tonumber(f[5]), tonumber(ARGV[2])
if math.min(idle, absolute) <= now then return false end
local proposed = tonumber(ARGV[1])
local nextIdle, nextText = idle, f[4]
if proposed > nextIdle then nextIdle, nextText = proposed, ARGV[1] end
if nextIdle > absolute then nextIdle, nextText = absolute, f[5] end
if nextIdle ~= idle then
  redis.call('HSET', KEYS[1], 'i', nextText)
  redis.call('PEXPIRE', KEYS[1], math.ceil(math.min(nextIdle, absolute) - now) + tonumber(ARGV[3]))
  f[4] = nextText
end
return f
`;

// KEYS: record, index. ARGV: member. Atomic, so exactly one caller gets the record back.
const DELETE = `
local f = redis.call('HMGET', KEYS[1], 's', 'd', 'c', 'i', 'a')
redis.call('ZREM', KEYS[2], ARGV[1])
if not f[1] then return false end
redis.call('DEL', KEYS[1])
return f
`;

// KEYS: index. ARGV: now, limit, budget, index suffix. Claims up to limit ended sessions, oldest
// deadline first, each exactly once across all instances. Returns {status, member, fields x5, ...}
// where status is 'more' when the budget ran out before the due entries did.
// Record keys are the index key minus its suffix plus the member, so a client-side keyPrefix
// (node-redis `keyPrefix`) applies to them too; they share the index's hash tag.
const TAKE_EXPIRED = `
local index = KEYS[1]
local prefix = string.sub(index, 1, #index - #ARGV[4])
local now, limit, budget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out, taken, examined = {'done'}, 0, 0
while taken < limit do
  local due = redis.call('ZRANGEBYSCORE', index, '-inf', ARGV[1], 'LIMIT', 0, limit - taken)
  if #due == 0 then break end
  for _, member in ipairs(due) do
    if examined >= budget then out[1] = 'more'; return out end
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
        redis.call('ZADD', index, endsText, member) -- extended since it was indexed
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
return out
`;

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

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new TypeError(`RedisSessionStore: ${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/**
 * Sessions in Redis, shared by every server instance that uses the same Redis and prefix. Each
 * operation is one round trip; extend, delete and the expiry claim are Lua scripts, so instances
 * cannot race them, and every ended session reaches `onSessionEnd` on exactly one instance.
 * Liveness is judged by the server's clock (`now`), not Redis's: keep instances NTP-synced.
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
  readonly commandTimeoutMs: number;
  readonly maxSessions: number | undefined;
  /** Withdraws commands not answered in time (get, create, extend). */
  #client: RedisSessionClient;
  /** The app's client as given: delete and takeExpired wait for late answers (see #within). */
  #patientClient: RedisSessionClient;
  #indexKey: string;
  /** Records removed by a delete or claim whose answer came after the caller had given up. */
  #lateRecords: ExpiredSession[] = [];
  /** Expiry claims that timed out and have not been answered yet. */
  #lateClaims = 0;
  #scripts = { create: script(CREATE), extend: script(EXTEND), delete: script(DELETE), takeExpired: script(TAKE_EXPIRED) };

  constructor(options: RedisSessionStoreOptions) {
    const { client } = options;
    if (typeof client?.evalSha !== 'function' || typeof client.withCommandOptions !== 'function') {
      throw new TypeError('RedisSessionStore: client must be a node-redis client, e.g. createClient() from "redis"');
    }
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    if (typeof this.prefix !== 'string') throw new TypeError('RedisSessionStore: prefix must be a string');
    this.expiryGraceMs = nonNegativeInteger('expiryGraceMs', options.expiryGraceMs ?? DEFAULT_EXPIRY_GRACE_MS);
    this.commandTimeoutMs = nonNegativeInteger('commandTimeoutMs', options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
    if (options.maxSessions !== undefined && (!Number.isInteger(options.maxSessions) || options.maxSessions < 1)) {
      throw new TypeError(`RedisSessionStore: maxSessions must be a positive integer, got ${String(options.maxSessions)}`);
    }
    this.maxSessions = options.maxSessions;
    // 0 leaves the client's own command options alone (then set a timeout there yourself).
    this.#client = this.commandTimeoutMs > 0 ? client.withCommandOptions({ timeout: this.commandTimeoutMs }) : client;
    this.#patientClient = client;
    this.#indexKey = this.prefix + INDEX_SUFFIX;
  }

  async get(key: string, now: number): Promise<SessionRecord | undefined> {
    const fields = await this.#client.hmGet(this.prefix + key, FIELDS);
    const record = Array.isArray(fields) ? recordFrom(fields) : undefined;
    // Ended but not yet swept: the record is still there for the sweeper, but it is not live.
    return record && Math.min(record.idleDeadlineAt, record.absoluteDeadlineAt) > now ? record : undefined;
  }

  async create(key: string, record: SessionRecord): Promise<void> {
    const endsAt = Math.min(record.idleDeadlineAt, record.absoluteDeadlineAt);
    // A TTL relative to the record's own clock (createdAt is the server's now at sign-in), so Redis's
    // clock never matters, and a test clock in the past does not make Redis drop the key at once.
    const ttlMs = Math.max(0, Math.ceil(endsAt - record.createdAt)) + this.expiryGraceMs;
    const args = [
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
    if (reply === 'full') throw new SessionStoreFullError(`the Redis store holds its cap of ${this.maxSessions} sessions`);
    if (reply === 'exists') throw new Error('RedisSessionStore: a session with this key exists');
  }

  async extend(key: string, proposedDeadlineAt: number, now: number): Promise<SessionRecord | undefined> {
    const args = [String(proposedDeadlineAt), String(now), String(this.expiryGraceMs)];
    const reply = await this.#run(this.#scripts.extend, [this.prefix + key], args);
    return Array.isArray(reply) ? recordFrom(reply) : undefined;
  }

  async delete(key: string): Promise<SessionRecord | undefined> {
    const removed = this.#run(this.#scripts.delete, [this.prefix + key, this.#indexKey], [key], this.#patientClient)
      .then((reply) => (Array.isArray(reply) ? recordFrom(reply) : undefined));
    return this.#within(removed, (record) => {
      if (record) this.#lateRecords.push({ key, record });
    });
  }

  async takeExpired(now: number, limit: number): Promise<ExpiredSession[]> {
    const expired = this.#lateRecords.splice(0, limit);
    // A claim that timed out but that Redis may still run: do not queue another behind it (every
    // sweep would add one while Redis is away).
    if (this.#lateClaims > 0) return expired;
    // One round trip unless a backlog of re-scores used up a script's budget; then go on, each
    // script short enough not to stall Redis.
    while (expired.length < limit) {
      const args = [String(now), String(limit - expired.length), String(EXAMINE_BUDGET), INDEX_SUFFIX];
      let late = false;
      const claim = this.#run(this.#scripts.takeExpired, [this.#indexKey], args, this.#patientClient)
        .then(claimedFrom)
        .finally(() => {
          if (late) this.#lateClaims -= 1;
        });
      const onTimeout = () => {
        late = true;
        this.#lateClaims += 1;
      };
      const { sessions, more } = await this.#within(claim, (answer) => this.#lateRecords.push(...answer.sessions), onTimeout);
      expired.push(...sessions);
      if (!more) break;
    }
    return expired;
  }

  /**
   * `pending` or, after commandTimeoutMs, a rejection. A sign-out or claim has already removed the
   * record when its answer comes late, and then only this store can still report it: `onLate`
   * keeps what arrives. The promise settles in the end either way: node-redis answers or rejects
   * every command it sent once the reply arrives or the connection drops.
   */
  #within<T>(pending: Promise<T>, onLate: (value: T) => void, onTimeout?: () => void): Promise<T> {
    if (this.commandTimeoutMs === 0) return pending;
    return new Promise<T>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        onTimeout?.();
        reject(new Error(`RedisSessionStore: Redis did not answer within ${this.commandTimeoutMs} ms`));
      }, this.commandTimeoutMs);
      pending.then(
        (value) => {
          clearTimeout(timer);
          if (timedOut) onLate(value);
          else resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** EVALSHA, and EVAL when Redis does not know the script (after a restart or SCRIPT FLUSH, or on a
   * Cluster node that has not seen it yet); EVAL caches it there for the next call. */
  async #run(script: Script, keys: string[], args: string[], client = this.#client): Promise<unknown> {
    const options = { keys, arguments: args };
    try {
      return await client.evalSha(await script.sha1, options);
    } catch (error) {
      if (!isNoScriptError(error)) throw error;
      return client.eval(script.source, options);
    }
  }
}
