/**
 * A module loaded at its first use: `const parser = lazy(() => require('./parse') as typeof Parse)`.
 * An agent's parser and schemas are loaded when the first of its files is read: building every
 * agent's schemas at start cost the command's start about as much as loading the rest of the
 * engine, for agents most histories do not have. (In the bundles, esbuild keeps such a module's
 * start-up in a function the `require` calls.)
 */
export function lazy<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}
