/**
 * The fault plan of the fault-injection suite: every call an operation makes through an adapter port
 * (DynamoDB, Step Functions, Scheduler, engine, EventBridge) goes through `around`, which numbers it,
 * records it, and — when the plan is armed for that number — fails it in one of the ways below.
 *
 * "before" faults fail the call without its effect (the request never reached the service);
 * "after" faults let the effect happen and then fail the call (the service did it, the answer was
 * lost: a client timeout or a 500 after the commit). These are SIMULATED faults, named as such.
 */
export type Port = 'dynamodb' | 'stepfunctions' | 'scheduler' | 'engine' | 'eventbridge' | 'dms' | 'cloudwatch';

/**
 * `replayed-after`: the effect happens, its answer is lost and the SDK sends the same request again;
 * the caller sees the second attempt's answer (a retried create meets ResourceAlreadyExistsFault, a
 * retried delete ResourceNotFoundFault, a retried start or stop InvalidResourceStateFault). Used
 * where the service behind the port is a stateful fake (the DMS adapter's calls), not in FAULT_KINDS.
 */
export type FaultKind = 'throttle-before' | 'fatal-before' | 'timeout-after' | 'internal-after' | 'replayed-after';

export const FAULT_KINDS: readonly FaultKind[] = ['throttle-before', 'fatal-before', 'timeout-after', 'internal-after'];


export const effectHappens = (kind: FaultKind) => kind.endsWith('-after');

/** An error as the AWS SDK raises it: transient ones carry the names isTransientError knows. */
export function simulatedError(kind: FaultKind, port: Port, method: string): Error {
  const names: Record<FaultKind, string> = {
    'throttle-before': 'ThrottlingException',
    'fatal-before': 'AccessDeniedException',
    'timeout-after': 'TimeoutError',
    'internal-after': 'InternalServerError',
    'replayed-after': 'InternalServerError', // never raised: the replay's own answer is what the caller sees
  };
  const e = new Error(`SIMULATED ${kind} fault on ${port}.${method}`);
  e.name = names[kind];
  (e as { $fault?: string }).$fault = kind === 'fatal-before' ? 'client' : 'server';
  return e;
}

export interface CallRecord {
  index: number;
  port: Port;
  method: string;
}

export interface Fault {
  /** Which call of the operation (0-based, counted across every port) fails. */
  at: number;
  kind: FaultKind;
}

export class FaultPlan {
  /** Calls are counted (and may fail) only while active: set-up and inspection run outside. */
  active = false;
  private counter = 0;
  private fault: Fault | undefined;
  readonly calls: CallRecord[] = [];
  /** Faults that really fired (the call the plan named was made). */
  hits = 0;
  lastHit: (CallRecord & { kind: FaultKind }) | undefined;

  /** Starts counting for one operation, with at most one fault. */
  begin(fault?: Fault): void {
    this.counter = 0;
    this.calls.length = 0;
    this.fault = fault;
    this.lastHit = undefined;
    this.active = true;
  }

  end(): CallRecord[] {
    this.active = false;
    this.fault = undefined;
    return [...this.calls];
  }

  /** Every call through the plan, armed or not, by `port.method` (FI_TRACE prints it per phase of a case). */
  readonly tally = new Map<string, number>();
  async around<T>(port: Port, method: string, effect: () => Promise<T>): Promise<T> {
    this.tally.set(`${port}.${method}`, (this.tally.get(`${port}.${method}`) ?? 0) + 1);
    if (!this.active) return effect();
    const index = this.counter++;
    const record = { index, port, method };
    this.calls.push(record);
    const fault = this.fault;
    if (!fault || fault.at !== index) return effect();
    this.hits++;
    this.lastHit = { ...record, kind: fault.kind };
    if (fault.kind === 'replayed-after') {
      await effect();
      return effect();
    }
    if (effectHappens(fault.kind)) await effect();
    throw simulatedError(fault.kind, port, method);
  }
}
