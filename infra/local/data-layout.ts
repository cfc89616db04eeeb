import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where one `npm start` instance keeps its data: LOCAL_DATA_DIR (default `.local`) is the instance's root
 * (its lock, pause timers, event and alert logs, stream checkpoint), DynamoDB Local's database is in its
 * `dynamodb/` directory. A root that is itself an older DynamoDB data directory (LOCAL_DATA_DIR used to
 * name `.local/dynamodb`) keeps its database where it is.
 */
export interface DataLayout {
  root: string;
  dynamodb: string;
}

const DYNAMODB_FILE = 'shared-local-instance.db';

export function dataLayout(localDataDir: string | undefined, cwd = process.cwd()): DataLayout {
  const root = resolve(cwd, localDataDir || '.local');
  const nested = join(root, 'dynamodb');
  const legacy = existsSync(join(root, DYNAMODB_FILE)) && !existsSync(join(nested, DYNAMODB_FILE));
  return { root, dynamodb: legacy ? root : nested };
}
