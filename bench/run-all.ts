/**
 * `npm run bench`: every figure in turn, each in its own process (one DynamoDB Local each, none left
 * running), then RESULTS.md re-rendered. P2 (batch) belongs to bench/batch-pause.ts; it runs here when
 * its script is present and RESULTS.md links its own results file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BENCH_DIR, rerender } from './lib/report';

const FIGURES = ['bench:coldstart', 'bench:latency', 'bench:cost', 'bench:orchestration', 'bench:throughput'];

function main(): number {
  const root = path.resolve(BENCH_DIR, '..');
  const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const batch = scripts['bench:batch'] && existsSync(path.join(BENCH_DIR, 'batch-pause.ts')) ? ['bench:batch'] : [];
  const started = Date.now();
  const failed: string[] = [];
  for (const script of [...FIGURES, ...batch]) {
    const t = Date.now();
    console.log(`\n=== npm run ${script}`);
    const r = spawnSync('npm', ['run', '--silent', script], { cwd: root, stdio: 'inherit' });
    console.log(`=== ${script}: ${r.status === 0 ? 'done' : `FAILED (${r.status ?? r.signal})`} in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    if (r.status !== 0) failed.push(script);
  }
  rerender();
  console.log(`\nbench: ${((Date.now() - started) / 1000).toFixed(0)} s; results in bench/RESULTS.md and bench/results.json${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}`);
  return failed.length ? 1 : 0;
}

process.exit(main());
