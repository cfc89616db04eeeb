import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { positionReaderFromEnv } from '../../shared/adapters/engine/dms/from-env';
import { depsFromEnv } from '../../shared/runtime';
import { capabilitiesOf, reachesEngineJobs } from '../../shared/wiring';

/**
 * The engines that move real data (AWS DMS, with its PostgreSQL driver) are built into a function only
 * when its handler imports shared/deployed-engines.ts (shared/engine-factories.ts). A function that runs or
 * observes jobs without it would fail at init when deployed with the aws-dms engine; one that does not
 * need it would only carry it. The bundles are checked in test/infra/stack.test.ts.
 */
const FUNCTIONS_DIR = path.resolve(__dirname, '..', '..', 'functions');

describe('deployed engines in the function handlers', () => {
  it('are imported by exactly the handlers of the functions that run or observe engine jobs', () => {
    // Prepare
    const functions = readdirSync(FUNCTIONS_DIR);

    // Act
    const importing = functions.filter((fn) => /^import '\.\.\/\.\.\/shared\/deployed-engines';$/m.test(readFileSync(path.join(FUNCTIONS_DIR, fn, 'handler.ts'), 'utf8')));

    // Assess
    expect(importing.sort()).toEqual(functions.filter(reachesEngineJobs).sort());
    expect(importing).toEqual(expect.arrayContaining(['orchestration-step', 'engine-notices', 'project-lifecycle']));
  });

  it('the position reader (the PostgreSQL driver) is imported by exactly the handlers of the functions that make or drop write-stop positions', () => {
    // Prepare
    const functions = readdirSync(FUNCTIONS_DIR);

    // Act
    const importing = functions.filter((fn) => /^import '\.\.\/\.\.\/shared\/deployed-position-reader';$/m.test(readFileSync(path.join(FUNCTIONS_DIR, fn, 'handler.ts'), 'utf8')));

    // Assess
    expect(importing.sort()).toEqual(functions.filter((fn) => capabilitiesOf(fn).includes('positions')).sort());
    expect(importing.sort()).toEqual(['orchestration-reconciler', 'orchestration-step']);
  });

  it('a function built without them refuses at init to run jobs on AWS DMS, naming what is missing (no fallback to another engine)', () => {
    // Prepare: this file imports no handler, so nothing provided the aws-dms engine
    const env = { AWS_REGION: 'eu-west-1', TABLE_NAME: 'projects', EVENT_BUS_NAME: 'bus', CONTROL_PLANE_FUNCTION: 'pause-timer', MIGRATION_ENGINES: 'aws-dms' };

    // Act / Assess
    expect(() => depsFromEnv(env)).toThrow(/MIGRATION_ENGINES names 'aws-dms', but this function \(pause-timer\) was built without it: its handler must import shared\/deployed-engines/);
  });

  it('a function told to read positions (DMS_POSITION_READER) but built without the position reader refuses at init, naming the import', () => {
    // Prepare: this file imports no handler, so nothing provided the position reader
    const secrets = { secretString: async () => '{}' };

    // Act / Assess
    expect(() => positionReaderFromEnv({ DMS_POSITION_READER: 'secrets-manager' }, true, secrets)).toThrow(/built without the position reader: its handler must import shared\/deployed-position-reader/);
  });
});
