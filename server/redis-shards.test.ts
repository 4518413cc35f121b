// Where the Redis store keeps sessions: Redis Cluster's slot function, and shards that fall in
// equal slot ranges so k masters carry k shares. The keys are a stored format: these values must
// never change (a change loses every session of a sharded store).
import { describe, expect, it } from 'vitest';
import { CLUSTER_SLOTS, clusterSlot, crc16, shardIndexOf, shardsOf } from './redis-shards.ts';

describe('Redis shards', () => {
  it('hashes keys as Redis Cluster does (CRC16/XMODEM of the first non-empty {tag})', () => {
    expect(crc16('123456789')).toBe(0x31c3); // the CRC's check value
    // CLUSTER KEYSLOT on Redis 7: foo 12182, {user1000}.following 3443 (redis.io, Cluster spec).
    expect(clusterSlot('foo')).toBe(12_182);
    expect(clusterSlot('{user1000}.following')).toBe(3_443);
    expect(clusterSlot('{}x')).toBe(crc16('{}x') % CLUSTER_SLOTS);
  });

  it('keeps one shard at the prefix itself: the keys every earlier release wrote', () => {
    expect(shardsOf('idle-logout:{sessions}:', 1)).toEqual([{ prefix: 'idle-logout:{sessions}:', index: 'idle-logout:{sessions}:#deadlines' }]);
    expect(shardsOf('no-tag:', 1)[0]!.prefix).toBe('no-tag:');
    expect(shardIndexOf('anything', 1)).toBe(0);
  });

  it('numbers the tag so that shard i falls in the i-th equal range of slots, the same every time', () => {
    const shards = shardsOf('app:{sessions}:', 12);
    expect(shards[0]!.prefix).toMatch(/^app:\{sessions\.\d+\}:$/);
    shards.forEach((shard, i) => {
      const slot = clusterSlot(shard.index);
      expect(slot).toBeGreaterThanOrEqual(Math.floor((i * CLUSTER_SLOTS) / 12));
      expect(slot).toBeLessThan(Math.floor(((i + 1) * CLUSTER_SLOTS) / 12));
      expect(clusterSlot(shard.prefix + 'some-digest')).toBe(slot);
    });
    expect(shardsOf('app:{sessions}:', 12)).toEqual(shards);
    // Pinned: the stored layout of the default prefix with 3 and 16 shards.
    expect(shardsOf('idle-logout:{sessions}:', 3).map((s) => s.prefix)).toEqual(['idle-logout:{sessions.0}:', 'idle-logout:{sessions.1}:', 'idle-logout:{sessions.3}:']);
    expect(new Set(shardsOf('idle-logout:{sessions}:', 16).map((s) => s.prefix)).size).toBe(16);
  });

  it('spreads keys evenly over the shards', () => {
    const counts = new Array<number>(16).fill(0);
    for (let n = 0; n < 16_000; n++) counts[shardIndexOf(`k${String(n).padStart(42, '0')}`, 16)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1_200);
  });

  it('needs a {hash tag} to number when there is more than one shard', () => {
    expect(() => shardsOf('myapp:', 4)).toThrow(/with shards > 1 the prefix needs a \{hash tag\}/);
  });
});
