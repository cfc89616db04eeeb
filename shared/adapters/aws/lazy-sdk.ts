/**
 * SDK clients that only some calls need are loaded on first use, not at module init: every function
 * builds the same dependencies, and a function that never starts a run, puts an event, sets a timer or
 * sends an alert should not pay for those SDKs at cold start (bench/RESULTS.md, P3).
 */

/** A module loaded once, on first call (pass `() => import('…')`: the literal keeps it bundled and lazy). */
export function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

/** One client per process, made on first use from its lazily loaded SDK; `set` injects another (tests). */
export function lazyClient<C>(make: () => Promise<C>): { get: () => Promise<C>; set: (client: C | undefined) => void } {
  let client: C | undefined;
  return {
    get: async () => {
      if (client) return client;
      const made = await make();
      client ??= made; // two first calls at once: the first one made is kept
      return client;
    },
    set: (c) => {
      client = c;
    },
  };
}
