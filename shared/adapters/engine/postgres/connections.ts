import pg from 'pg';

/** Where a data source is: what `resolveConnection(dataSourceId)` returns. */
export interface PgConnectionConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
}

/**
 * Every value is read as the server's own text (no Date, no float, no JSON.parse): timestamps keep their
 * microseconds, numerics and int8 their digits, and a value is written back through the same text form
 * with an explicit cast to the column's type. bytea arrives as its hex text ('\x..').
 */
export const RAW_TEXT_TYPES: pg.CustomTypesConfig = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/** The same text forms on both sides whatever the servers' defaults (time zone, date style, float digits). */
const SESSION_OPTIONS = '-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=3 -c bytea_output=hex -c lock_timeout=30000';

export function clientConfig(c: PgConnectionConfig, applicationName = 'migration-engine'): pg.ClientConfig {
  return {
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    ...(c.password !== undefined ? { password: c.password } : {}),
    types: RAW_TEXT_TYPES,
    options: SESSION_OPTIONS,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
  };
}

/** One pool per data source, made on first use. */
export class Pools {
  private readonly pools = new Map<string, Promise<pg.Pool>>();
  constructor(private readonly resolve: (dataSourceId: string) => Promise<PgConnectionConfig>) {}

  get(dataSourceId: string): Promise<pg.Pool> {
    let p = this.pools.get(dataSourceId);
    if (!p) {
      p = this.resolve(dataSourceId).then((c) => {
        const pool = new pg.Pool({ ...clientConfig(c), max: 6, idleTimeoutMillis: 10_000 });
        pool.on('error', () => {}); // an idle client lost: the next checkout reconnects
        return pool;
      });
      p.catch(() => this.pools.delete(dataSourceId));
      this.pools.set(dataSourceId, p);
    }
    return p;
  }

  /** A dedicated client (not from the pool), e.g. to hold a session-level advisory lock. */
  async client(dataSourceId: string, applicationName?: string): Promise<pg.Client> {
    const c = new pg.Client(clientConfig(await this.resolve(dataSourceId), applicationName));
    c.on('error', () => {});
    await c.connect();
    return c;
  }

  async end(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.end()));
  }
}

export type Queryable = Pick<pg.ClientBase, 'query'>;

export async function inTransaction<T>(pool: pg.Pool, body: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await body(c);
    await c.query('COMMIT');
    return out;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

export const ident = (name: string) => pg.escapeIdentifier(name);
export const qualified = (schema: string, table: string) => `${ident(schema)}.${ident(table)}`;
export const literal = (value: string) => pg.escapeLiteral(value);

/** LSN 'X/Y' as a number of bytes (BigInt: LSNs are 64-bit). */
export function lsnToBig(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi ?? '0'}`) << 32n) + BigInt(`0x${lo ?? '0'}`);
}

export function bigToLsn(v: bigint): string {
  return `${(v >> 32n).toString(16).toUpperCase()}/${(v & 0xffffffffn).toString(16).toUpperCase()}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
