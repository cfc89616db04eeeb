import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { projectAlertJsonSchema, projectEventJsonSchema } from '../../shared/events/event-schemas';

/** `npm run schemas`: writes the JSON Schemas of the domain events (a test fails when they are stale). */
export const EVENT_SCHEMA_FILE = 'shared/events/project-event.schema.json';
export const ALERT_SCHEMA_FILE = 'shared/events/project-alert.schema.json';

export function renderEventSchema(): string {
  return `${JSON.stringify(projectEventJsonSchema(), null, 2)}\n`;
}

export function renderAlertSchema(): string {
  return `${JSON.stringify(projectAlertJsonSchema(), null, 2)}\n`;
}

if (process.argv[1]?.endsWith('gen-schemas.ts')) {
  writeFileSync(resolve(process.cwd(), EVENT_SCHEMA_FILE), renderEventSchema());
  writeFileSync(resolve(process.cwd(), ALERT_SCHEMA_FILE), renderAlertSchema());
  console.log(`${EVENT_SCHEMA_FILE} and ${ALERT_SCHEMA_FILE} written`);
}
