/** Deployment stages: removal policies, names and retention follow from the stage. */
export const STAGES = ['dev', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}
