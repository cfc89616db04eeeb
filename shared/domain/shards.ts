/**
 * Write sharding of hot index keys. A project's shard is a pure function of its id, so every writer,
 * reader and background worker agrees on it without reading anything. A list or a sweep over "all
 * projects" (or all projects of one status) reads the SHARD_COUNT shards and merges them in order; a
 * background pass fans out one worker per shard.
 *
 * 16 shards keep the busiest index key of 10^5 RUNNING projects polled every 30 s near 10^5 / 30 / 16 ≈
 * 210 writes/s, under DynamoDB's 1,000 writes/s per partition with headroom (see bench/RESULTS-scale.md).
 * Changing the count re-keys every item: it is a migration, not a setting.
 */
export const SHARD_COUNT = 16;

/** FNV-1a (32-bit) of the id, modulo SHARD_COUNT: stable across processes and runtimes. */
export function shardOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % SHARD_COUNT;
}

/** Every shard number, 0 … SHARD_COUNT-1. */
export const ALL_SHARDS: readonly number[] = Array.from({ length: SHARD_COUNT }, (_, i) => i);
