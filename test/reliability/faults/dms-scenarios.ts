import type { MigrationType } from '../../../shared/domain/project';
import { reconcileRuns } from '../../../shared/usecases/orchestration';
import { createDmsWorld, type DmsMode, type DmsWorld } from './dms-world';
import { FAULT_KINDS, type CallRecord, type Fault, type FaultKind } from './fault-plan';

/**
 * The operations whose DMS calls the suite injects faults into, each from a state built fault-free:
 * together they make every call the adapter makes (endpoints and tasks created, described, tagged,
 * started with both start types, stopped and deleted; table statistics; the CloudWatch CDC latency).
 * `act` is the operation and the background work right after it (the execution's steps, DMS moving).
 */
export interface DmsScenario {
  name: string;
  setup(w: DmsWorld): Promise<string>;
  act(w: DmsWorld, projectId: string): Promise<void>;
}

const NONE: MigrationType = { structureMigration: false, fullMigration: false, incrementalSync: false, fullVerification: false, reverseIncrementalSync: false };
const ALL: MigrationType = { structureMigration: true, fullMigration: true, incrementalSync: true, fullVerification: true, reverseIncrementalSync: true };
const LOAD: MigrationType = { ...NONE, structureMigration: true, fullMigration: true };
const SWITCHOVER: MigrationType = { ...NONE, incrementalSync: true, reverseIncrementalSync: true };

const ticks = async (w: DmsWorld, n: number) => {
  for (let i = 0; i < n; i++) await w.tick();
};

const subtask = async (w: DmsWorld, id: string, type: string) => (await w.project(id)).subtasks.find((s) => s.type === type);

async function loading(w: DmsWorld, mt: MigrationType = LOAD): Promise<string> {
  const id = await w.newProject(mt);
  await w.op('start', id);
  await w.until('full load running', async () => w.fake.taskById(w.engine.idOf(id, 'fwd'))?.Status === 'running');
  return id;
}

async function paused(w: DmsWorld): Promise<string> {
  const id = await loading(w);
  await w.op('pause', id);
  await w.until('task stopped', async () => w.fake.taskById(w.engine.idOf(id, 'fwd'))?.Status === 'stopped');
  return id;
}

/** A cdc sync that has caught up, the project waiting for the operator to enter the switchover. */
async function awaitingSwitchover(w: DmsWorld): Promise<string> {
  const id = await w.newProject(SWITCHOVER);
  w.fake.lag.set(w.engine.idOf(id, 'fwd'), { source: 1, target: 1 });
  await w.op('start', id);
  await w.until('awaiting SWITCHOVER_ENTRY', async () => (await w.project(id)).awaiting === 'SWITCHOVER_ENTRY');
  return id;
}

/** Confirms the step the project waits on, if any (the operator answering as soon as asked). */
async function confirmWaiting(w: DmsWorld, id: string): Promise<void> {
  const step = (await w.project(id)).waitingStep;
  if (step) await w.op('confirm-switchover-step', id, { parameters: { step } });
}

async function reversing(w: DmsWorld): Promise<string> {
  const id = await awaitingSwitchover(w);
  await w.op('enter-forward-switchover', id);
  await w.op('start-forward-switchover', id);
  await w.until('reverse sync running', async () => {
    await confirmWaiting(w, id);
    return (await subtask(w, id, 'REVERSE_INCREMENTAL_SYNC'))?.status === 'RUNNING' && w.fake.taskById(w.engine.idOf(id, 'rev'))?.Status === 'running';
  });
  return id;
}

async function releaseWithSweeps(w: DmsWorld, id: string): Promise<void> {
  await w.op('release', id);
  for (let i = 0; i < 4; i++) {
    await w.tick();
    await reconcileRuns(w.deps, { graceMs: 0 });
  }
}

export const DMS_SCENARIOS: DmsScenario[] = [
  {
    name: 'start (every subtask)',
    setup: (w) => w.newProject(ALL),
    act: async (w, id) => {
      await w.op('start', id);
      await ticks(w, 4);
    },
  },
  {
    name: 'pause (full load running)',
    setup: (w) => loading(w),
    act: async (w, id) => {
      await w.op('pause', id);
      await ticks(w, 2);
    },
  },
  {
    name: 'resume (task stopped by the pause)',
    setup: (w) => paused(w),
    act: async (w, id) => {
      await w.op('resume', id);
      await ticks(w, 3);
    },
  },
  {
    name: 'verification (validation-only task)',
    setup: async (w) => {
      const id = await w.newProject({ ...ALL, reverseIncrementalSync: false });
      w.fake.lag.set(w.engine.idOf(id, 'fwd'), { source: 1, target: 1 });
      await w.op('start', id);
      await w.until('sync running', async () => (await subtask(w, id, 'INCREMENTAL_SYNC'))?.status === 'RUNNING');
      return id;
    },
    act: async (w) => ticks(w, 5),
  },
  {
    name: 'forward switchover into the reverse sync',
    setup: (w) => awaitingSwitchover(w),
    act: async (w, id) => {
      await w.op('enter-forward-switchover', id);
      await w.op('start-forward-switchover', id);
      for (let i = 0; i < 6; i++) {
        await confirmWaiting(w, id);
        await w.tick();
      }
    },
  },
  {
    name: 'release (reverse sync paused)',
    setup: async (w) => {
      const id = await reversing(w);
      await w.op('pause', id);
      return id;
    },
    act: releaseWithSweeps,
  },
  {
    name: 'release (task failed in DMS)',
    setup: async (w) => {
      const id = await loading(w);
      w.fake.fail(w.engine.idOf(id, 'fwd'), 'Last Error Target endpoint unreachable.');
      await w.until('run failed', async () => (await w.project(id)).status === 'FAILED');
      return id;
    },
    act: releaseWithSweeps,
  },
];

/** The fault kinds of a DMS call: the common four, and the SDK's replay of a changing request whose answer was lost. */
export function dmsFaultKinds(method: string): FaultKind[] {
  const changes = /^(Create|Delete|Start|Stop|Modify|AddTags)/.test(method);
  return changes ? [...FAULT_KINDS, 'replayed-after'] : [...FAULT_KINDS];
}

export interface DmsCaseResult {
  scenario: string;
  calls: CallRecord[];
  hit: boolean;
  violations: string[];
}

/** One operation in a world of its own, with at most one fault; then the repair paths, the checks, and a release that must leave DMS empty. */
export async function runDmsCase(mode: DmsMode, scenario: DmsScenario, fault?: Fault): Promise<DmsCaseResult> {
  const w = createDmsWorld(mode);
  const id = await scenario.setup(w);
  const failedBefore = (await w.project(id)).status === 'FAILED';
  const violations: string[] = [];
  w.plan.begin(fault);
  try {
    await scenario.act(w, id);
  } catch (e) {
    violations.push(`the operation's background work threw: ${(e as Error).message}`);
  }
  const calls = w.plan.end();
  const hit = fault !== undefined && w.plan.lastHit !== undefined;
  try {
    await w.repair();
    violations.push(...(await w.violations(id)));
    // A fault the SDK or the state machine retries (throttled, timed out, a 500, a replayed request) never fails the run.
    const after = await w.project(id);
    if (after.status === 'FAILED' && !failedBefore && fault?.kind !== 'fatal-before') {
      const errors = after.subtasks.filter((s) => s.lastError).map((s) => `${s.type} ${s.lastError?.code}: ${s.lastError?.message}`);
      violations.push(`a retried fault failed the run: ${errors.join('; ')}`);
    }
    violations.push(...(await w.releaseAndCheck(id)));
  } catch (e) {
    violations.push(`repair failed: ${(e as Error).message}`);
  }
  return { scenario: scenario.name, calls, hit, violations };
}
