import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROUTES } from '../../shared/api/routes';
import { alertThresholdsMarkdown } from '../../shared/domain/alerts';
import { batchTableMarkdown } from '../../shared/domain/batch';
import { stateTableMarkdown } from '../../shared/domain/transitions';

/**
 * README sections generated from the code that enforces them: the state table and the batch table from
 * the transitions table, the API table from the route table, the alert thresholds from the thresholds
 * table. `npm run docs` rewrites them; a test fails when stale.
 */
export function apiTableMarkdown(): string {
  return [
    '| method | path | what it does |',
    '| --- | --- | --- |',
    ...ROUTES.map((r) => `| ${r.method} | \`${r.path}\` | ${r.summary} |`),
  ].join('\n');
}

export const GENERATED_SECTIONS: Record<string, () => string> = {
  'state-table': stateTableMarkdown,
  'api-table': apiTableMarkdown,
  'alert-thresholds': alertThresholdsMarkdown,
  'batch-table': batchTableMarkdown,
};

export function renderReadme(readme: string): string {
  let out = readme;
  for (const [name, render] of Object.entries(GENERATED_SECTIONS)) {
    const pattern = new RegExp(`(<!-- generated:${name} -->)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    if (!pattern.test(out)) throw new Error(`README has no generated:${name} section`);
    out = out.replace(pattern, (_m, open: string, close: string) => `${open}\n${render()}\n${close}`);
  }
  return out;
}

if (process.argv[1]?.endsWith('docs.ts')) {
  const path = resolve(process.cwd(), 'README.md');
  writeFileSync(path, renderReadme(readFileSync(path, 'utf8')));
  console.log('README.md generated sections updated');
}
