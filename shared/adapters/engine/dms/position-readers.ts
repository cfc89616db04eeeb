import type { SecretReader } from '../../secrets/secrets-manager';
import type { ReplicationSlots } from './slots';

/**
 * How a deployed function builds the DMS engine's position reader (DMS_POSITION_READER=secrets-manager):
 * provided by shared/deployed-position-reader.ts, which only the handlers of functions that make or drop
 * write-stop positions import, so the PostgreSQL driver is in their bundles alone (bench, P3). A function
 * told to read positions without it fails at init, naming the import (from-env.ts).
 */
export type PositionReaderFactory = (secrets: SecretReader) => ReplicationSlots;

let provided: PositionReaderFactory | undefined;

export function providePositionReader(factory: PositionReaderFactory): void {
  provided = factory;
}

export function positionReaderFactory(): PositionReaderFactory | undefined {
  return provided;
}
