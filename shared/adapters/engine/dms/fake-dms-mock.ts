import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  AddTagsToResourceCommand,
  CreateEndpointCommand,
  CreateReplicationConfigCommand,
  CreateReplicationTaskCommand,
  DeleteReplicationConfigCommand,
  DatabaseMigrationServiceClient,
  DeleteEndpointCommand,
  DeleteReplicationTaskCommand,
  DescribeEndpointsCommand,
  DescribeReplicationsCommand,
  DescribeReplicationTableStatisticsCommand,
  DescribeReplicationTasksCommand,
  DescribeTableStatisticsCommand,
  ListTagsForResourceCommand,
  StartReplicationCommand,
  StartReplicationTaskCommand,
  StopReplicationCommand,
  StopReplicationTaskCommand,
} from '@aws-sdk/client-database-migration-service';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import type { FakeDms } from './fake-dms';

/** Runs one fake operation; a test may wrap it (the fault-injection suite fails or replays it). */
export type FakeCallWrapper = (operation: string, run: () => unknown) => unknown;

/**
 * Test wiring: DMS and CloudWatch clients whose every command goes, through aws-sdk-client-mock, to
 * a FakeDms (the adapter's real requests, the fake's documented behaviour). Returns the clients to
 * give the engine and the mocks to assert exact requests on. `around` sees every call, named by its
 * operation (`CreateReplicationTask`, `GetMetricData`, ...).
 */
export function fakeDmsClients(fake: FakeDms, around: FakeCallWrapper = (_op, run) => run()) {
  const dms = new DatabaseMigrationServiceClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const cloudwatch = new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const { dmsMock, cwMock } = routeToFakeDms(fake, mockClient(dms), mockClient(cloudwatch), around);
  return { dms, cloudwatch, dmsMock, cwMock };
}

/**
 * Answers every command of the given mocks from the FakeDms: mocks of client instances (fakeDmsClients),
 * or of the client classes, for code that makes its own clients (a deployed runtime built from its
 * environment).
 */
export function routeToFakeDms<D extends AwsStub<any, any, any>, C extends AwsStub<any, any, any>>(fake: FakeDms, dmsMock: D, cwMock: C, around: FakeCallWrapper = (_op, run) => run()) {
  const fakeCall = <I>(op: string, fn: (input: any) => unknown) => (input: I) => around(op, () => fn(input));
  dmsMock.on(CreateEndpointCommand).callsFake(fakeCall('CreateEndpoint', (i) => fake.createEndpoint(i)));
  dmsMock.on(DescribeEndpointsCommand).callsFake(fakeCall('DescribeEndpoints', (i) => fake.describeEndpoints(i)));
  dmsMock.on(DeleteEndpointCommand).callsFake(fakeCall('DeleteEndpoint', (i) => fake.deleteEndpoint(i)));
  dmsMock.on(CreateReplicationTaskCommand).callsFake(fakeCall('CreateReplicationTask', (i) => fake.createReplicationTask(i)));
  dmsMock.on(DescribeReplicationTasksCommand).callsFake(fakeCall('DescribeReplicationTasks', (i) => fake.describeReplicationTasks(i)));
  dmsMock.on(StartReplicationTaskCommand).callsFake(fakeCall('StartReplicationTask', (i) => fake.startReplicationTask(i)));
  dmsMock.on(StopReplicationTaskCommand).callsFake(fakeCall('StopReplicationTask', (i) => fake.stopReplicationTask(i)));
  dmsMock.on(DeleteReplicationTaskCommand).callsFake(fakeCall('DeleteReplicationTask', (i) => fake.deleteReplicationTask(i)));
  dmsMock.on(ListTagsForResourceCommand).callsFake(fakeCall('ListTagsForResource', (i) => fake.listTagsForResource(i)));
  dmsMock.on(AddTagsToResourceCommand).callsFake(fakeCall('AddTagsToResource', (i) => fake.addTagsToResource(i)));
  dmsMock.on(DescribeTableStatisticsCommand).callsFake(fakeCall('DescribeTableStatistics', (i) => fake.describeTableStatistics(i)));
  dmsMock.on(CreateReplicationConfigCommand).callsFake(fakeCall('CreateReplicationConfig', (i) => fake.createReplicationConfig(i)));
  dmsMock.on(DescribeReplicationsCommand).callsFake(fakeCall('DescribeReplications', (i) => fake.describeReplications(i)));
  dmsMock.on(StartReplicationCommand).callsFake(fakeCall('StartReplication', (i) => fake.startReplication(i)));
  dmsMock.on(StopReplicationCommand).callsFake(fakeCall('StopReplication', (i) => fake.stopReplication(i)));
  dmsMock.on(DeleteReplicationConfigCommand).callsFake(fakeCall('DeleteReplicationConfig', (i) => fake.deleteReplicationConfig(i)));
  dmsMock.on(DescribeReplicationTableStatisticsCommand).callsFake(fakeCall('DescribeReplicationTableStatistics', (i) => fake.describeReplicationTableStatistics(i)));
  cwMock.on(GetMetricDataCommand).callsFake(fakeCall('GetMetricData', (i) => fake.getMetricData(i)));
  return { dmsMock, cwMock };
}
