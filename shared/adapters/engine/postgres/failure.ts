/** A job failure with a stable code: not retried, the job fails with it. */
export class JobFailure extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'JobFailure';
  }
}
