/**
 * The OpenCode source: the SQLite database `opencode.db` of each data folder, opened read-only
 * (see ../sqlite.ts) whenever it or its write-ahead log changes. Rows are read again from a
 * little before the newest `time_updated` seen, since OpenCode rewrites a message as its step
 * streams; the meter's upserts and uids make a row read twice count once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OutcomeSink } from '../outcome';
import { emptyHealth, type AgentSource, type DiscoveredFile, type ReadResult, type SourceProblem } from '../source';
import { withReadOnlyDatabase } from '../sqlite';
import type { FileCursor } from '../tail';
import { lazy } from '../../core/lazy';
import type * as Parse from './parse';
import type { MessageRow, OpenCodeParseContext, OpenCodeSessionInfo } from './parse';
import { databaseName, openCodeDataDirs, type OpenCodeRootOptions } from './paths';
import type * as Schema from './schema';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const parser = lazy(() => require('./parse') as typeof Parse);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const schemas = lazy(() => require('./schema') as typeof Schema);

export interface OpenCodeState {
  walSize: number;
  walMtimeMs: number;
  /** Newest `time_updated` read (ms); 0 = nothing read yet. */
  maxUpdated: number;
  sessions: Record<string, OpenCodeSessionInfo>;
}

export function initialOpenCodeState(): OpenCodeState {
  return { walSize: 0, walMtimeMs: 0, maxUpdated: 0, sessions: {} };
}

/** Sessions and messages updated this long before the newest seen are read again (slow commits). */
const rereadSlackMs = 60_000;
const partBatch = 200;

interface Snapshot {
  sessions: unknown[];
  messages: unknown[];
  parts: unknown[];
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

function rootsOf(rows: readonly { id: string; parent_id: string | null; directory?: string | null }[], into: Record<string, OpenCodeSessionInfo>): void {
  const parent = new Map<string, string | null>();
  for (const r of rows) parent.set(r.id, r.parent_id);
  for (const r of rows) {
    let root = r.id;
    const seen = new Set<string>();
    for (let p = parent.get(root); p && !seen.has(p); p = parent.get(root)) {
      seen.add(root);
      root = p;
    }
    into[r.id] = { root, directory: r.directory ?? undefined };
  }
}

/**
 * OpenCode writes its WAL many times a second while a step streams, and each read rebuilds the WAL
 * index from the whole `-wal` file: reads of one database are at least this far apart. A change
 * skipped meanwhile is read on the next file event or poll.
 */
const minReadIntervalMs = 250;

export function createOpenCodeSource(rootOptions: OpenCodeRootOptions = {}): AgentSource<OpenCodeState> {
  const lastReadAt = new Map<string, number>();
  return {
    id: 'opencode',
    label: 'OpenCode',
    roots: () => openCodeDataDirs(rootOptions),
    discover(roots: readonly string[], _problems: SourceProblem[]): DiscoveredFile[] {
      return roots.map((r) => path.join(r, databaseName)).filter((p) => statOrUndefined(p)?.isFile()).map((p) => ({ path: p, agent: 'opencode' as const }));
    },
    initialState: initialOpenCodeState,
    besideFiles: (file) => [`${file.path}-wal`],
    changedBeside(file, state) {
      const wal = statOrUndefined(`${file.path}-wal`);
      return (wal?.size ?? 0) !== state.walSize || (wal?.mtimeMs ?? 0) !== state.walMtimeMs;
    },
    read(file, fileId, cursor: FileCursor, state: OpenCodeState, options): ReadResult<OpenCodeState> {
      const sink = new OutcomeSink(file.path, emptyHealth(), []);
      const result = (c: FileCursor, s: OpenCodeState, extra: Partial<ReadResult<OpenCodeState>> = {}): ReadResult<OpenCodeState> => ({
        events: sink.events,
        cursor: c,
        state: s,
        health: sink.health,
        problems: sink.problems,
        restarted: false,
        missing: false,
        ...extra,
      });
      const st = statOrUndefined(file.path);
      if (!st) return result(cursor, state, { missing: true });
      const wal = statOrUndefined(`${file.path}-wal`);
      const walSize = wal?.size ?? 0;
      const walMtimeMs = wal?.mtimeMs ?? 0;
      const same = st.size === cursor.size && st.mtimeMs === cursor.mtimeMs && st.ino === cursor.ino && walSize === state.walSize && walMtimeMs === state.walMtimeMs;
      if (same) return result(cursor, state);
      const now = Date.now();
      if (cursor.ino !== 0 && now - (lastReadAt.get(file.path) ?? 0) < minReadIntervalMs) return result(cursor, state);
      lastReadAt.set(file.path, now);
      const replaced = cursor.ino !== 0 && st.ino !== cursor.ino;
      const start = replaced ? initialOpenCodeState() : state;
      const since = start.maxUpdated > 0 ? start.maxUpdated - rereadSlackMs : -1;
      const read = withReadOnlyDatabase<Snapshot>(file.path, (db) => {
        const sessions = db.all('SELECT id, parent_id, directory, time_updated FROM session');
        // First read: everything. Then only the sessions OpenCode touched since (it bumps a
        // session's time_updated with its messages), through the (session_id, …) index.
        const touched = sessions.filter((r) => typeof r.time_updated === 'number' && r.time_updated >= since).flatMap((r) => (typeof r.id === 'string' ? [r.id] : []));
        const messages =
          since < 0
            ? db.all('SELECT id, session_id, time_created, time_updated, data FROM message ORDER BY time_created, id')
            : touched.flatMap((id) => db.all('SELECT id, session_id, time_created, time_updated, data FROM message WHERE session_id = ? AND time_updated >= ? ORDER BY time_created, id', [id, since]));
        const userIds = messages.filter((m) => typeof m.data === 'string' && m.data.includes('"role":"user"')).flatMap((m) => (typeof m.id === 'string' ? [m.id] : []));
        const parts: unknown[] = [];
        for (let i = 0; i < userIds.length; i += partBatch) {
          const ids = userIds.slice(i, i + partBatch);
          for (const p of db.all(`SELECT message_id, data FROM part WHERE message_id IN (${ids.map(() => '?').join(',')})`, ids)) parts.push(p);
        }
        return { sessions, messages, parts };
      });
      if (!read.ok) {
        // Another reader holding the database: try again on the next change or poll.
        if (!read.busy) {
          sink.health.unreadableFiles++;
          sink.problems.push({ path: file.path, message: `cannot read the database: ${read.error}` });
        }
        return result(cursor, state);
      }
      const next: OpenCodeState = { walSize, walMtimeMs, maxUpdated: start.maxUpdated, sessions: { ...start.sessions } };
      const sessionRows = read.value.sessions.flatMap((r) => {
        const p = schemas().sessionRowSchema.safeParse(r);
        return p.success ? [p.data] : [];
      });
      rootsOf(sessionRows, next.sessions);
      for (const r of read.value.sessions) {
        const t = (r as { time_updated?: unknown }).time_updated;
        if (typeof t === 'number') next.maxUpdated = Math.max(next.maxUpdated, t);
      }
      const ctx: OpenCodeParseContext = { fileId, keepPromptText: options.keepPromptText, sessions: next.sessions, parts: new Map() };
      for (const r of read.value.parts) {
        const p = schemas().partRowSchema.safeParse(r);
        if (p.success) parser().addPart(ctx.parts, p.data.message_id, p.data.data);
      }
      for (const r of read.value.messages) {
        const p = schemas().messageRowSchema.safeParse(r);
        if (!p.success) {
          sink.add({ status: 'rejected', events: [], reason: `message row: ${p.error.issues[0]?.message ?? 'invalid'}` });
          continue;
        }
        const row: MessageRow = p.data;
        next.maxUpdated = Math.max(next.maxUpdated, p.data.time_updated);
        sink.add(parser().parseOpenCodeMessage(row, ctx));
      }
      sink.health.bytesRead += st.size + walSize;
      return result({ size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, offset: st.size + walSize }, next, { restarted: replaced });
    },
  };
}
