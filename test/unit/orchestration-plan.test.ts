import { describe, expect, it } from 'vitest';
import { Expression, guardPieces } from '../../shared/adapters/dynamodb/conditions';
import { needsExecution, planNext, stageOf } from '../../shared/domain/orchestration';
import type { ProjectRecord } from '../../shared/domain/project';
import { buildSubtasks, type Subtask } from '../../shared/domain/subtasks';
import { allowedActions, GUARDS } from '../../shared/domain/transitions';

const all = buildSubtasks({ structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: true });
const withStatus = (list: Subtask[], statuses: Partial<Record<string, Subtask['status']>>) => list.map((s) => ({ ...s, status: statuses[s.type] ?? s.status }));
const T0 = Date.parse('2026-03-01T00:00:00.000Z');

describe('planning a run from the project item', () => {
  it('the stage skips finished subtasks and started continuous ones', () => {
    expect(stageOf(all)).toBe('STRUCTURE_MIGRATION');
    expect(stageOf(withStatus(all, { STRUCTURE_MIGRATION: 'SUCCEEDED', FULL_MIGRATION: 'SUCCEEDED', INCREMENTAL_SYNC: 'PAUSED' }))).toBe('FULL_VERIFICATION');
    expect(stageOf(withStatus(all, { STRUCTURE_MIGRATION: 'SUCCEEDED', FULL_MIGRATION: 'SUCCEEDED', INCREMENTAL_SYNC: 'RUNNING', FULL_VERIFICATION: 'SKIPPED' }))).toBe('FORWARD_SWITCHOVER');
  });

  it('next: a paused continuous subtask is resumed before the later subtask; gates before steps; manual steps wait', () => {
    // Prepare
    const paused = withStatus(all, { STRUCTURE_MIGRATION: 'SUCCEEDED', FULL_MIGRATION: 'SUCCEEDED', INCREMENTAL_SYNC: 'PAUSED', FULL_VERIFICATION: 'PAUSED' });
    const atSwitchover = withStatus(all, { STRUCTURE_MIGRATION: 'SUCCEEDED', FULL_MIGRATION: 'SUCCEEDED', INCREMENTAL_SYNC: 'RUNNING', FULL_VERIFICATION: 'SUCCEEDED' });
    const stepsDone = (n: number) =>
      atSwitchover.map((s) => (s.steps ? { ...s, steps: s.steps.map((st, i) => ({ ...st, status: i < n ? ('SUCCEEDED' as const) : st.status })) } : s));

    // Act / Assess
    expect(planNext({ subtasks: paused })).toEqual({ action: 'RUN', subtask: 'INCREMENTAL_SYNC' });
    expect(planNext({ subtasks: atSwitchover })).toMatchObject({ action: 'AWAIT', gate: 'SWITCHOVER_ENTRY' });
    expect(planNext({ subtasks: atSwitchover, switchoverEnteredAt: 'x' })).toMatchObject({ action: 'AWAIT', gate: 'SWITCHOVER_START' });
    const started = { switchoverEnteredAt: 'x', switchoverStartedAt: 'y' };
    expect(planNext({ subtasks: atSwitchover, ...started })).toEqual({ action: 'RUN', subtask: 'FORWARD_SWITCHOVER', step: 'START_FORWARD_SWITCHOVER' });
    expect(planNext({ subtasks: stepsDone(3), ...started })).toMatchObject({ action: 'AWAIT', gate: 'STEP_CONFIRMATION', step: 'CONFIRM_SOURCE_WRITES_STOPPED' });
    expect(planNext({ subtasks: stepsDone(8), ...started })).toEqual({ action: 'FINISH_SWITCHOVER', subtask: 'FORWARD_SWITCHOVER' });
  });

  it('only continuous subtasks left running: IDLE (no execution needed); nothing left: COMPLETE', () => {
    const reverse = all.map((s) => ({ ...s, status: s.type === 'REVERSE_INCREMENTAL_SYNC' ? ('RUNNING' as const) : ('SUCCEEDED' as const) }));
    expect(planNext({ subtasks: reverse })).toEqual({ action: 'IDLE' });
    expect(needsExecution({ subtasks: reverse })).toBe(false);
    expect(planNext({ subtasks: all.map((s) => ({ ...s, status: 'SUCCEEDED' as const })) })).toEqual({ action: 'COMPLETE' });
  });
});

describe('stage guards', () => {
  it('allowedActions offers the switchover operations exactly at their stage', () => {
    const running = { status: 'RUNNING' as const };
    expect(allowedActions({ ...running, currentStage: 'FULL_VERIFICATION' }, T0)).toEqual(['pause', 'skip-full-verification', 'modify-alert-config']);
    expect(allowedActions({ status: 'FAILED', currentStage: 'FULL_VERIFICATION' }, T0)).toContain('skip-full-verification');
    expect(allowedActions({ ...running, currentStage: 'FORWARD_SWITCHOVER' }, T0)).toContain('enter-forward-switchover');
    expect(allowedActions({ ...running, currentStage: 'FORWARD_SWITCHOVER', switchoverEnteredAt: 'x' }, T0)).toContain('start-forward-switchover');
    expect(allowedActions({ ...running, currentStage: 'FORWARD_SWITCHOVER', switchoverEnteredAt: 'x', switchoverStartedAt: 'y', waitingStep: 'PROCESS_DATABASE_OBJECTS' }, T0)).toEqual([
      'pause',
      'confirm-switchover-step',
      'modify-alert-config',
    ]);
  });

  it('each guard has a DynamoDB form over the same attributes', () => {
    // Prepare
    const render = (g: keyof typeof guardPieces) => {
      const x = new Expression();
      return { expression: guardPieces[g]('2026-01-01T00:00:00.000Z')(x), values: Object.values(x.values), names: Object.values(x.names) };
    };

    // Act / Assess
    expect(Object.keys(guardPieces).sort()).toEqual(Object.keys(GUARDS).sort());
    expect(render('atFullVerification')).toEqual({ expression: '#currentStage = :v0', values: ['FULL_VERIFICATION'], names: ['currentStage'] });
    expect(render('switchoverEnteredNotStarted').expression).toBe('(attribute_exists(#switchoverEnteredAt) AND attribute_not_exists(#switchoverStartedAt))');
    expect(render('pauseNotExpired').expression).toBe('(attribute_not_exists(#expiredAt) AND (attribute_not_exists(#pauseExpiresAt) OR #pauseExpiresAt > :v0))');
    expect(render('stepWaiting').expression).toBe('attribute_exists(#waitingStep)');
    const x = new Expression();
    expect(x.path(['subtasks', 4, 'steps', 3, 'status'])).toBe('#subtasks[4].#steps[3].#status');
  });

  it('a record without the stage attributes fails the stage guards (as the DynamoDB form does)', () => {
    const bare: Partial<ProjectRecord> = {};
    expect(GUARDS.atFullVerification.holds(bare, T0)).toBe(false);
    expect(GUARDS.switchoverNotEntered.holds(bare, T0)).toBe(true);
    expect(GUARDS.stepWaiting.holds(bare, T0)).toBe(false);
  });
});
