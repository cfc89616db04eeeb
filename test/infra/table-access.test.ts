import { describe, expect, it } from 'vitest';
import { TABLE_ACCESS } from '../../infra/constructs/projects-table';
import { FUNCTION_NAMES, ROUTES } from '../../shared/api/routes';
import { capabilitiesOf, operationsOf } from '../../shared/wiring';
import { type Json, type Synthesized, asList, logicalId, roleOfFunction, statementsOfRole, synthesizeStack } from './template';

/**
 * Least privilege inside the projects table, read from the synthesized template. The oracle below is
 * written by hand from the adapters each function's use cases reach (shared/adapters/dynamodb/*,
 * shared/adapters/engine/dynamodb-job-store.ts, the idempotency middleware of every HTTP write): a
 * grant that widens (or a function that needs more) must change it here too.
 */

const GET = 'dynamodb:GetItem';
const QUERY = 'dynamodb:Query';
const BATCH_GET = 'dynamodb:BatchGetItem';
const PUT = 'dynamodb:PutItem';
const UPDATE = 'dynamodb:UpdateItem';
const DELETE = 'dynamodb:DeleteItem';
/** The publisher's event source mapping reads the table's stream. */
const STREAM = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];

interface Expected {
  /** Every DynamoDB action the role is allowed, on any resource. */
  actions: string[];
  /** Query on the indexes (table ARN /index/*). */
  indexes?: boolean;
  /** dynamodb:LeadingKeys patterns of PutItem/UpdateItem, and of DeleteItem. */
  writeIn?: string[];
  deleteIn?: string[];
}

const IDEMPOTENCY = 'IDEMPOTENCY#*';
const EXPECTED: Record<string, Expected> = {
  'get-openapi': { actions: [] },
  'get-project': { actions: [QUERY] }, // the project and its progress item: one Query
  'list-projects': { actions: [QUERY], indexes: true },
  'list-project-events': { actions: [QUERY] },
  'list-project-alerts': { actions: [GET, QUERY] },
  'get-data-source': { actions: [GET] },
  'list-data-sources': { actions: [QUERY], indexes: true },
  'create-data-source': { actions: [GET, PUT, UPDATE, DELETE], writeIn: ['DATASOURCE#*', IDEMPOTENCY], deleteIn: [IDEMPOTENCY] },
  'delete-data-source': { actions: [GET, PUT, UPDATE, DELETE], writeIn: [IDEMPOTENCY], deleteIn: ['DATASOURCE#*', IDEMPOTENCY] },
  // Runs the new project's precheck in its engine (the simulated engine's partitions).
  'create-project': { actions: [GET, QUERY, PUT, UPDATE, DELETE], writeIn: ['DATASOURCE#*', IDEMPOTENCY, 'PROJECT#*', 'PROJECTNAME#*', 'SIMJOB#*'], deleteIn: [IDEMPOTENCY, 'SIMFAIL#*'] },
  'test-data-source-connection': { actions: [GET, PUT, UPDATE, DELETE], writeIn: [IDEMPOTENCY, 'SIMJOB#*'], deleteIn: [IDEMPOTENCY, 'SIMFAIL#*'] },
  'delete-project': { actions: [GET, QUERY, PUT, UPDATE, DELETE], writeIn: ['DATASOURCE#*', IDEMPOTENCY, 'PROJECT#*'], deleteIn: [IDEMPOTENCY, 'PROJECT#*', 'PROJECTNAME#*'] },
  'project-lifecycle': {
    actions: [GET, QUERY, PUT, UPDATE, DELETE],
    writeIn: ['DATASOURCE#*', IDEMPOTENCY, 'PROJECT#*', 'SIMJOB#*'],
    deleteIn: [IDEMPOTENCY, 'PROJECTNAME#*', 'SIMFAIL#*'],
  },
  // A small batch within the request; a large one's record and listing entry (BATCH#, BATCHES#).
  'batch-operations': {
    actions: [GET, BATCH_GET, QUERY, PUT, UPDATE, DELETE],
    indexes: true,
    writeIn: ['BATCH#*', 'BATCHES#*', 'DATASOURCE#*', IDEMPOTENCY, 'PROJECT#*', 'SIMJOB#*'],
    deleteIn: [IDEMPOTENCY, 'PROJECT#*', 'PROJECTNAME#*', 'SIMFAIL#*'],
  },
  'get-batch-operation': { actions: [GET, QUERY] },
  'list-batch-operations': { actions: [BATCH_GET, QUERY] },
  // Expands selectors (indexes), claims and records results (BATCH#), applies the operations, reads audit trails.
  'batch-worker': {
    actions: [GET, BATCH_GET, QUERY, PUT, UPDATE, DELETE],
    indexes: true,
    writeIn: ['BATCH#*', 'DATASOURCE#*', 'PROJECT#*', 'SIMJOB#*'],
    deleteIn: ['PROJECT#*', 'PROJECTNAME#*', 'SIMFAIL#*'],
  },
  'orchestration-step': { actions: [GET, QUERY, PUT, UPDATE, DELETE], writeIn: ['PROJECT#*', 'SIMJOB#*'], deleteIn: ['SIMFAIL#*'] },
  'orchestration-reconciler': {
    actions: [GET, BATCH_GET, QUERY, PUT, UPDATE, DELETE],
    indexes: true,
    writeIn: ['CHECKPOINT#*', 'DATASOURCE#*', 'PROJECT#*', 'SIMJOB#*'],
    deleteIn: ['PROJECTNAME#*', 'SIMFAIL#*'],
  },
  'pause-timer': { actions: [GET, QUERY, PUT, UPDATE, DELETE], writeIn: ['PROJECT#*', 'SIMJOB#*'], deleteIn: ['SIMFAIL#*'] },
  // With the aws-dms engine: reads the project (and its progress item) and fails its run.
  'engine-notices': { actions: [GET, QUERY, PUT, UPDATE, DELETE], writeIn: ['PROJECT#*', 'SIMJOB#*'], deleteIn: ['SIMFAIL#*'] },
  // Counts status changes: a counted marker in the project's partition and ADDs on the status counters.
  'publish-domain-events': { actions: [GET, PUT, UPDATE, ...STREAM], writeIn: ['COUNTER#*', 'PROJECT#*'] },
  // Reads the counters (BatchGetItem); when never set, recounts the status index and puts them.
  'project-status-metrics': { actions: [BATCH_GET, QUERY, PUT, UPDATE], indexes: true, writeIn: ['COUNTER#*'] },
};

/** Functions that may delete an item of a project's partition (the project item; IAM cannot exclude its audit events). */
const MAY_DELETE_PROJECT_ITEMS = ['batch-operations', 'batch-worker', 'delete-project'];

// With the aws-dms engine: every function of the control plane (engine-notices only exists with it).
const s = synthesizeStack('dev', undefined, { kind: 'aws-dms' });
const notices = s.cp.engineNotices;
if (!notices) throw new Error('no engine-notices function with the aws-dms engine');
const tableId = logicalId(s, s.cp.table.table);
const functionIds: Record<string, string> = {
  ...Object.fromEntries(Object.entries(s.cp.api.functions).map(([fn, f]) => [fn, logicalId(s, f)])),
  ...Object.fromEntries(Object.entries(s.cp.orchestration.functions).map(([fn, f]) => [fn, logicalId(s, f)])),
  'pause-timer': logicalId(s, s.cp.pauseTimers.function),
  'publish-domain-events': logicalId(s, s.cp.domainEvents.publisher),
  'batch-worker': logicalId(s, s.cp.batchQueue.worker),
  'project-status-metrics': logicalId(s, s.cp.monitoring.statusMetrics),
  'engine-notices': logicalId(s, notices.function),
};

const dynamoStatements = (sy: Synthesized, fn: string) =>
  statementsOfRole(sy, roleOfFunction(sy, functionIds[fn] ?? '')).filter((st: Json) => asList<string>(st.Action).some((a) => a.startsWith('dynamodb:') || a === '*'));
const actionsOf = (st: Json) => asList<string>(st.Action);
const isIndexResource = (r: Json) => JSON.stringify(r).includes('/index/');
const leadingKeysOf = (st: Json) => asList<string>(st.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']);

describe('projects table access, per function', () => {
  it('the oracle and TABLE_ACCESS name every function of the stack', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(functionIds).sort());
    expect(Object.keys(TABLE_ACCESS).sort()).toEqual(Object.keys(functionIds).sort());
  });

  it.each(Object.keys(EXPECTED))('%s has exactly its DynamoDB actions', (fn) => {
    // Prepare
    const expected = EXPECTED[fn] as Expected;

    // Act
    const statements = dynamoStatements(s, fn);
    const actions = [...new Set(statements.flatMap(actionsOf))].filter((a) => a.startsWith('dynamodb:') || a === '*').sort();
    const onIndexes = statements.filter((st) => asList(st.Resource).some(isIndexResource));

    // Assess
    expect(actions).toEqual([...expected.actions].sort());
    expect(onIndexes.flatMap(actionsOf), 'index actions').toEqual(expected.indexes ? [QUERY] : []);
    for (const st of onIndexes) expect(asList(st.Resource).every((r: Json) => JSON.stringify(r).includes(tableId) && isIndexResource(r))).toBe(true);
  });

  it.each(Object.keys(EXPECTED))('%s writes and deletes only in its partitions (dynamodb:LeadingKeys)', (fn) => {
    // Prepare
    const expected = EXPECTED[fn] as Expected;
    const statements = dynamoStatements(s, fn);

    // Act
    const writes = statements.filter((st) => actionsOf(st).some((a) => a === PUT || a === UPDATE));
    const deletes = statements.filter((st) => actionsOf(st).includes(DELETE));

    // Assess: every write statement is conditioned on exactly the expected partitions
    for (const st of writes) expect(leadingKeysOf(st).sort(), `${fn} put/update`).toEqual([...(expected.writeIn ?? [])].sort());
    for (const st of deletes) expect(leadingKeysOf(st).sort(), `${fn} delete`).toEqual([...(expected.deleteIn ?? [])].sort());
    expect(writes.length > 0).toBe(expected.writeIn !== undefined);
    expect(deletes.length > 0).toBe(expected.deleteIn !== undefined);
  });

  it('no function may scan, batch-write, use a DynamoDB wildcard, or write its indexes', () => {
    for (const fn of Object.keys(functionIds)) {
      const actions = dynamoStatements(s, fn).flatMap(actionsOf);
      expect(actions.filter((a) => ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLDelete', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLInsert'].includes(a) || a.includes('*')), fn).toEqual([]);
    }
  });

  it('only the functions that apply delete (delete-project, batch-operations, batch-worker) may delete in a project partition; no other function can delete an audit event', () => {
    // Act
    const deleters = Object.keys(functionIds).filter((fn) =>
      dynamoStatements(s, fn).some((st) => actionsOf(st).includes(DELETE) && (leadingKeysOf(st).length === 0 || leadingKeysOf(st).some((k) => 'PROJECT#x'.startsWith(k.replace('*', ''))))),
    );

    // Assess
    expect(deleters.sort()).toEqual(MAY_DELETE_PROJECT_ITEMS);
    expect(ROUTES.filter((r) => r.operations.includes('delete')).map((r) => r.fn).sort()).toEqual(MAY_DELETE_PROJECT_ITEMS.filter((fn) => fn !== 'batch-worker'));
    expect(Object.keys(functionIds).filter((fn) => operationsOf(fn).includes('delete')).sort()).toEqual(MAY_DELETE_PROJECT_ITEMS);
  });

  it("exactly the functions that run or observe jobs (capability 'jobs' or 'jobs:poll', shared/wiring.ts) may write the simulated engine's items", () => {
    for (const fn of Object.keys(functionIds)) {
      // Prepare: observing a simulated job settles it in the table, as a poll does
      const runsJobs = capabilitiesOf(fn).includes('jobs') || capabilitiesOf(fn).includes('jobs:poll');

      // Act
      const statements = dynamoStatements(s, fn);
      const engineWrites = statements.some((st) => actionsOf(st).includes(PUT) && leadingKeysOf(st).includes('SIMJOB#*'));
      const engineDeletes = statements.some((st) => actionsOf(st).includes(DELETE) && leadingKeysOf(st).includes('SIMFAIL#*'));

      // Assess
      expect(engineWrites, fn).toBe(runsJobs);
      expect(engineDeletes, fn).toBe(runsJobs);
    }
  });

  it('read-only (GET) API functions have no write action', () => {
    for (const fn of FUNCTION_NAMES.filter((f) => ROUTES.filter((r) => r.fn === f).every((r) => r.method === 'GET'))) {
      expect(dynamoStatements(s, fn).flatMap(actionsOf).filter((a) => [PUT, UPDATE, DELETE].includes(a)), fn).toEqual([]);
    }
  });
});

describe('audit trail integrity', () => {
  it('IAM cannot keep the writers of a project partition off its audit events: every overwrite, update or delete of one notifies the alerts topic', () => {
    // Prepare
    const topicId = logicalId(s, s.cp.alerts.topic);
    const writers = Object.keys(functionIds).filter((fn) => dynamoStatements(s, fn).some((st) => actionsOf(st).some((a) => a === PUT || a === UPDATE || a === DELETE) && leadingKeysOf(st).includes('PROJECT#*')));

    // Act
    const watches = Object.values(s.resources).filter((r) => r.Type === 'AWS::Pipes::Pipe');

    // Assess
    expect(writers.length).toBeGreaterThan(0);
    expect(watches).toHaveLength(1);
    const pipe = watches[0]?.Properties;
    expect(pipe.Source).toEqual({ 'Fn::GetAtt': [tableId, 'StreamArn'] });
    expect(pipe.Target).toEqual({ Ref: topicId });
    expect(JSON.parse(pipe.SourceParameters.FilterCriteria.Filters[0].Pattern)).toEqual({
      eventName: ['MODIFY', 'REMOVE'],
      dynamodb: { Keys: { sk: { S: [{ prefix: 'EVENT#' }] } } },
    });
    const roleId = pipe.RoleArn['Fn::GetAtt'][0] as string;
    const statements = statementsOfRole(s, roleId);
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(STREAM);
    expect(statements.filter((st) => actionsOf(st).includes('sns:Publish')).map((st) => st.Resource)).toEqual([{ Ref: topicId }]);
  });

  it('the domain-event publisher still sees only inserted audit events (the two stream readers do not overlap)', () => {
    const mapping = Object.values(s.resources).find((r) => r.Type === 'AWS::Lambda::EventSourceMapping' && JSON.stringify(r.Properties.FunctionName).includes(functionIds['publish-domain-events'] ?? '-'));
    expect(JSON.parse(mapping?.Properties.FilterCriteria.Filters[0].Pattern).eventName).toEqual(['INSERT']);
  });
});
