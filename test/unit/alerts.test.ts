import { describe, expect, it } from 'vitest';
import {
  ALERT_CONDITIONS,
  ALERT_THRESHOLDS,
  alertsForAuditEvent,
  alertsForMeasurements,
  alertThresholdsMarkdown,
  eventConditionsOf,
  thresholdsOf,
  windowStartMs,
  type AlertCondition,
  type AlertSubject,
} from '../../shared/domain/alerts';
import { DomainError } from '../../shared/domain/errors';
import { ALERT_LEVELS, type AlertLevel, type AuditEvent } from '../../shared/domain/project';

const T0 = Date.parse('2026-03-02T10:07:30.000Z');

const project = (alertLevel: AlertLevel, over: Partial<AlertSubject> = {}): AlertSubject => ({
  id: 'p-1',
  name: 'orders',
  alertLevel,
  pauseExpiresAt: '2026-03-02T12:00:00.000Z',
  ...over,
});

const audit = (over: Partial<AuditEvent> = {}): AuditEvent => ({
  at: '2026-03-02T10:00:00.000Z',
  operation: 'fail',
  from: 'RUNNING',
  to: 'FAILED',
  actor: 'system',
  requestId: 'r-1',
  version: 7,
  ...over,
});

const failed = audit({ cause: 'FULL_MIGRATION: source unreachable' });
const warned = audit({ operation: 'warn-pause-expiring', from: 'PAUSED', to: 'PAUSED', cause: 'pause-expiring-soon', version: 4 });

/** The expected table, written out: what each level raises and above which value (null = never). */
const EXPECTED: Record<AlertLevel, Record<AlertCondition, { severity: string; above?: number } | null>> = {
  NONE: { PROJECT_FAILED: null, PAUSE_EXPIRING_SOON: null, SYNC_LATENCY_HIGH: null, VERIFICATION_MISMATCHES: null },
  LOW: {
    PROJECT_FAILED: { severity: 'CRITICAL' },
    PAUSE_EXPIRING_SOON: null,
    SYNC_LATENCY_HIGH: { severity: 'WARNING', above: 1800 },
    VERIFICATION_MISMATCHES: { severity: 'WARNING', above: 1000 },
  },
  MEDIUM: {
    PROJECT_FAILED: { severity: 'CRITICAL' },
    PAUSE_EXPIRING_SOON: { severity: 'WARNING' },
    SYNC_LATENCY_HIGH: { severity: 'WARNING', above: 600 },
    VERIFICATION_MISMATCHES: { severity: 'WARNING', above: 100 },
  },
  HIGH: {
    PROJECT_FAILED: { severity: 'CRITICAL' },
    PAUSE_EXPIRING_SOON: { severity: 'CRITICAL' },
    SYNC_LATENCY_HIGH: { severity: 'CRITICAL', above: 60 },
    VERIFICATION_MISMATCHES: { severity: 'CRITICAL', above: 0 },
  },
};

const measure = (condition: 'SYNC_LATENCY_HIGH' | 'VERIFICATION_MISMATCHES', value: number) =>
  condition === 'SYNC_LATENCY_HIGH' ? { syncLatencySeconds: value } : { verificationMismatches: value };

describe('alert thresholds table', () => {
  it('has exactly one row per alert level, and NONE raises nothing', () => {
    // Act
    const levels = ALERT_THRESHOLDS.map((r) => r.level);

    // Assess
    expect([...levels].sort()).toEqual([...ALERT_LEVELS].sort());
    expect(Object.keys(thresholdsOf('NONE')).filter((k) => (ALERT_CONDITIONS as readonly string[]).includes(k))).toEqual([]);
  });

  it('a higher level is never less sensitive: it raises every condition a lower one does, at a threshold no higher', () => {
    for (let i = 1; i < ALERT_LEVELS.length; i++) {
      // Prepare
      const lower = thresholdsOf(ALERT_LEVELS[i - 1] as AlertLevel);
      const higher = thresholdsOf(ALERT_LEVELS[i] as AlertLevel);

      for (const c of ALERT_CONDITIONS) {
        // Act
        const lo = lower[c];
        const hi = higher[c];

        // Assess
        if (lo) expect(hi, `${higher.level} ${c}`).toBeDefined();
        if (lo && 'above' in lo && hi && 'above' in hi) expect(hi.above, `${higher.level} ${c}`).toBeLessThanOrEqual(lo.above);
      }
      expect(higher.windowSeconds).toBeLessThanOrEqual(lower.windowSeconds);
    }
  });

  it('renders the README table from the same rows', () => {
    // Act
    const md = alertThresholdsMarkdown();

    // Assess
    expect(md.split('\n')).toHaveLength(2 + ALERT_LEVELS.length);
    expect(md).toContain('| NONE | — | — | — | — | (raises nothing) |');
    expect(md).toContain('| LOW | ✓ CRITICAL | — | > 30 min · WARNING | > 1000 rows · WARNING | 6 h |');
    expect(md).toContain('| MEDIUM | ✓ CRITICAL | ✓ WARNING | > 10 min · WARNING | > 100 rows · WARNING | 1 h |');
    expect(md).toContain('| HIGH | ✓ CRITICAL | ✓ CRITICAL | > 1 min · CRITICAL | any (> 0) rows · CRITICAL | 15 min |');
  });
});

describe('alert rules, every level × condition', () => {
  for (const level of ALERT_LEVELS) {
    describe(`${level}`, () => {
      const expected = EXPECTED[level];

      it(`PROJECT_FAILED: ${expected.PROJECT_FAILED ? `raised (${expected.PROJECT_FAILED.severity})` : 'never raised'} on a transition into FAILED`, () => {
        // Act
        const alerts = alertsForAuditEvent(project(level), failed);

        // Assess
        if (!expected.PROJECT_FAILED) {
          expect(alerts).toEqual([]);
          return;
        }
        expect(alerts).toEqual([
          {
            id: 'PROJECT_FAILED@v7',
            projectId: 'p-1',
            projectName: 'orders',
            condition: 'PROJECT_FAILED',
            severity: expected.PROJECT_FAILED.severity,
            level,
            at: '2026-03-02T10:00:00.000Z',
            message: "Project 'orders' (p-1) failed (FULL_MIGRATION: source unreachable); resume it once the cause is fixed, or release it.",
            operation: 'fail',
            eventVersion: 7,
          },
        ]);
      });

      it(`PAUSE_EXPIRING_SOON: ${expected.PAUSE_EXPIRING_SOON ? `raised (${expected.PAUSE_EXPIRING_SOON.severity})` : 'never raised'} on the warn-pause-expiring event`, () => {
        // Act
        const alerts = alertsForAuditEvent(project(level), warned);

        // Assess
        if (!expected.PAUSE_EXPIRING_SOON) {
          expect(alerts).toEqual([]);
          return;
        }
        expect(alerts).toHaveLength(1);
        expect(alerts[0]).toMatchObject({
          id: 'PAUSE_EXPIRING_SOON@v4',
          condition: 'PAUSE_EXPIRING_SOON',
          severity: expected.PAUSE_EXPIRING_SOON.severity,
          level,
          at: warned.at,
          operation: 'warn-pause-expiring',
          eventVersion: 4,
        });
        expect(alerts[0]?.message).toContain('2026-03-02T12:00:00.000Z');
      });

      for (const condition of ['SYNC_LATENCY_HIGH', 'VERIFICATION_MISMATCHES'] as const) {
        const rule = expected[condition];
        if (!rule || rule.above === undefined) {
          it(`${condition}: never raised, whatever the value`, () => {
            // Act
            const alerts = alertsForMeasurements(project(level), measure(condition, 1_000_000_000), T0);

            // Assess
            expect(alerts).toEqual([]);
          });
          continue;
        }
        const above = rule.above;

        it(`${condition}: at the threshold (${above}) nothing, one above it (${above + 1}) a ${rule.severity} alert`, () => {
          // Act
          const atThreshold = alertsForMeasurements(project(level), measure(condition, above), T0);
          const justAbove = alertsForMeasurements(project(level), measure(condition, above + 1), T0);
          const fractionAbove = alertsForMeasurements(project(level), measure(condition, above + 0.5), T0);

          // Assess
          expect(atThreshold).toEqual([]);
          expect(fractionAbove).toHaveLength(1);
          const windowStart = new Date(windowStartMs(level, T0)).toISOString();
          expect(justAbove).toEqual([
            expect.objectContaining({
              id: `${condition}@${windowStart}`,
              projectId: 'p-1',
              condition,
              severity: rule.severity,
              level,
              at: windowStart,
              measuredAt: '2026-03-02T10:07:30.000Z',
              value: above + 1,
              threshold: above,
              unit: condition === 'SYNC_LATENCY_HIGH' ? 'seconds' : 'rows',
            }),
          ]);
        });
      }
    });
  }
});

describe('which events and measurements raise what', () => {
  it('only a transition INTO FAILED and the pause warning are alert candidates', () => {
    // Act / Assess
    expect(eventConditionsOf(failed)).toEqual(['PROJECT_FAILED']);
    expect(eventConditionsOf(warned)).toEqual(['PAUSE_EXPIRING_SOON']);
    expect(eventConditionsOf(audit({ operation: 'modify-alert-config', from: 'FAILED', to: 'FAILED' }))).toEqual([]);
    expect(eventConditionsOf(audit({ operation: 'resume', from: 'FAILED', to: 'RUNNING' }))).toEqual([]);
    expect(eventConditionsOf(audit({ operation: 'pause', from: 'RUNNING', to: 'PAUSED' }))).toEqual([]);
    expect(eventConditionsOf(audit({ operation: 'expire-pause', from: 'PAUSED', to: 'PAUSED' }))).toEqual([]);
    expect(eventConditionsOf(audit({ operation: 'delete', from: 'RELEASED', to: null }))).toEqual([]);
  });

  it('both measurements over their thresholds raise two alerts; a missing measurement raises none', () => {
    // Act
    const both = alertsForMeasurements(project('MEDIUM'), { syncLatencySeconds: 601, verificationMismatches: 101 }, T0);
    const none = alertsForMeasurements(project('HIGH'), {}, T0);

    // Assess
    expect(both.map((a) => a.condition)).toEqual(['SYNC_LATENCY_HIGH', 'VERIFICATION_MISMATCHES']);
    expect(none).toEqual([]);
  });

  it('refuses negative or non-finite measurements (400 VALIDATION_FAILED), at every level', () => {
    for (const level of ALERT_LEVELS) {
      for (const bad of [{ syncLatencySeconds: -1 }, { verificationMismatches: Number.NaN }, { syncLatencySeconds: Number.POSITIVE_INFINITY }]) {
        // Act
        const attempt = () => alertsForMeasurements(project(level), bad, T0);

        // Assess
        expect(attempt).toThrow(DomainError);
        expect(attempt).toThrow(/must be a finite number >= 0/);
      }
    }
  });
});

describe('deterministic alert ids', () => {
  it('the same audit event gives the same alert; another version another one', () => {
    // Act
    const first = alertsForAuditEvent(project('HIGH'), failed);
    const again = alertsForAuditEvent(project('HIGH'), failed);
    const later = alertsForAuditEvent(project('HIGH'), { ...failed, version: 12 });

    // Assess
    expect(again).toEqual(first);
    expect(later[0]?.id).toBe('PROJECT_FAILED@v12');
  });

  it('measurements within one window of the level share an id; the next window gets a new one', () => {
    // Prepare: MEDIUM windows are 1 h, aligned to the hour (UTC)
    const p = project('MEDIUM');
    const start = Date.parse('2026-03-02T10:00:00.000Z');

    // Act
    const atStart = alertsForMeasurements(p, { syncLatencySeconds: 900 }, start);
    const lastMs = alertsForMeasurements(p, { syncLatencySeconds: 700 }, start + 3_600_000 - 1);
    const nextWindow = alertsForMeasurements(p, { syncLatencySeconds: 900 }, start + 3_600_000);

    // Assess
    expect(atStart[0]?.id).toBe('SYNC_LATENCY_HIGH@2026-03-02T10:00:00.000Z');
    expect(lastMs[0]?.id).toBe(atStart[0]?.id);
    expect(nextWindow[0]?.id).toBe('SYNC_LATENCY_HIGH@2026-03-02T11:00:00.000Z');
  });

  it('windows follow the level: 15 min for HIGH, 6 h for LOW', () => {
    // Act / Assess
    expect(new Date(windowStartMs('HIGH', T0)).toISOString()).toBe('2026-03-02T10:00:00.000Z');
    expect(new Date(windowStartMs('HIGH', T0 + 8 * 60_000)).toISOString()).toBe('2026-03-02T10:15:00.000Z');
    expect(new Date(windowStartMs('LOW', T0)).toISOString()).toBe('2026-03-02T06:00:00.000Z');
  });

  it('without a name the message names the project by id', () => {
    // Act
    const [alert] = alertsForAuditEvent(project('LOW', { name: undefined }), audit());

    // Assess
    expect(alert?.projectName).toBeUndefined();
    expect(alert?.message).toBe('Project p-1 failed; resume it once the cause is fixed, or release it.');
  });
});
