import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIGURES_DIR, type SuiteFigures } from './support/profile';

/**
 * Prints what each reliability suite tried (from .reliability/*.json, written by the suites) and, after a
 * heavy run, writes the same table into README.md between the reliability markers. Figures are never
 * typed by hand.
 */
type Row = SuiteFigures & { profile: string; seed: number; at: string };

const rows: Row[] = existsSync(FIGURES_DIR)
  ? readdirSync(FIGURES_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(FIGURES_DIR, f), 'utf8')) as Row)
      .sort((a, b) => a.suite.localeCompare(b.suite))
  : [];

const table = [
  '| suite | cases | runs | faults | failures | profile | what a run is |',
  '| --- | ---: | ---: | ---: | ---: | --- | --- |',
  ...rows.map((r) => `| ${r.suite} | ${r.cases.toLocaleString('en-US')} | ${r.runs.toLocaleString('en-US')} | ${r.faults.toLocaleString('en-US')} | ${r.failures} | ${r.profile} (seed ${r.seed}) | ${r.notes ?? ''} |`),
].join('\n');

console.log(table);

const START = '<!-- generated:reliability -->';
const END = '<!-- /generated:reliability -->';
if (rows.length && rows.every((r) => r.profile === 'heavy')) {
  const readme = readFileSync('README.md', 'utf8');
  const at = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (at >= 0 && end > at) {
    const day = rows.map((r) => r.at.slice(0, 10)).sort().at(-1);
    const body = `${START}\nLast heavy run: ${day}, \`npm run test:reliability\`.\n\n${table}\n${END}`;
    writeFileSync('README.md', readme.slice(0, at) + body + readme.slice(end + END.length));
    console.log('README.md reliability section updated');
  }
}
