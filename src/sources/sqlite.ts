/**
 * Read-only access to another program's SQLite database, from any platform without a native
 * build: SQLite compiled to WebAssembly (`node-sqlite3-wasm`, synchronous, with a VFS over
 * node:fs, so only the pages a query needs are read).
 *
 * Databases in WAL mode keep fresh rows in `<db>-wal`. That build has no shared-memory index, so
 * the connection uses `locking_mode=EXCLUSIVE`: SQLite then builds the WAL index in its own heap
 * from the `-wal` file (checksummed frames, so a frame being written is ignored) and reads the
 * committed state. The connection is opened read-only and closed after each read: it never
 * writes the database, its WAL or its `-shm`, and never checkpoints. Its VFS marks a reader with
 * a `<db>.lock` folder while open; one left behind by a crashed reader is removed when stale.
 */
import * as fs from 'node:fs';
import type * as Sqlite from 'node-sqlite3-wasm';
import type { Database } from 'node-sqlite3-wasm';

type SqliteModule = typeof Sqlite;
let sqlite: SqliteModule | undefined;

/** Loaded on first use: hosts without such databases never instantiate the WebAssembly module. */
function load(): SqliteModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (sqlite ??= require('node-sqlite3-wasm') as SqliteModule);
}

const staleLockMs = 60_000;

export type SqliteRead<T> = { ok: true; value: T } | { ok: false; busy: boolean; error: string };

/** Open `file` read-only, run `query`, close. Never throws. */
export function withReadOnlyDatabase<T>(file: string, query: (db: Database) => T): SqliteRead<T> {
  const lock = `${file}.lock`;
  try {
    const st = fs.statSync(lock);
    if (Date.now() - st.mtimeMs > staleLockMs) fs.rmdirSync(lock);
  } catch {
    // no reader marker, or not ours to remove
  }
  let db: Database | undefined;
  try {
    db = new (load().Database)(file, { readOnly: true, fileMustExist: true });
    db.exec('PRAGMA locking_mode=EXCLUSIVE');
    db.exec('PRAGMA query_only=1');
    return { ok: true, value: query(db) };
  } catch (error: unknown) {
    const text = error instanceof Error ? error.message : String(error);
    return { ok: false, busy: /busy|locked/i.test(text), error: text };
  } finally {
    try {
      db?.close();
    } catch {
      // closing a failed connection
    }
  }
}
