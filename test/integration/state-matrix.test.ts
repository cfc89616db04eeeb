import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_STATUSES } from '../../shared/domain/project';
import { ruleFor, USER_OPERATIONS, type UserOperation } from '../../shared/domain/transitions';
import { call, createDataSources, useLocalTable } from '../support/harness';
import { projectIn } from '../support/seed';

/** Every cell of the status × operation matrix, on DynamoDB Local, through the real handlers. */

function request(op: UserOperation, p: { id: string; name: string }) {
  switch (op) {
    case 'delete':
      return call('DELETE', `/projects/${p.id}?confirmName=${encodeURIComponent(p.name)}`);
    case 'modify-alert-config':
      return call('PUT', `/projects/${p.id}/alert-config`, { body: { level: 'HIGH' } });
    case 'skip-full-verification':
      return call('POST', `/projects/${p.id}/skip-full-verification`);
    case 'enter-forward-switchover':
      return call('POST', `/projects/${p.id}/forward-switchover`);
    case 'start-forward-switchover':
      return call('POST', `/projects/${p.id}/forward-switchover/start`);
    case 'confirm-switchover-step':
      return call('POST', `/projects/${p.id}/forward-switchover/confirm`, { body: { step: 'CONFIRM_SOURCE_WRITES_STOPPED' } });
    default:
      return call('POST', `/projects/${p.id}/${op}`);
  }
}

/**
 * Where an allowed operation leads; `{ refusedBy }`: allowed from the state, but refused by its stage
 * guard here, since these projects stand at their first subtask (no execution moves them on).
 */
const EXPECTED_STATUS: Record<UserOperation, string | null | { refusedBy: string }> = {
  start: 'RUNNING',
  pause: 'PAUSED',
  resume: 'RUNNING',
  release: 'RELEASED',
  delete: null,
  'modify-alert-config': 'UNCHANGED',
  precheck: 'UNCHANGED',
  'skip-full-verification': { refusedBy: 'NOT_IN_FULL_VERIFICATION' },
  'enter-forward-switchover': { refusedBy: 'NOT_AT_FORWARD_SWITCHOVER' },
  'start-forward-switchover': { refusedBy: 'NOT_AT_FORWARD_SWITCHOVER' },
  'confirm-switchover-step': { refusedBy: 'NOT_AT_FORWARD_SWITCHOVER' },
};

describe('status × operation matrix', () => {
  let ds: { sourceId: string; destinationId: string };
  beforeAll(async () => {
    await useLocalTable();
    ds = await createDataSources('matrix');
  });

  const cells = PROJECT_STATUSES.flatMap((status) => USER_OPERATIONS.map((op) => ({ status, op })));

  it.each(cells)('$op on a $status project', async ({ status, op }) => {
    // Prepare
    const before = await projectIn(status, ds);
    const allowed = ruleFor(op).from.includes(status);

    // Act
    const res = await request(op, before);

    // Assess
    const after = await call('GET', `/projects/${before.id}`);
    if (!allowed) {
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.body).toMatchObject({ code: 'INVALID_STATE', currentStatus: status, allowedFrom: [...ruleFor(op).from] });
      expect(after.body).toMatchObject({ status, version: before.version });
      return;
    }
    const expected = EXPECTED_STATUS[op];
    if (expected !== null && typeof expected === 'object') {
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: expected.refusedBy, currentStatus: status });
      expect(after.body).toMatchObject({ status, version: before.version });
      return;
    }
    if (expected === null) {
      expect(res.status).toBe(204);
      expect(after.status).toBe(404);
      return;
    }
    expect(res.status).toBe(200);
    const expectedStatus = expected === 'UNCHANGED' ? status : expected;
    expect(res.body.status).toBe(expectedStatus);
    expect(after.body).toMatchObject({ status: expectedStatus });
    expect(after.body.version).toBeGreaterThan(before.version);
    if (op === 'modify-alert-config') expect(after.body.alertLevel).toBe('HIGH');
  });
});
