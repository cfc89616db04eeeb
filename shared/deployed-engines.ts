import { dmsEngineFromEnv } from './adapters/engine/dms/from-env';
import { provideEngine } from './engine-factories';

/**
 * The engines that move real data when deployed (AWS DMS), for the functions that run or observe jobs:
 * their handlers import this module (see shared/engine-factories.ts).
 */
provideEngine('aws-dms', (env, resolveDataSource, opts) => dmsEngineFromEnv(env, resolveDataSource, {}, opts));
