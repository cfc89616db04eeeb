import { describe, expect, it } from 'vitest';
import { EngineRouter } from '../../shared/adapters/engine/engine-router';
import { SimulatedMigrationEngine } from '../../shared/adapters/engine/simulated-engine';
import { failSubtaskRoute, simulatedEngineOf } from '../../infra/local/failure-injection';
import type { Deps } from '../../shared/usecases/deps';

/**
 * The local failure-injection route is handed the runtime's engine, which is a router (and, under
 * npm start, a router holding the runtime's router): it must find the SIMULATED engine inside, or say
 * there is none.
 */
describe('failure injection: finding the SIMULATED engine', () => {
  it('looks through routers, nested ones included', () => {
    // Prepare
    const simulated = new SimulatedMigrationEngine();
    const nested = new EngineRouter({ simulated: new EngineRouter({ simulated }) });

    // Act
    const found = [simulatedEngineOf(simulated), simulatedEngineOf(new EngineRouter({ simulated })), simulatedEngineOf(nested)];

    // Assess
    expect(found).toEqual([simulated, simulated, simulated]);
  });

  it('a router without one: the route answers 409 NOT_SIMULATED', async () => {
    // Prepare
    const route = failSubtaskRoute(() => ({}) as Deps, new EngineRouter({}));

    // Act
    const answer = await route.handle({ id: 'p-1' }, {});

    // Assess
    expect(simulatedEngineOf(new EngineRouter({}))).toBeUndefined();
    expect(answer).toMatchObject({ status: 409, body: { code: 'NOT_SIMULATED' } });
  });
});
