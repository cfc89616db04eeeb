import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  AddTagsToResourceCommand,
  CreateEndpointCommand,
  CreateReplicationTaskCommand,
  DatabaseMigrationServiceClient,
  DeleteEndpointCommand,
  DeleteReplicationTaskCommand,
  DescribeEndpointsCommand,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  ListTagsForResourceCommand,
  StartReplicationTaskCommand,
  StopReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import { mockClient } from 'aws-sdk-client-mock';
import type { FakeDms } from './fake-dms';

/**
 * Test wiring: DMS and CloudWatch clients whose every command goes, through aws-sdk-client-mock, to
 * a FakeDms (the adapter's real requests, the fake's documented behaviour). Returns the clients to
 * give the engine and the mocks to assert exact requests on.
 */
export function fakeDmsClients(fake: FakeDms) {
  const dms = new DatabaseMigrationServiceClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const cloudwatch = new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const dmsMock = mockClient(dms);
  const cwMock = mockClient(cloudwatch);
  const fakeCall = <I>(fn: (input: any) => unknown) => (input: I) => fn(input);
  dmsMock.on(CreateEndpointCommand).callsFake(fakeCall((i) => fake.createEndpoint(i)));
  dmsMock.on(DescribeEndpointsCommand).callsFake(fakeCall((i) => fake.describeEndpoints(i)));
  dmsMock.on(DeleteEndpointCommand).callsFake(fakeCall((i) => fake.deleteEndpoint(i)));
  dmsMock.on(CreateReplicationTaskCommand).callsFake(fakeCall((i) => fake.createReplicationTask(i)));
  dmsMock.on(DescribeReplicationTasksCommand).callsFake(fakeCall((i) => fake.describeReplicationTasks(i)));
  dmsMock.on(StartReplicationTaskCommand).callsFake(fakeCall((i) => fake.startReplicationTask(i)));
  dmsMock.on(StopReplicationTaskCommand).callsFake(fakeCall((i) => fake.stopReplicationTask(i)));
  dmsMock.on(DeleteReplicationTaskCommand).callsFake(fakeCall((i) => fake.deleteReplicationTask(i)));
  dmsMock.on(ListTagsForResourceCommand).callsFake(fakeCall((i) => fake.listTagsForResource(i)));
  dmsMock.on(AddTagsToResourceCommand).callsFake(fakeCall((i) => fake.addTagsToResource(i)));
  dmsMock.on(DescribeTableStatisticsCommand).callsFake(fakeCall((i) => fake.describeTableStatistics(i)));
  cwMock.on(GetMetricDataCommand).callsFake(fakeCall((i) => fake.getMetricData(i)));
  return { dms, cloudwatch, dmsMock, cwMock };
}
