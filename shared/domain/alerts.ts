import { isoAt } from './clock';
import { validationFailed } from './errors';
import type { AlertLevel, AuditEvent } from './project';
import { ALERT_LEVELS } from './project';

/**
 * Alerts. A project's alert level (NONE, LOW, MEDIUM, HIGH, as OMS's No/Low/Medium/High Protection)
 * decides which conditions raise an alert and above which thresholds. THE thresholds table below is
 * data, one row per level: the rules read it, and the README's "Alerts" table is generated from it.
 * Pure functions only: no AWS SDK, no clock (callers pass instants).
 */

export const ALERT_CONDITIONS = ['PROJECT_FAILED', 'PAUSE_EXPIRING_SOON', 'SYNC_LATENCY_HIGH', 'VERIFICATION_MISMATCHES'] as const;
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];

export const ALERT_SEVERITIES = ['WARNING', 'CRITICAL'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** Conditions raised by a committed audit event (from the table's stream). */
export const EVENT_CONDITIONS = ['PROJECT_FAILED', 'PAUSE_EXPIRING_SOON'] as const satisfies readonly AlertCondition[];
/** Conditions raised by a measurement of the running project (the orchestration polls the engine). */
export const MEASURED_CONDITIONS = ['SYNC_LATENCY_HIGH', 'VERIFICATION_MISMATCHES'] as const satisfies readonly AlertCondition[];
export type EventCondition = (typeof EVENT_CONDITIONS)[number];
export type MeasuredCondition = (typeof MEASURED_CONDITIONS)[number];

export interface EventRule {
  readonly severity: AlertSeverity;
}

/** Raised when the measured value is strictly above `above` (equal to it is still fine). */
export interface ThresholdRule {
  readonly severity: AlertSeverity;
  readonly above: number;
}

export interface AlertLevelRow {
  readonly level: AlertLevel;
  readonly PROJECT_FAILED?: EventRule;
  readonly PAUSE_EXPIRING_SOON?: EventRule;
  /** Incremental sync latency, in seconds. */
  readonly SYNC_LATENCY_HIGH?: ThresholdRule;
  /** Rows that differ between source and destination in the full verification. */
  readonly VERIFICATION_MISMATCHES?: ThresholdRule;
  /**
   * A measured condition that persists raises again at most once per window of this length
   * (windows are aligned to the epoch, UTC). Event conditions raise once per audit event.
   */
  readonly windowSeconds: number;
}

/** THE thresholds table: one row per alert level. NONE raises nothing. */
export const ALERT_THRESHOLDS = [
  { level: 'NONE', windowSeconds: 24 * 3600 },
  {
    level: 'LOW',
    PROJECT_FAILED: { severity: 'CRITICAL' },
    SYNC_LATENCY_HIGH: { severity: 'WARNING', above: 30 * 60 },
    VERIFICATION_MISMATCHES: { severity: 'WARNING', above: 1000 },
    windowSeconds: 6 * 3600,
  },
  {
    level: 'MEDIUM',
    PROJECT_FAILED: { severity: 'CRITICAL' },
    PAUSE_EXPIRING_SOON: { severity: 'WARNING' },
    SYNC_LATENCY_HIGH: { severity: 'WARNING', above: 10 * 60 },
    VERIFICATION_MISMATCHES: { severity: 'WARNING', above: 100 },
    windowSeconds: 3600,
  },
  {
    level: 'HIGH',
    PROJECT_FAILED: { severity: 'CRITICAL' },
    PAUSE_EXPIRING_SOON: { severity: 'CRITICAL' },
    SYNC_LATENCY_HIGH: { severity: 'CRITICAL', above: 60 },
    VERIFICATION_MISMATCHES: { severity: 'CRITICAL', above: 0 },
    windowSeconds: 15 * 60,
  },
] as const satisfies readonly AlertLevelRow[];

export function thresholdsOf(level: AlertLevel): AlertLevelRow {
  const row = (ALERT_THRESHOLDS as readonly AlertLevelRow[]).find((r) => r.level === level);
  if (!row) throw new Error(`No alert thresholds for level '${level}'`);
  return row;
}

/** An alert as stored (under its project) and put on the bus and the SNS topic. */
export interface Alert {
  /**
   * Deterministic, unique within the project: `<condition>@v<event version>` for an audit event,
   * `<condition>@<window start>` for a measurement. The same event delivered twice, or the same
   * condition measured twice in one window, is the same alert (stored and notified once).
   */
  id: string;
  projectId: string;
  projectName?: string;
  condition: AlertCondition;
  severity: AlertSeverity;
  /** The project's alert level when the alert was raised (never NONE). */
  level: Exclude<AlertLevel, 'NONE'>;
  /** The audit event's instant, or the start of the measurement window: orders the list. */
  at: string;
  message: string;
  /** Event alerts: the audit event that raised it. */
  operation?: string;
  eventVersion?: number;
  /** Measurement alerts: what was measured, when, against which threshold. */
  measuredAt?: string;
  value?: number;
  threshold?: number;
  unit?: 'seconds' | 'rows';
  /** When the bus and the SNS topic accepted it (absent until then). */
  notifiedAt?: string;
}

export interface Measurements {
  /** Incremental sync latency (how far the destination lags behind the source), in seconds. */
  syncLatencySeconds?: number;
  /** Rows found different by the full verification so far. */
  verificationMismatches?: number;
}

/** What the rules need to know about the project. */
export interface AlertSubject {
  id: string;
  name?: string;
  alertLevel: AlertLevel;
  pauseExpiresAt?: string;
}

/**
 * Which conditions an audit event may raise, whatever the level: a transition into FAILED, and the
 * pause-expiring-soon warning. Lets the stream publisher skip reading the project for every other event.
 */
export function eventConditionsOf(e: Pick<AuditEvent, 'operation' | 'from' | 'to'>): EventCondition[] {
  const out: EventCondition[] = [];
  if (e.to === 'FAILED' && e.from !== 'FAILED') out.push('PROJECT_FAILED');
  if (e.operation === 'warn-pause-expiring') out.push('PAUSE_EXPIRING_SOON');
  return out;
}

const raisingLevel = (level: AlertLevel): Exclude<AlertLevel, 'NONE'> | null => (level === 'NONE' ? null : level);

/** The alerts one committed audit event raises for a project at its alert level. */
export function alertsForAuditEvent(project: AlertSubject, e: AuditEvent): Alert[] {
  const level = raisingLevel(project.alertLevel);
  if (!level) return [];
  const row = thresholdsOf(level);
  const named = project.name ? `'${project.name}' (${project.id})` : project.id;
  return eventConditionsOf(e).flatMap((condition): Alert[] => {
    const rule = row[condition];
    if (!rule) return [];
    const message =
      condition === 'PROJECT_FAILED'
        ? `Project ${named} failed${e.cause ? ` (${e.cause})` : ''}; resume it once the cause is fixed, or release it.`
        : `The pause of project ${named} expires soon${project.pauseExpiresAt ? ` (at ${project.pauseExpiresAt})` : ''}; resume it before then or it can no longer be resumed.`;
    return [
      {
        id: `${condition}@v${e.version}`,
        projectId: project.id,
        ...(project.name ? { projectName: project.name } : {}),
        condition,
        severity: rule.severity,
        level,
        at: e.at,
        message,
        operation: e.operation,
        eventVersion: e.version,
      },
    ];
  });
}

/** Start of the measurement window (aligned to the epoch) that holds `ms`, for a level. */
export function windowStartMs(level: AlertLevel, ms: number): number {
  const windowMs = thresholdsOf(level).windowSeconds * 1000;
  return Math.floor(ms / windowMs) * windowMs;
}

function checkMeasurement(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < 0) throw validationFailed(`${name} must be a finite number >= 0, got ${value}.`);
}

/** The alerts a measurement raises for a project at its alert level, measured at `measuredAtMs`. */
export function alertsForMeasurements(project: AlertSubject, m: Measurements, measuredAtMs: number): Alert[] {
  checkMeasurement('syncLatencySeconds', m.syncLatencySeconds);
  checkMeasurement('verificationMismatches', m.verificationMismatches);
  const level = raisingLevel(project.alertLevel);
  if (!level) return [];
  const row = thresholdsOf(level);
  const windowStart = isoAt(windowStartMs(level, measuredAtMs));
  const named = project.name ? `'${project.name}' (${project.id})` : project.id;
  const measured: [MeasuredCondition, number | undefined, 'seconds' | 'rows'][] = [
    ['SYNC_LATENCY_HIGH', m.syncLatencySeconds, 'seconds'],
    ['VERIFICATION_MISMATCHES', m.verificationMismatches, 'rows'],
  ];
  return measured.flatMap(([condition, value, unit]): Alert[] => {
    const rule = row[condition];
    if (!rule || value === undefined || !(value > rule.above)) return [];
    const message =
      condition === 'SYNC_LATENCY_HIGH'
        ? `Incremental sync of project ${named} lags ${value} s behind the source (${level} level: alert above ${rule.above} s).`
        : `Full verification of project ${named} found ${value} mismatched rows (${level} level: alert above ${rule.above}).`;
    return [
      {
        id: `${condition}@${windowStart}`,
        projectId: project.id,
        ...(project.name ? { projectName: project.name } : {}),
        condition,
        severity: rule.severity,
        level,
        at: windowStart,
        message,
        measuredAt: isoAt(measuredAtMs),
        value,
        threshold: rule.above,
        unit,
      },
    ];
  });
}

function formatSeconds(s: number): string {
  if (s % 3600 === 0) return `${s / 3600} h`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

/** Markdown thresholds table for the README, generated from ALERT_THRESHOLDS. */
export function alertThresholdsMarkdown(): string {
  const rows = ALERT_THRESHOLDS as readonly AlertLevelRow[];
  const event = (r?: EventRule) => (r ? `✓ ${r.severity}` : '—');
  const latency = (r?: ThresholdRule) => (r ? `> ${formatSeconds(r.above)} · ${r.severity}` : '—');
  const mismatches = (r?: ThresholdRule) => (r ? `${r.above === 0 ? 'any (> 0)' : `> ${r.above}`} rows · ${r.severity}` : '—');
  return [
    '| level | `PROJECT_FAILED` | `PAUSE_EXPIRING_SOON` | `SYNC_LATENCY_HIGH` | `VERIFICATION_MISMATCHES` | a persisting measured condition raises again after |',
    '| --- | --- | --- | --- | --- | --- |',
    ...ALERT_LEVELS.map((level) => {
      const r = rows.find((x) => x.level === level) as AlertLevelRow;
      if (level === 'NONE') return '| NONE | — | — | — | — | (raises nothing) |';
      return `| ${level} | ${event(r.PROJECT_FAILED)} | ${event(r.PAUSE_EXPIRING_SOON)} | ${latency(r.SYNC_LATENCY_HIGH)} | ${mismatches(r.VERIFICATION_MISMATCHES)} | ${formatSeconds(r.windowSeconds)} |`;
    }),
  ].join('\n');
}
