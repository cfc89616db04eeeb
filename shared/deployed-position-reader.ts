import { PgReplicationSlots } from './adapters/engine/dms/pg-slots';
import { providePositionReader } from './adapters/engine/dms/position-readers';
import { pgConnectionFromSecret } from './adapters/engine/dms/secret-connections';

/**
 * The DMS engine's position reader on PostgreSQL (the `pg` driver), connecting with the data source's
 * secret, for the functions that make or drop write-stop positions: their handlers import this module.
 */
providePositionReader((secrets) => new PgReplicationSlots(pgConnectionFromSecret(secrets)));
