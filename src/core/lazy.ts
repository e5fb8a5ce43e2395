/**
 * A value made at its first use.
 * - A module: `const parser = lazy(() => require('./parse') as typeof Parse)`. An agent's parser and
 *   schemas are loaded when the first of its files is read: building every agent's schemas at
 *   start cost the command's start about as much as loading the rest of the engine, for agents
 *   most histories do not have. (In the bundles, esbuild keeps such a module's start-up in a
 *   function the `require` calls.)
 * - A zod schema only some runs need (the index's, read only when there is an index): building
 *   schemas is most of what zod costs at start.
 */
export function lazy<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}
