import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, SERVICE_NAME } from './names';

/**
 * Structured JSON logs and CloudWatch metrics (EMF) with Powertools for AWS Lambda, one instance of each
 * per process. Settings come from the standard POWERTOOLS_* environment (service name, namespace, log
 * level); the local runtime and the tests quiet them through the same variables.
 */

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/** One request's outcome, by operation: `result` is "ok" or the problem code. */
export function recordOutcome(operation: string, statusCode: number, code: string | undefined): void {
  const result = statusCode < 400 ? 'ok' : (code ?? `HTTP_${statusCode}`);
  metrics.addDimensions({ operation, result });
  metrics.addMetric('Requests', MetricUnit.Count, 1);
  if (statusCode === 409 || statusCode === 412) metrics.addMetric('Conflicts', MetricUnit.Count, 1);
  if (statusCode >= 500) metrics.addMetric('ServerErrors', MetricUnit.Count, 1);
}

export { MetricUnit };
