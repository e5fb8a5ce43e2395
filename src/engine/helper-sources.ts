/**
 * The other agents' readers, for a parse helper: bundled on their own (dist/helper-sources.js), so
 * a helper loads them only when it first meets a file of theirs; at start it loads only the
 * transcript reader.
 */
export { sourceFor } from './sources';
