import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A dead-letter queue (id `DeadLetters` in its scope): kept 14 days, SSE-SQS, TLS-only. It has no
 * dead-letter queue of its own, which cdk-nag's SQS3 is told with the reason: it is `of`'s.
 */
export function deadLetterQueue(scope: Construct, of: string): sqs.Queue {
  const queue = new sqs.Queue(scope, 'DeadLetters', {
    retentionPeriod: Duration.days(14),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  Validations.of(queue).acknowledge({ id: 'AwsSolutions::AwsSolutions-SQS3', reason: `This queue is itself the dead-letter destination of ${of}.` });
  return queue;
}
