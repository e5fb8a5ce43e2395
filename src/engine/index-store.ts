/**
 * The persisted index: per-file cursors and parser state plus the meter snapshot, versioned.
 * Written atomically with user-only permissions; a corrupt, partial or old-format file is
 * detected and reported, never trusted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { checkSnapshot, type MeterSnapshot } from '../core/snapshot';
import { lazy } from '../core/lazy';
import { agentIds } from '../core/usage';
import { writeFileAtomic } from './atomic';
import { indexVersion } from './index-name';

export const indexFormat = 'taximeter-index';
export { indexFileName, indexVersion } from './index-name';

// Built at the first read of an index (a cold run never reads one): see lazy.ts.
const indexSchema = lazy(() => {
  const cursorSchema = z.object({ size: z.number(), mtimeMs: z.number(), ino: z.number(), offset: z.number() });
  const indexedFileSchema = z.object({
    path: z.string(),
    agent: z.enum(agentIds),
    projectHint: z.string().optional(),
    fileId: z.number().int().positive(),
    cursor: cursorSchema,
    state: z.unknown().optional(),
  });
  return z.object({
    format: z.literal(indexFormat),
    version: z.literal(indexVersion),
    savedAt: z.number(),
    checksum: z.number(),
    files: z.array(indexedFileSchema),
    meter: z.unknown(),
  });
});
type IndexShape = z.infer<ReturnType<typeof indexSchema>>;
export type IndexedFile = IndexShape['files'][number];
export type IndexDocument = Omit<IndexShape, 'meter'> & { meter: MeterSnapshot };

export type ReadIndexResult = { ok: true; index: IndexDocument } | { ok: false; reason: string };

export function readIndex(file: string): ReadIndexResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error: unknown) {
    return { ok: false, reason: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `unreadable: ${String(error)}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'corrupt or partial (not JSON)' };
  }
  const head = raw as { format?: unknown; version?: unknown };
  if (head?.format !== indexFormat) return { ok: false, reason: 'not a Taximeter index' };
  if (head.version !== indexVersion) return { ok: false, reason: `old format (version ${String(head.version)})` };
  const parsed = indexSchema().safeParse(raw);
  if (!parsed.success) return { ok: false, reason: `invalid: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}` };
  try {
    return { ok: true, index: { ...parsed.data, meter: checkSnapshot(parsed.data.meter) } };
  } catch (error: unknown) {
    return { ok: false, reason: `invalid: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export function writeIndexAtomic(file: string, doc: Omit<IndexDocument, 'format' | 'version'>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const full: IndexDocument = { format: indexFormat, version: indexVersion, ...doc };
  writeFileAtomic(file, JSON.stringify(full));
}
