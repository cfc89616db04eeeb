import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm run test:reliability`: each heavy suite in its own vitest process, so each gets a fresh DynamoDB
 * Local (one shared by all suites slows down as their tables pile up), one after the other; then the
 * summary (README table). Exits non-zero if any suite failed, after running them all.
 */
const dir = join(process.cwd(), 'test', 'reliability');
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.test.ts') && (only.length === 0 || only.some((o) => f.startsWith(o))))
  .sort();
const failed: string[] = [];
for (const file of files) {
  const started = Date.now();
  console.log(`\n=== ${file}`);
  const r = spawnSync('npx', ['vitest', 'run', '--config', 'vitest.reliability.config.mts', join('test', 'reliability', file)], { stdio: 'inherit' });
  console.log(`=== ${file}: ${r.status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (r.status !== 0) failed.push(file);
}
const summary = spawnSync('npx', ['tsx', join('test', 'reliability', 'summary.ts')], { stdio: 'inherit' });
if (failed.length) console.error(`\nreliability: FAILED ${failed.join(', ')}`);
process.exit(failed.length || summary.status ? 1 : 0);
