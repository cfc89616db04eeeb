export const DATA_SOURCE_ENGINES = [
  'mysql',
  'postgresql',
  'oceanbase-mysql',
  'oceanbase-oracle',
  'tidb',
  'oracle',
  'sqlserver',
  'db2',
  'mariadb',
] as const;
export type DataSourceEngine = (typeof DATA_SOURCE_ENGINES)[number];

export interface DataSourceRecord {
  id: string;
  name: string;
  engine: DataSourceEngine;
  host: string;
  port: number;
  username: string;
  database?: string;
  /** Credentials are only ever referenced (AWS Secrets Manager), never accepted or returned. */
  secretArn?: string;
  createdAt: string;
  /** Number of projects that are not released and use this data source. */
  refCount: number;
}
