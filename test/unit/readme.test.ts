import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReadme } from '../../infra/local/docs';

describe('README', () => {
  it('its state and API tables are the ones the code generates (run `npm run docs` after changing them)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(renderReadme(readme));
  });

  it('holds the two set-up commands', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });
});
