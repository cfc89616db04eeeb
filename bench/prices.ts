/**
 * Unit prices for the per-project cost estimate (bench/cost.ts): parameters, not measurements. AWS
 * list prices, US East (N. Virginia), as published on the pages named in `source`; change them here
 * (or per region) and re-run `npm run bench:cost`.
 */
export interface Price {
  usd: number;
  per: string;
  source: string;
}

export const PRICES = {
  region: 'us-east-1',
  apiGatewayRestRequest: { usd: 3.5 / 1e6, per: 'REST API request (first 333 million/month)', source: 'https://aws.amazon.com/api-gateway/pricing/' },
  lambdaRequest: { usd: 0.2 / 1e6, per: 'Lambda invocation', source: 'https://aws.amazon.com/lambda/pricing/' },
  lambdaArmGbSecond: { usd: 0.0000133334, per: 'GB-second, Arm (first 7.5 billion GB-s/month)', source: 'https://aws.amazon.com/lambda/pricing/' },
  dynamoDbWriteRequestUnit: {
    usd: 0.625 / 1e6,
    per: 'on-demand write request unit (1 KB; a transactional write takes 2)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (prices since 2024-11-01)',
  },
  dynamoDbReadRequestUnit: {
    usd: 0.125 / 1e6,
    per: 'on-demand read request unit (4 KB strongly consistent)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (prices since 2024-11-01)',
  },
  schedulerInvocation: { usd: 1.0 / 1e6, per: 'EventBridge Scheduler invocation (after 14 million free/month)', source: 'https://aws.amazon.com/eventbridge/pricing/' },
  stepFunctionsStateTransition: { usd: 0.025 / 1000, per: 'Standard workflow state transition', source: 'https://aws.amazon.com/step-functions/pricing/' },
} satisfies Record<string, Price | string>;

/** Assumptions of the estimate that this benchmark does not measure. */
export const ASSUMPTIONS = {
  /** infra/constructs/function.ts default memory. */
  lambdaMemoryMb: 512,
  /** Billed duration of one warm API invocation (one or two DynamoDB round trips in-region); not measured locally. */
  lambdaBilledMsPerInvocation: 100,
};
