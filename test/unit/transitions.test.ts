import { describe, expect, it } from 'vitest';
import { PROJECT_STATUSES } from '../../shared/domain/project';
import { allowedActions, isAllowed, ruleFor, TRANSITIONS, USER_OPERATIONS } from '../../shared/domain/transitions';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');

describe('transitions table', () => {
  it('allowedActions per status follow the OMS state machine', () => {
    // Act
    const byStatus = Object.fromEntries(PROJECT_STATUSES.map((s) => [s, allowedActions({ status: s }, T0)]));

    // Assess
    expect(byStatus).toEqual({
      NOT_STARTED: ['start', 'precheck', 'delete', 'modify-alert-config'],
      RUNNING: ['pause', 'modify-alert-config'],
      PAUSED: ['resume', 'release', 'modify-alert-config'],
      FAILED: ['resume', 'release', 'modify-alert-config'],
      RELEASING: [],
      RELEASED: ['delete'],
      COMPLETED: ['release'],
    });
  });

  it('resume is allowed until just before pauseExpiresAt and never from then on', () => {
    // Prepare
    const paused = { status: 'PAUSED' as const, pauseExpiresAt: new Date(T0).toISOString() };

    // Act / Assess
    expect(isAllowed(ruleFor('resume'), paused, T0 - 1)).toBe(true);
    expect(isAllowed(ruleFor('resume'), paused, T0)).toBe(false);
    expect(isAllowed(ruleFor('resume'), paused, T0 + 1)).toBe(false);
    expect(allowedActions(paused, T0)).not.toContain('resume');
  });

  it('every row names real states, and only release passes through a transient state', () => {
    for (const row of TRANSITIONS) {
      for (const s of row.from) expect(PROJECT_STATUSES).toContain(s);
      if (!['UNCHANGED', 'DELETED'].includes(row.to)) expect(PROJECT_STATUSES).toContain(row.to);
    }
    expect(TRANSITIONS.filter((t) => 'via' in t).map((t) => t.operation)).toEqual(['release']);
    expect(USER_OPERATIONS).not.toContain('complete-release');
  });
});
