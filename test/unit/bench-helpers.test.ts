import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capacityOf } from '../../bench/lib/capacity';
import { batchDigest, formatNumber, mdTable, renderMarkdown, verdict, type ResultsFile } from '../../bench/lib/report';
import { median, percentile, ratio, shuffled, summarize } from '../../bench/lib/stats';
import { interleave } from '../../bench/lib/timing';

/** The benchmark scripts' helpers (the benchmarks themselves never run in tests). */
describe('bench helpers', () => {
  it('percentile interpolates between closest ranks', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBeCloseTo(9.1);
    expect(percentile([7], 99)).toBe(7);
    expect(median([10, 0, 20, 30])).toBe(15);
    expect(() => percentile([], 50)).toThrow();
    expect(() => percentile([1], 101)).toThrow();
  });

  it('summarize gives n, min, max, mean and percentiles', () => {
    const s = summarize(Array.from({ length: 101 }, (_, i) => i));
    expect(s).toMatchObject({ n: 101, min: 0, max: 100, p50: 50, p90: 90, p99: 99, mean: 50 });
  });

  it('ratio refuses a zero or negative floor', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(() => ratio(1, 0)).toThrow();
    expect(() => ratio(Number.NaN, 1)).toThrow();
  });

  it('shuffled keeps every item', () => {
    expect(shuffled([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('interleave rotates which side goes first and times each side once per round', async () => {
    const order: string[] = [];
    const times = await interleave(3, [async () => order.push('a'), async () => order.push('b')], async () => order.push('|'));
    expect(order.join('')).toBe('ab|ba|ab|');
    expect(times.map((t) => t.length)).toEqual([3, 3]);
  });

  it('verdict compares against the limit, pending without a value', () => {
    expect(verdict({ value: 1.4, limit: 1.5, comparator: '<=' })).toBe('met');
    expect(verdict({ value: 1.6, limit: 1.5, comparator: '<=' })).toBe('missed');
    expect(verdict({ value: 10, limit: 5, comparator: '>=' })).toBe('met');
    expect(verdict({ value: null, limit: 5, comparator: '<=' })).toBe('pending');
    expect(verdict({ value: 3, limit: null, comparator: '<=' })).toBe('reported');
  });

  it('renders markdown tables, escaping pipes', () => {
    expect(mdTable(['a', 'b'], [[1, 'x|y']])).toBe('| a | b |\n| --- | --- |\n| 1 | x\\|y |');
    expect(formatNumber(1234.5, 'ms')).toBe('1235 ms');
    expect(formatNumber(1.234)).toBe('1.23');
    expect(formatNumber(null)).toBe('—');
  });

  it('renders RESULTS.md with a summary row per figure, its verdict and the missed reason', () => {
    const results: ResultsFile = {
      note: '',
      sections: {
        latency: {
          id: 'latency',
          title: 'P1 latency',
          command: 'npm run bench:latency',
          machine: { date: '2026-01-01T00:00:00.000Z', cores: 2, cpuModel: 'cpu', memoryGiB: 4, node: 'v20', platform: 'linux', loadAvgStart: [1, 2, 3], loadAvgEnd: [1, 1, 1] },
          durationSeconds: 12,
          figures: [{ id: 'P1.pause', name: 'pause', target: 'p50 ratio ≤ 2.0', limit: 2, comparator: '<=', value: 3.1, unit: '×', note: 'the transaction' }],
          data: {},
          markdown: 'body',
        },
      },
    };
    const md = renderMarkdown(results);
    expect(md).toContain('| pause | p50 ratio ≤ 2.0 | 3.10 × | ❌ missed — the transaction | [latency](#latency) |');
    expect(md).toContain('2 cores');
    expect(md).toContain('load average (1/5/15 min) 1.00 / 2.00 / 3.00 at start');
    expect(md).toContain('Not run yet: `npm run bench:coldstart`');
  });

  it('capacityOf sums write and read capacity of single and transactional results', () => {
    expect(capacityOf([{ CapacityUnits: 18, GlobalSecondaryIndexes: { a: { CapacityUnits: 4 }, b: { CapacityUnits: 8 } } }], true)).toEqual({ wcu: 18, rcu: 0, indexWcu: 12 });
    expect(capacityOf({ CapacityUnits: 1 }, false)).toEqual({ wcu: 0, rcu: 1, indexWcu: 0 });
    expect(capacityOf(undefined, true)).toEqual({ wcu: 0, rcu: 0, indexWcu: 0 });
  });
  it('the batch digest carries the generated tables and the figures file (1,000-project verdict) into RESULTS.md, not the analysis', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'bench-'));
    const file = join(dir, 'RESULTS-batch.md');
    const figuresFile = join(dir, 'results-batch.json');
    writeFileSync(figuresFile, JSON.stringify({ figures: { thousand: { seconds: 6.5, met: false, runs: [6.5] }, concurrency: 16, bareUpdateSeconds: 4.97, sharedTransactionSeconds: 1.5, withStreamSeconds: 40.1 } }));
    writeFileSync(
      file,
      [
        '# Batch pause benchmark (DynamoDB Local)',
        '',
        '- Date: x',
        '',
        '| projects | wall time (s) |',
        '| ---: | ---: |',
        '| 1,000 | 6.50 |',
        '',
        'Target ≤ 3 s for 1,000: MISSED (6.50 s).',
        "With the table's stream (as `npm start` creates it): 100 in 2.00 s, 1,000 in 40.10 s.",
        '',
        '| write shape | requests | in flight | projects / s | time for 1,000 projects at that rate (s) |',
        '| --- | ---: | ---: | ---: | ---: |',
        '| UpdateItem (conditional status + version) | 400 | 16 | 201 | 4.97 |',
        '',
        '<!-- analysis (kept by the benchmark script) -->',
        'prose',
      ].join('\n'),
    );

    // Act
    const digest = batchDigest(file, figuresFile);
    const md = renderMarkdown({ sections: {} } as unknown as ResultsFile, { batch: digest });

    // Assess
    expect(digest?.thousand).toEqual({ seconds: 6.5, met: false, runs: [6.5] });
    expect(digest?.bareUpdateSeconds).toBe(4.97);
    expect(digest?.withStreamSeconds).toBe(40.1);
    expect(digest?.markdown.startsWith('| projects |')).toBe(true);
    expect(md).not.toContain('prose');
    expect(md).not.toContain('- Date: x');
    expect(md).toContain('| P2 batch pause of 1,000 projects (one call) | ≤ 3 s | 6.50 s | ❌ missed — runs 6.50 s; DynamoDB Local in the same run');
    expect(md).toContain('4.97 s as bare UpdateItems, 1.50 s in 50-project transactions, while the batch\'s 16 projects in flight');
  });
});
