import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { projectEventJsonSchema } from '../../shared/events/domain-events';

/** `npm run schemas`: writes the JSON Schemas of the domain events (a test fails when they are stale). */
export const EVENT_SCHEMA_FILE = 'shared/events/project-event.schema.json';

export function renderEventSchema(): string {
  return `${JSON.stringify(projectEventJsonSchema(), null, 2)}\n`;
}

if (process.argv[1]?.endsWith('gen-schemas.ts')) {
  writeFileSync(resolve(process.cwd(), EVENT_SCHEMA_FILE), renderEventSchema());
  console.log(`${EVENT_SCHEMA_FILE} written`);
}
