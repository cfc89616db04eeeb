import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderOpenApiDocument } from './openapi';

/** `npm run openapi`: regenerates the checked-in shared/api/openapi.json. */
const target = join(__dirname, 'openapi.json');
writeFileSync(target, renderOpenApiDocument());
console.log(`wrote ${target}`);
