/**
 * The seeds' lifecycle table (OMS "Supported batch operation" by project status, and the single-project
 * operations), written out by hand from ../shared/seeds/ — never derived from shared/domain/transitions.ts,
 * so the tests that compare the product with it can fail. Statuses a user operation may start from.
 */
export const SEEDS_FROM = {
  start: ['NOT_STARTED'],
  pause: ['RUNNING'],
  resume: ['PAUSED', 'FAILED'],
  release: ['PAUSED', 'FAILED', 'COMPLETED'],
  delete: ['NOT_STARTED', 'RELEASED'],
  'modify-alert-config': ['NOT_STARTED', 'RUNNING', 'PAUSED', 'FAILED'],
  // The next four also depend on the stage a project stands at (the table row's guards decide).
  'skip-full-verification': ['RUNNING', 'PAUSED', 'FAILED'],
  'enter-forward-switchover': ['RUNNING'],
  'start-forward-switchover': ['RUNNING'],
  'confirm-switchover-step': ['RUNNING'],
} as const satisfies Record<string, readonly ('NOT_STARTED' | 'RUNNING' | 'PAUSED' | 'FAILED' | 'RELEASING' | 'RELEASED' | 'COMPLETED')[]>;
