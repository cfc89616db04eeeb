/**
 * How every Lambda function is bundled: the one source of truth for the CDK NodejsFunction
 * (infra/constructs/function.ts) and the cold-start benchmark (bench/coldstart.ts), which calls
 * esbuild's API directly with the same options. No CDK import here, so the benchmark loads fast.
 */
export const LAMBDA_BUNDLING = {
  minify: true,
  sourceMap: true,
  /** esbuild target; the functions run on the nodejs24.x runtime. */
  target: 'node22',
  format: 'cjs',
  platform: 'node',
  /**
   * The AWS SDK v3 is not bundled: the nodejs24.x runtime provides it. Bundled, the SDK alone (a
   * DynamoDBClient) is over 500 KB minified and every function was ~1 MB (bench/RESULTS.md, P3).
   * `pg` is bundled (the DMS engine's position reader loads it on first use); its optional native
   * binding `pg-native` is not installed and never loaded (`pg.native` is not used): left external.
   */
  externalModules: ['@aws-sdk/*', 'pg-native'] as string[],
} as const;
