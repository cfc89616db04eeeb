import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

/**
 * The embedded default's event source mapping: reads the table's stream on DynamoDB Local and hands
 * each batch to the same stream handler Lambda runs deployed. Positions are checkpointed to a file so a
 * restart continues where it stopped (at least once, like the real mapping); a reported batch item
 * failure is retried from that record.
 */
export class LocalStreamPoller {
  private readonly streams: DynamoDBStreamsClient;
  private readonly positions = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly dynamo: DynamoDBClient,
    endpoint: string,
    private readonly tableName: string,
    private readonly deliver: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>,
    private readonly checkpointFile?: string,
  ) {
    this.streams = new DynamoDBStreamsClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    if (checkpointFile) {
      try {
        for (const [shard, seq] of Object.entries(JSON.parse(readFileSync(checkpointFile, 'utf8')) as Record<string, string>)) this.positions.set(shard, seq);
      } catch {
        // first run
      }
    }
  }

  start(intervalMs = 250): void {
    const tick = async () => {
      if (!this.running) {
        this.running = true;
        try {
          await this.pollOnce();
        } catch (e) {
          console.error(`[stream] ${(e as Error).message}`);
        } finally {
          this.running = false;
        }
      }
      this.timer = setTimeout(() => void tick(), intervalMs);
      this.timer.unref();
    };
    void tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.streams.destroy();
  }

  /** Reads every shard up to its current end and delivers what it finds; returns the records delivered. */
  async pollOnce(): Promise<number> {
    const table = await this.dynamo.send(new DescribeTableCommand({ TableName: this.tableName }));
    const streamArn = table.Table?.LatestStreamArn;
    if (!streamArn) return 0;
    const shards = (await this.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription?.Shards ?? [];
    let delivered = 0;
    for (const shard of shards) {
      const shardId = shard.ShardId as string;
      for (;;) {
        const after = this.positions.get(shardId);
        const { ShardIterator } = await this.streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after } : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        );
        if (!ShardIterator) break;
        const { Records = [] } = await this.streams.send(new GetRecordsCommand({ ShardIterator, Limit: 100 }));
        if (Records.length === 0) break;
        const result = await this.deliver({ Records: Records.map(toLambdaRecord) });
        const failedAt = result?.batchItemFailures?.[0]?.itemIdentifier;
        const okRecords = failedAt ? Records.slice(0, Records.findIndex((r) => r.dynamodb?.SequenceNumber === failedAt)) : Records;
        const last = okRecords[okRecords.length - 1]?.dynamodb?.SequenceNumber;
        if (last) this.positions.set(shardId, last);
        delivered += okRecords.length;
        this.save();
        if (failedAt) break; // retried on the next poll
      }
    }
    return delivered;
  }

  private save(): void {
    if (!this.checkpointFile) return;
    mkdirSync(dirname(this.checkpointFile), { recursive: true });
    writeFileSync(`${this.checkpointFile}.tmp`, JSON.stringify(Object.fromEntries(this.positions)));
    renameSync(`${this.checkpointFile}.tmp`, this.checkpointFile);
  }
}

function toLambdaRecord(r: _Record): DynamoDBRecord {
  return {
    eventID: r.eventID,
    eventName: r.eventName as DynamoDBRecord['eventName'],
    eventSource: 'aws:dynamodb',
    awsRegion: 'local',
    dynamodb: {
      Keys: r.dynamodb?.Keys as never,
      NewImage: r.dynamodb?.NewImage as never,
      SequenceNumber: r.dynamodb?.SequenceNumber,
      StreamViewType: r.dynamodb?.StreamViewType,
    },
  };
}
