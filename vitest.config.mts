import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup.ts'],
    // Limits for a loaded 2-core CI machine (tests that drive DynamoDB Local or PostgreSQL can be 5-8x slower
    // there than alone); never a timing assertion: speed is measured in bench/.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Under CI, also a JSON report: .ci/run prints the plain 'N passed, N failed' closing line from it.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/vitest-results.json' }]] : ['default'],
    // @aws-sdk 3.1162 is pinned for Node 20 on purpose (see README): its notice about Node 22 is noise here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  },
});
