import * as z from 'zod';

/** What a pause timer hands to the pause-timer function. */
export const PauseTimerEvent = z.strictObject({
  kind: z.enum(['warn', 'expire']),
  projectId: z.string().min(1).max(64),
  pausedAt: z.iso.datetime(),
  /** A source's own pause (multi-source projects). */
  sourceId: z.string().min(1).max(64).optional(),
});
