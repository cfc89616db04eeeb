// This function runs or observes engine jobs: it is built with the engines that move real data (AWS DMS).
import '../../shared/deployed-engines';
import { IdPath } from '../../shared/api/schemas';
import { httpHandler, json } from '../../shared/http/middleware';
import { getDeps } from '../../shared/runtime';
import { testDataSourceConnection } from '../../shared/usecases/data-sources';

/** Connects to the data source as its jobs would: 200 with what was found (a failed connection is a finding, not an error). */
export const handler = httpHandler({ path: IdPath }, async ({ path }) => json(200, await testDataSourceConnection(getDeps(), path.id)));
