import { defineConfig } from 'vitest/config';
import base from './vitest.config.mts';

/** `npm run test:reliability`: only the reliability suites, at full size (RELIABILITY=heavy). */
export default defineConfig({
  test: {
    ...base.test,
    include: ['test/reliability/**/*.test.ts'],
    env: { ...base.test?.env, RELIABILITY: 'heavy' },
    testTimeout: 45 * 60_000,
    hookTimeout: 10 * 60_000,
    reporters: ['default'],
    // One heavy suite at a time: each loads DynamoDB Local, and its figures should not depend on the others.
    fileParallelism: false,
  },
});
