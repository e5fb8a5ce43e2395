import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database } from 'node-sqlite3-wasm';
import { createCalendar } from '../../src/core/calendar';
import { buildReport, type ReportSession } from '../../src/core/report';
import { Engine } from '../../src/engine/engine';
import { openCodeRows, otherFixture, referenceOpenCodeTotals } from '../agent-references';
import { copyTree, tempDir } from '../helpers';

const calendar = createCalendar('UTC');
const compactionSession = 'ses_dfb15493effetZKztBbOqzhNK1';
const zeroCostSession = 'ses_dfb13d069ffelSoObGUNe7Kjx2';

function engineFor(dataDir: string): Engine {
  return new Engine({ agents: ['opencode'], opencode: { onlyDirs: [dataDir] }, idleMs: 300_000, priceOverrides: [], keepPromptText: true });
}

function sessions(e: Engine): Map<string, ReportSession> {
  const report = buildReport(e.meter, { range: { from: -Infinity, to: Infinity }, idleMs: 300_000, calendar });
  return new Map(report.sessions.map((s) => [s.id, s]));
}

function buckets(s: ReportSession | undefined): unknown {
  return s && { input: s.tokens.input, output: s.tokens.output, cacheWrite: s.tokens.cacheWrite, cacheRead: s.tokens.cacheRead };
}

/** A writable copy of the WAL-mode fixture database (reading must never touch the original). */
function walFixture(): string {
  const dir = tempDir();
  copyTree(otherFixture('opencode', 'compaction-and-zero-cost', 'data', 'opencode'), dir);
  return dir;
}

/** The shared single-turn fixture (tables exported as JSON) loaded into a real SQLite file. */
function singleTurnDatabase(): string {
  const dir = tempDir();
  const src = otherFixture('opencode', 'single-turn-tool-call');
  const db = new Database(path.join(dir, 'opencode.db'));
  const schema = fs.readFileSync(path.join(src, 'schema.sql'), 'utf8').replace(/,\s*CONSTRAINT[^\n]*\n/g, '\n');
  db.exec(schema);
  for (const table of ['project', 'session', 'message', 'part']) {
    for (const row of JSON.parse(fs.readFileSync(path.join(src, `${table}.json`), 'utf8')) as Record<string, unknown>[]) {
      const cols = Object.keys(row);
      const values = cols.map((c) => (c === 'data' && typeof row[c] === 'object' ? JSON.stringify(row[c]) : (row[c] as string | number | null)));
      db.run(`INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(',')}) VALUES (${cols.map(() => '?').join(',')})`, values);
    }
  }
  db.close();
  return dir;
}

function digest(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')]));
}

describe('OpenCode source (SQLite, WebAssembly, read-only)', () => {
  it('compaction-and-zero-cost: tokens per session equal the reference reading and OpenCode’s own session totals, including rows only in the WAL', () => {
    const dir = walFixture();
    const rows = openCodeRows(path.join(dir, 'opencode.db'), tempDir());
    const ref = referenceOpenCodeTotals(rows);
    const e = engineFor(dir);
    e.scan();
    const got = sessions(e);
    assert.deepEqual([...got.keys()].sort(), [compactionSession, zeroCostSession].sort());
    for (const [sid, t] of ref) assert.deepEqual(buckets(got.get(sid)), t, sid);
    // The running totals OpenCode keeps on each session row.
    for (const s of rows.sessions) {
      assert.deepEqual(buckets(got.get(s.id)), { input: s.tokens_input, output: s.tokens_output + s.tokens_reasoning, cacheWrite: s.tokens_cache_write, cacheRead: s.tokens_cache_read }, s.id);
    }
  });

  it('never writes to the database folder (no lock left, database, WAL and index unchanged)', () => {
    const dir = walFixture();
    const before = digest(dir);
    const e = engineFor(dir);
    e.scan();
    assert.ok(e.meter.sessions.size > 0);
    assert.deepEqual(digest(dir), before);
  });

  it('a stored cost of 0 for real tokens is not trusted: priced from the table (gpt-4.1-mini)', () => {
    const e = engineFor(walFixture());
    e.scan();
    const s = sessions(e).get(zeroCostSession);
    assert.ok(s);
    assert.deepEqual(s.models, ['gpt-4.1-mini']);
    assert.ok(s.costUSD.api > 0);
    assert.equal(s.costUSD.computed, s.costUSD.api);
    assert.equal(s.costUSD.clientReported, 0);
    assert.equal(s.costUSD.lowerBound, false);
  });

  it('uses OpenCode’s own cost, labelled, for a model the table lacks', () => {
    const dir = walFixture();
    const rows = openCodeRows(path.join(dir, 'opencode.db'), tempDir());
    const e = engineFor(dir);
    e.scan();
    const s = sessions(e).get(compactionSession);
    const own = rows.sessions.find((r) => r.id === compactionSession).cost as number;
    assert.ok(s);
    assert.ok(Math.abs(s.costUSD.clientReported - own) < 1e-12, `${s.costUSD.clientReported} vs ${own}`);
    assert.equal(s.byModel[0]?.provenance, 'client-reported');
    assert.equal(s.costUSD.lowerBound, false);
  });

  it('the summary message is the compaction’s counted call (dead weight), with the continue message not a prompt', () => {
    const e = engineFor(walFixture());
    e.scan();
    const s = e.meter.sessions.get(`opencode:${compactionSession}`);
    assert.ok(s);
    assert.equal(s.compactions.length, 1);
    const c = s.compactions[0]!;
    assert.equal(c.trigger, 'auto');
    assert.ok(c.callDedupeKey && e.meter.hasResponse(c.callDedupeKey));
    assert.equal(c.preTokens, 167 + 448);
    assert.equal(s.prompts.length, 3, 'three user prompts; the compaction request and the synthetic "Continue" are not prompts');
    assert.equal(sessions(e).get(compactionSession)?.requests, 9);
  });

  it('single-turn-tool-call (the shared tables loaded into SQLite): tokens equal the session totals', () => {
    const dir = singleTurnDatabase();
    const rows = openCodeRows(path.join(dir, 'opencode.db'), tempDir());
    const e = engineFor(dir);
    e.scan();
    const got = sessions(e);
    for (const [sid, t] of referenceOpenCodeTotals(rows)) assert.deepEqual(buckets(got.get(sid)), t, sid);
    const row = rows.sessions[0];
    assert.deepEqual(buckets(got.get(row.id)), { input: 3878, output: 51 + 128, cacheWrite: 0, cacheRead: 11584 });
  });

  it('follows rows as OpenCode writes them: a step rewritten in place replaces its tokens, a new one adds', async () => {
    const dir = singleTurnDatabase();
    const e = engineFor(dir);
    e.scan();
    const before = sessions(e).get('ses_dfb577022ffeeWdsF6f5Trpsi8');
    const db = new Database(path.join(dir, 'opencode.db'));
    const row = db.get('SELECT data FROM message WHERE id = ?', ['msg_204a8a1b40016O64jxRInA2FPh']) as { data: string };
    const data = JSON.parse(row.data);
    data.tokens.output += 100;
    db.run('UPDATE message SET data = ?, time_updated = time_updated + 1 WHERE id = ?', [JSON.stringify(data), 'msg_204a8a1b40016O64jxRInA2FPh']);
    db.run('INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES (?, ?, ?, ?, ?)', [
      'msg_new',
      'ses_dfb577022ffeeWdsF6f5Trpsi8',
      1795374499000,
      1795374499000,
      JSON.stringify({ ...data, time: { created: 1795374499000 }, tokens: { total: 10, input: 7, output: 2, reasoning: 1, cache: { read: 0, write: 0 } } }),
    ]);
    db.run("INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES ('msg_bad', 'ses_dfb577022ffeeWdsF6f5Trpsi8', 1795374499001, 1795374499001, '{not json')");
    // OpenCode bumps the session with its messages (and keeps running totals on it).
    db.run("UPDATE session SET time_updated = 1795374499002 WHERE id = 'ses_dfb577022ffeeWdsF6f5Trpsi8'");
    db.close();
    e.poll();
    // Reads of one database are at least 250 ms apart (OpenCode writes many times a second):
    // a change inside that interval is read by the next poll.
    await new Promise((resolve) => setTimeout(resolve, 300));
    e.poll();
    const after = sessions(e).get('ses_dfb577022ffeeWdsF6f5Trpsi8');
    assert.ok(before && after);
    assert.equal(after.tokens.output, before.tokens.output + 100 + 3);
    assert.equal(after.tokens.input, before.tokens.input + 7);
    assert.equal(after.requests, before.requests + 1);
    assert.equal(e.health().byAgent.opencode?.malformed, 1);
  });

  it('a change only in the write-ahead log is seen by polling; a torn frame being written is ignored', async () => {
    const dir = walFixture();
    const e = engineFor(dir);
    e.scan();
    const before = sessions(e);
    const db = path.join(dir, 'opencode.db');
    const source = (e as unknown as { sources: { changedBeside?: (f: { path: string }, s: unknown) => boolean }[] }).sources[0]!;
    const state = (e as unknown as { files: Map<string, { state: unknown }> }).files.get(db)!.state;
    assert.equal(source.changedBeside?.({ path: db }, state), false);
    // Half a frame, as a writer leaves it mid-write: its checksum fails, SQLite ignores it.
    fs.appendFileSync(`${db}-wal`, Buffer.alloc(1000, 7));
    assert.equal(source.changedBeside?.({ path: db }, state), true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    e.poll();
    assert.deepEqual(sessions(e), before);
    assert.equal(e.health().byAgent.opencode?.unreadableFiles, 0);
  });

  it('the CLI’s warm cache checks the write-ahead log too (fresh rows live there)', () => {
    const dir = walFixture();
    const e = engineFor(dir);
    e.scan();
    const wal = path.join(dir, 'opencode.db-wal');
    assert.deepEqual(e.fileStates().find(([p]) => p === wal)?.slice(1, 2), [fs.statSync(wal).size]);
  });

  it('is simply absent when OpenCode is not installed', () => {
    const e = engineFor(path.join(tempDir(), 'nothing-here'));
    e.scan();
    assert.equal(e.meter.sessions.size, 0);
    assert.equal(e.health().byAgent.opencode?.detected, false);
    assert.equal(e.health().problemCount, 0);
  });
});
