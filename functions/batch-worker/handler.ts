// This function runs or observes engine jobs: it is built with the engines that move real data (AWS DMS).
import '../../shared/deployed-engines';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { BatchMessage } from '../../shared/domain/batch-jobs';
import { logger } from '../../shared/observability/telemetry';
import { getDeps } from '../../shared/runtime';
import { handleBatchMessage } from '../../shared/usecases/batch-jobs';

/**
 * The batch queue's consumer: each message is an expansion step or some projects of a large batch.
 * A message that fails is reported alone (partial batch response) and delivered again with the same
 * id; every step is idempotent (shared/usecases/batch-jobs.ts), so a redelivery changes nothing twice.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const deps = getDeps();
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const message = JSON.parse(record.body) as BatchMessage;
      await handleBatchMessage(deps, message, { messageId: record.messageId, attempt: Number(record.attributes.ApproximateReceiveCount ?? '1') });
    } catch (e) {
      logger.error('batch message failed', { messageId: record.messageId, error: (e as Error | undefined)?.message });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
