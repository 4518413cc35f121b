// Where the Redis store keeps each session: which of its shards, and under which keys. A shard is
// one `{hash tag}`: its sessions, its deadline index and its per-subject indexes share the tag,
// so every script runs on keys of one hash slot, which is all Redis Cluster allows a script.
// Web standards only, like the store.
import { check } from './option-checks.ts';

/** Redis Cluster's hash slots (CLUSTER KEYSLOT: CRC16 of the key's tag, mod 16 384). */
export const CLUSTER_SLOTS = 16_384;
/** Most shards a store may have: a sign-in with a per-subject limit reads every shard once. */
export const MAX_SHARDS = 256;
// '#' never occurs in a base64url digest, so neither index key can ever be some session's key.
const INDEX_SUFFIX = '#deadlines';
// A subject's index: a sorted set of its sessions' keys scored by createdAt (oldest first).
const SUBJECT_INFIX = '#subject:';

/** One shard's keys: its prefix (with the shard's own hash tag) and its deadline index. */
export interface RedisShard {
  prefix: string;
  index: string;
}

/** CRC-16/XMODEM, the checksum Redis Cluster hashes keys with (Redis's src/crc16.c). */
export function crc16(text: string): number {
  let crc = 0;
  for (const byte of new TextEncoder().encode(text)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The hash slot Redis Cluster puts `key` in: its first non-empty `{tag}` decides, else the whole key. */
export function clusterSlot(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  return crc16(hashed) % CLUSTER_SLOTS;
}

/** The first non-empty `{tag}` of a prefix, where Redis Cluster would read it, or undefined. */
function hashTagOf(prefix: string): { start: number; end: number } | undefined {
  const open = prefix.indexOf('{');
  const close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
  return close > open + 1 ? { start: open + 1, end: close } : undefined;
}

/**
 * The shards of a store with `prefix`. One shard is the prefix itself: the keys every release
 * before sharding wrote, so an upgrade keeps everyone signed in. With more, shard i's tag is the
 * prefix's tag plus `.n`, n the smallest number that puts the tag in the i-th of `count` equal
 * ranges of hash slots: `redis-cli --cluster create` gives each master one contiguous range, so
 * k masters hold count / k shards each, instead of however CRC16 happens to scatter `.0`, `.1`...
 * The search is deterministic: the same prefix and count give the same keys on every instance
 * and every release (changing it would lose every session, see docs/redis.md).
 *
 * @example
 * shardsOf('idle-logout:{sessions}:', 3).map((s) => s.prefix);
 * // ['idle-logout:{sessions.2}:', 'idle-logout:{sessions.0}:', 'idle-logout:{sessions.8}:'] (say)
 */
export function shardsOf(prefix: string, count: number): RedisShard[] {
  if (count === 1) return [shardAt(prefix)];
  const tag = hashTagOf(prefix);
  check(tag !== undefined, 'RedisSessionStore', `with shards > 1 the prefix needs a {hash tag} to number, e.g. 'myapp:{sessions}:'; '${prefix}' has none.`);
  const shards: RedisShard[] = [];
  for (let i = 0; i < count; i++) {
    const from = Math.floor((i * CLUSTER_SLOTS) / count);
    const to = Math.floor(((i + 1) * CLUSTER_SLOTS) / count);
    for (let n = 0; ; n++) {
      const inner = `${prefix.slice(tag.start, tag.end)}.${n}`;
      const slot = crc16(inner) % CLUSTER_SLOTS;
      if (slot >= from && slot < to) {
        shards.push(shardAt(prefix.slice(0, tag.start) + inner + prefix.slice(tag.end)));
        break;
      }
    }
  }
  return shards;
}

function shardAt(prefix: string): RedisShard {
  return { prefix, index: prefix + INDEX_SUFFIX };
}

/** Which shard a session's key (a SHA-256 digest) lives in: CRC16 of the key, so it never moves. */
export function shardIndexOf(key: string, count: number): number {
  return count === 1 ? 0 : crc16(key) % count;
}

/** A subject's index in one shard: the sessions of that subject whose keys fall in the shard. */
export function subjectIndexOf(shard: RedisShard, subject: string): string {
  return shard.prefix + SUBJECT_INFIX + subject;
}

export { INDEX_SUFFIX, SUBJECT_INFIX };
