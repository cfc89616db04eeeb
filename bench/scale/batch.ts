import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { ensureTable, localDocumentClient, startDynamoDbLocal } from '../../infra/local/dynamodb-local';
import { SimulatedMigrationEngine } from '../../shared/adapters/engine/simulated-engine';
import { DynamoBatchStore } from '../../shared/adapters/dynamodb/batch-store';
import { DynamoDataSourceStore } from '../../shared/adapters/dynamodb/data-source-store';
import { DynamoProjectStore } from '../../shared/adapters/dynamodb/project-store';
import { InMemoryAlertNotifier, InMemoryAlertStore } from '../../shared/adapters/memory/alerts';
import { InMemoryEventBus } from '../../shared/adapters/memory/event-bus';
import { MemoryIdempotencyStore } from '../../shared/adapters/memory/idempotency-store';
import { InProcessBatchQueue } from '../../shared/adapters/memory/in-process-queue';
import { InMemoryOrchestrator } from '../../shared/adapters/memory/orchestrator';
import { InMemoryExpiryScheduler } from '../../shared/adapters/memory/scheduler';
import { ITEMS_PER_MESSAGE } from '../../shared/domain/batch-jobs';
import { systemClock } from '../../shared/domain/clock';
import { logger } from '../../shared/observability/telemetry';
import { getBatch, handleBatchMessage, submitBatch } from '../../shared/usecases/batch-jobs';
import { createDataSource } from '../../shared/usecases/data-sources';
import { DEFAULT_PAUSE_DEADLINE_SECONDS, DEFAULT_PAUSE_WARNING_SECONDS, type Deps } from '../../shared/usecases/deps';
import { bulkSeedProjects } from '../../test/support/bulk-seed';
import { LOCAL_BATCH_CONCURRENCY } from '../../infra/local/local-batch-queue';
import { countingClient } from '../lib/counting-client';

/**
 * A 10^4-project async batch (pause by selector) on DynamoDB Local, through the deployed path's
 * adapters (DynamoDB project and batch stores) and the local queue running the worker's use case at the
 * local worker concurrency: wall time from POST to COMPLETED, DynamoDB requests per project by command,
 * queue messages, and whether every project's result is retrievable through the paged GET.
 * SCALE_BATCH_SIZE overrides the size (default 10000).
 */
const SIZE = Number(process.env.SCALE_BATCH_SIZE ?? 10_000);


const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

export async function measure(): Promise<{ title: string; markdown: string }> {
  logger.setLogLevel('WARN');
  const ddb = await startDynamoDbLocal();
  const table = `scale-batch-${randomUUID().slice(0, 8)}`;
  const counting = countingClient(ddb.endpoint);
  const seeding = localDocumentClient(ddb.endpoint);
  try {
    await ensureTable(ddb.endpoint, table);
    let messages = 0;
    const deps: Deps = {
      projects: new DynamoProjectStore(counting.doc, table),
      dataSources: new DynamoDataSourceStore(counting.doc, table),
      orchestrator: new InMemoryOrchestrator(),
      engine: new SimulatedMigrationEngine({ now: () => Date.now() }),
      expiry: new InMemoryExpiryScheduler(DEFAULT_PAUSE_WARNING_SECONDS * 1000),
      events: new InMemoryEventBus(),
      alerts: new InMemoryAlertStore(),
      alertNotifier: new InMemoryAlertNotifier(),
      batches: new DynamoBatchStore(counting.doc, table),
      batchQueue: new InProcessBatchQueue(
        (m, d) => {
          messages++;
          return handleBatchMessage(deps, m, d);
        },
        { concurrency: LOCAL_BATCH_CONCURRENCY },
      ),
      clock: systemClock,
      idempotency: new MemoryIdempotencyStore(),
      newId: randomUUID,
      config: { pauseDeadlineMs: DEFAULT_PAUSE_DEADLINE_SECONDS * 1000, pauseWarningLeadMs: DEFAULT_PAUSE_WARNING_SECONDS * 1000 },
    };
    const src = await createDataSource(deps, { name: 'src', engine: 'mysql', host: 'h', port: 3306, username: 'u' });
    const dst = await createDataSource(deps, { name: 'dst', engine: 'tidb', host: 'h', port: 4000, username: 'u' });
    const label = `scale-${randomUUID().slice(0, 8)}`;
    const seedStart = Date.now();
    await bulkSeedProjects(seeding, table, { count: SIZE, ds: { sourceId: src.id, destinationId: dst.id }, status: 'RUNNING', labels: [label], parallel: 8 });
    const seedSeconds = (Date.now() - seedStart) / 1000;
    counting.reset();

    // Act: the batch, from the request to COMPLETED
    const ctx = { actor: 'bench', requestId: randomUUID() };
    const started = Date.now();
    const accepted = await submitBatch(deps, { operation: 'pause', selector: { label } }, ctx);
    if (accepted.kind !== 'accepted') throw new Error('a batch of this size must be accepted as a resource');
    await (deps.batchQueue as InProcessBatchQueue).idle();
    const wallSeconds = (Date.now() - started) / 1000;
    const runCounts = { ...counting.counts };

    // Every result, through the paged read the GET route makes
    counting.reset();
    const readStart = Date.now();
    const seen = new Set<string>();
    let pages = 0;
    let nextToken: string | undefined;
    let batch: Awaited<ReturnType<typeof getBatch>>['batch'] | undefined;
    do {
      const page = await getBatch(deps, accepted.batch.batchId, 100, nextToken);
      batch = page.batch;
      for (const r of page.results) seen.add(r.projectId);
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    const readSeconds = (Date.now() - readStart) / 1000;
    const readRequests = total(counting.counts);
    const deadLetters = (deps.batchQueue as InProcessBatchQueue).deadLetters.length;

    const perProject = (n: number) => (n / SIZE).toFixed(2);
    const rows = Object.entries(runCounts)
      .sort(([, a], [, b]) => b - a)
      .map(([cmd, n]) => `| ${cmd} | ${n.toLocaleString('en')} | ${perProject(n)} |`);
    const markdown = [
      `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg()[0]?.toFixed(2)} at the end; DynamoDB Local (in memory, no stream), one process; ${SIZE.toLocaleString('en')} RUNNING projects seeded in ${seedSeconds.toFixed(0)} s (BatchWriteItem, not measured).`,
      `Batch: \`pause\` by label selector, accepted (202) and run on the local queue (${LOCAL_BATCH_CONCURRENCY} messages at once, ${ITEMS_PER_MESSAGE} projects a message), the worker's use case on the DynamoDB adapters; Step Functions and the engine are in-memory fakes (their calls are not counted).`,
      '',
      '| figure | value |',
      '| --- | ---: |',
      `| projects | ${SIZE.toLocaleString('en')} |`,
      `| wall time, POST to COMPLETED | ${wallSeconds.toFixed(1)} s |`,
      `| projects per second | ${(SIZE / wallSeconds).toFixed(0)} |`,
      `| DynamoDB requests per project | ${perProject(total(runCounts))} |`,
      `| queue messages (expansion steps + item messages) | ${messages.toLocaleString('en')} (${(messages / SIZE).toFixed(3)} per project) |`,
      `| final counters | requested ${batch?.requested}, succeeded ${batch?.succeeded}, failed ${batch?.failed}, skipped ${batch?.skipped}, status ${batch?.status} |`,
      `| results retrievable (GET, pages of 100) | ${seen.size.toLocaleString('en')} of ${SIZE.toLocaleString('en')} in ${pages} pages, ${readRequests} requests, ${readSeconds.toFixed(1)} s |`,
      `| dead-lettered messages | ${deadLetters} |`,
      '',
      'DynamoDB requests of the run, by command:',
      '',
      '| command | requests | per project |',
      '| --- | ---: | ---: |',
      ...rows,
    ].join('\n');
    return { title: `Async batch of ${SIZE.toLocaleString('en')} projects (batch resource)`, markdown };
  } finally {
    counting.destroy();
    seeding.destroy();
    await ddb.stop();
  }
}
