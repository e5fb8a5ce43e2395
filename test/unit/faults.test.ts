/**
 * The fault and input campaign: fuzzed lines, file-system faults, crashes and concurrency, each
 * checked against an independently computed reference — zero usage lost, zero double-counted.
 * Counts are printed for the record.
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCalendar } from '../../src/core/calendar';
import { buildReport } from '../../src/core/report';
import { Engine } from '../../src/engine/engine';
import { indexFileName } from '../../src/engine/index-store';
import { initialClaudeFileState, parseClaudeLine } from '../../src/sources/claude-code/parse';
import { claudeFixture, copyTree, listJsonl, referenceClaudeTotals, repoRoot, rng, tempDir } from '../helpers';

const calendar = createCalendar('UTC');

function totals(e: Engine): { input: number; output: number; cacheWrite: number; cacheRead: number } {
  const t = buildReport(e.meter, { range: { from: -Infinity, to: Infinity }, idleMs: 300_000, calendar }).totals.tokens;
  return { input: t.input, output: t.output, cacheWrite: t.cacheWrite, cacheRead: t.cacheRead };
}

function refTotals(root: string): { input: number; output: number; cacheWrite: number; cacheRead: number } {
  const out = { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 };
  for (const t of referenceClaudeTotals(root).values()) {
    out.input += t.input;
    out.output += t.output;
    out.cacheWrite += t.cacheWrite;
    out.cacheRead += t.cacheRead;
  }
  return out;
}

function engine(root: string, cacheDir?: string): Engine {
  return new Engine({ claude: { onlyDirs: [root] }, idleMs: 300_000, priceOverrides: [], keepPromptText: true, cacheDir });
}

const allScenarios = ['tools_resume', 'subagent_models', 'compact_manual', 'errors', 'otel', 'tools_resume-cc1.0.128', 'compact_manual-cc1.0.128', 'errors-cc1.0.128'];

describe('fault campaign: parsers', () => {
  it('no fuzzed line makes the Claude Code parser throw; every one is classified', () => {
    const r = rng(7);
    const real = allScenarios.flatMap((s) => listJsonl(path.join(claudeFixture(s), 'projects')).flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean)));
    const assistant = real.find((l) => l.includes('"type":"assistant"') && l.includes('"usage"')) ?? '';
    const mutations: ((l: string) => string)[] = [
      (l) => l.slice(0, Math.floor(r() * l.length)), // truncated
      (l) => l.replace(/"input_tokens":\d+/, '"input_tokens":"12"'), // number as string
      (l) => l.replace(/"output_tokens":\d+/, '"output_tokens":-5'), // negative
      (l) => l.replace(/"output_tokens":\d+/, '"output_tokens":1e300'), // enormous
      (l) => l.replace(/"message":\{/, '"message":{"extra":{"x":1},'), // extra fields
      (l) => l.replace(/"sessionId":"[^"]*",?/, ''), // missing field
      (l) => `\u0000${l}\u0000`, // NUL bytes
      (l) => l.replace(/"model":"[^"]*"/, `"model":"${'\ud800'}bad"`), // lone surrogate
      () => `${'['.repeat(100_000)}${']'.repeat(100_000)}`, // deep nesting
      () => '{"type":"assistant","message":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) + '}',
      () => Buffer.from(Array.from({ length: 200 }, () => Math.floor(r() * 256))).toString('latin1'), // random bytes
      (l) => l.replace(/"timestamp":"[^"]*"/, '"timestamp":"not a date"'),
      () => JSON.stringify({ type: 'assistant', message: { id: 'x', model: 'm', usage: { input_tokens: 1, output_tokens: 1 }, content: 'y'.repeat(10 * 1024 * 1024) }, sessionId: 's', timestamp: '2026-11-22T00:00:00Z' }), // 10 MB line
    ];
    const counts = { ok: 0, skipped: 0, malformed: 0, rejected: 0 };
    let lines = 0;
    const heavy = new Set([8, 9, 12]); // deep nesting and 10 MB lines: a few of each
    for (let i = 0; i < 3000; i++) {
      const m = i % mutations.length;
      if (heavy.has(m) && i > 3 * mutations.length) continue;
      const base = i % 3 === 0 ? assistant : (real[Math.floor(r() * real.length)] ?? '');
      const line = mutations[m]!(base);
      const out = parseClaudeLine(line, { fileId: 1, state: initialClaudeFileState(), keepPromptText: true });
      counts[out.status]++;
      lines++;
      if (out.status === 'ok') for (const e of out.events) if (e.kind === 'usage') for (const v of Object.values(e.tokens)) assert.ok(Number.isInteger(v) && v >= 0 && v <= 1e10, 'only sane token counts get through');
    }
    assert.equal(counts.ok + counts.skipped + counts.malformed + counts.rejected, lines);
    assert.ok(counts.malformed > 100 && counts.rejected > 100);
    console.log(`      fuzzed ${lines} lines: ${counts.ok} ok, ${counts.skipped} skipped, ${counts.malformed} malformed, ${counts.rejected} rejected, 0 exceptions`);
  });

  it('invalid UTF-8 and NUL bytes inside a transcript are counted, and the rest is read', () => {
    const root = tempDir();
    copyTree(claudeFixture('errors'), root);
    const file = path.join(root, 'projects', '-home-user-proj', '1ee66272-a6e0-48b5-b023-528267435be6.jsonl');
    const ref = refTotals(root);
    fs.appendFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0xc3, 0x28, 0x0a]), Buffer.from('{"type":"user","x":"\u0000"}\n')]));
    const e = engine(root);
    e.scan();
    assert.deepEqual(totals(e), ref);
    const h = e.health().byAgent['claude-code']!;
    assert.ok(h.malformed + h.rejected >= 2, JSON.stringify(h));
  });
});

describe('fault campaign: files', () => {
  it('a file deleted, renamed, truncated and rewritten while the meter runs: nothing lost, nothing counted twice', () => {
    const root = tempDir();
    for (const s of ['tools_resume', 'compact_manual']) copyTree(claudeFixture(s), root);
    const ref = refTotals(root);
    const e = engine(root);
    e.scan();
    assert.deepEqual(totals(e), ref);
    const dir = path.join(root, 'projects', '-home-user-proj');
    const a = path.join(dir, '1fadfc77-936f-4016-8c24-3f754c1f34ce.jsonl');
    const b = path.join(dir, 'fd1a2540-aa24-46a3-a60d-1838d1ccbee3.jsonl');
    // renamed: same content under a new name → deduped
    fs.renameSync(b, path.join(dir, 'renamed.jsonl'));
    e.poll();
    assert.deepEqual(totals(e), ref);
    // truncated and rewritten with the same content → read again, deduped
    const content = fs.readFileSync(a);
    fs.writeFileSync(a, '');
    e.poll();
    fs.writeFileSync(a, content);
    e.poll();
    assert.deepEqual(totals(e), ref);
    // deleted: spend already observed is kept
    fs.unlinkSync(a);
    e.poll();
    assert.deepEqual(totals(e), ref);
    assert.equal(e.health().byAgent['claude-code']?.unreadableFiles, 0, 'a vanished file is not an error');
  });

  it('permission denied, symlink loops, missing roots, and a project folder that appears later', () => {    const root = tempDir();
    copyTree(claudeFixture('errors'), root);
    const dir = path.join(root, 'projects', '-home-user-proj');
    fs.symlinkSync(dir, path.join(dir, 'loop'));
    fs.symlinkSync(path.join(root, 'missing-target'), path.join(dir, 'dangling.jsonl'));
    const locked = path.join(dir, 'locked.jsonl');
    fs.writeFileSync(locked, fs.readFileSync(path.join(claudeFixture('compact_manual'), 'projects', '-home-user-proj', '1fadfc77-936f-4016-8c24-3f754c1f34ce.jsonl')));
    fs.chmodSync(locked, 0o000);
    const ref = refTotals(claudeFixture('errors'));
    const e = new Engine({ claude: { onlyDirs: [root, '/nonexistent/wsl/root', '//server/share/.claude'] }, idleMs: 300_000, priceOverrides: [], keepPromptText: true });
    e.scan();
    const canRead = (() => {
      try {
        fs.readFileSync(locked);
        return true;
      } catch {
        return false;
      }
    })();
    const lockedRef = refTotals(claudeFixture('compact_manual'));
    if (canRead) {
      // Running as root: the OS lets us read it anyway, so it counts like any file.
      assert.deepEqual(totals(e), { input: ref.input + lockedRef.input, output: ref.output + lockedRef.output, cacheWrite: ref.cacheWrite + lockedRef.cacheWrite, cacheRead: ref.cacheRead + lockedRef.cacheRead });
    } else {
      assert.deepEqual(totals(e), ref);
      assert.equal(e.health().byAgent['claude-code']?.unreadableFiles, 1, 'the unreadable file is counted');
    }
    assert.ok(e.health().problems.some((p) => /loop|repeated/.test(p.message)), 'the loop is reported');
    // A new project folder after start is found.
    fs.chmodSync(locked, 0o644);
    fs.rmSync(locked);
    copyTree(path.join(claudeFixture('subagent_models'), 'projects'), path.join(root, 'projects'));
    e.poll();
    const more = refTotals(claudeFixture('subagent_models'));
    const base = canRead ? { input: ref.input + lockedRef.input, output: ref.output + lockedRef.output, cacheWrite: ref.cacheWrite + lockedRef.cacheWrite, cacheRead: ref.cacheRead + lockedRef.cacheRead } : ref;
    assert.deepEqual(totals(e), { input: base.input + more.input, output: base.output + more.output, cacheWrite: base.cacheWrite + more.cacheWrite, cacheRead: base.cacheRead + more.cacheRead });
  });

  it('a 700 MB file of records without usage is read once, cheaply, and never again', function () {
    this.timeout(120_000);
    const root = tempDir();
    copyTree(claudeFixture('errors'), root);
    const big = path.join(root, 'projects', '-home-user-proj', 'snapshots.jsonl');
    const line = `${JSON.stringify({ type: 'file-history-snapshot', messageId: 'x', snapshot: { trackedFileBackups: { f: { backupFileName: 'y'.repeat(60_000) } } } })}\n`;
    const chunk = line.repeat(100);
    const fd = fs.openSync(big, 'w');
    let size = 0;
    while (size < 700 * 1024 * 1024) size += fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    const ref = refTotals(claudeFixture('errors'));
    const e = engine(root);
    const t0 = Date.now();
    e.scan();
    const ms = Date.now() - t0;
    assert.deepEqual(totals(e), ref);
    const read1 = e.health().byAgent['claude-code']?.bytesRead ?? 0;
    e.poll();
    assert.equal(e.health().byAgent['claude-code']?.bytesRead, read1, 'not read again');
    console.log(`      700 MB of snapshots read in ${ms} ms`);
    fs.rmSync(big);
  });

  it('a transcript appended to while the index is being saved: the next start neither loses nor repeats it', () => {
    const root = tempDir();
    copyTree(claudeFixture('compact_manual'), root);
    const cache = tempDir();
    const e = engine(root, cache);
    e.scan();
    const file = path.join(root, 'projects', '-home-user-proj', '1fadfc77-936f-4016-8c24-3f754c1f34ce.jsonl');
    const extra = JSON.stringify({ type: 'assistant', uuid: 'save-race', timestamp: '2026-11-22T19:30:00.000Z', sessionId: '1fadfc77-936f-4016-8c24-3f754c1f34ce', message: { id: 'msg_save_race', model: 'claude-sonnet-4-5', usage: { input_tokens: 5, output_tokens: 5 } } });
    // The index records cursors as read; bytes appended during or after the save are past them.
    e.saveIndex(true);
    fs.appendFileSync(file, `${extra}\n`);
    const next = engine(root, cache);
    assert.equal(next.loadIndex(), true);
    next.scan();
    assert.deepEqual(totals(next), refTotals(root));
  });
});

describe('fault campaign: crashes and concurrency', () => {
  const worker = path.join(repoRoot, 'out', 'test', 'unit', 'fault-child.js');

  it('a process killed while writing the index or an export: the next start recovers exactly', async function () {
    this.timeout(120_000);
    const root = tempDir();
    for (const s of ['tools_resume', 'compact_manual', 'subagent_models']) copyTree(claudeFixture(s), root);
    const ref = refTotals(root);
    let kills = 0;
    for (let i = 0; i < 8; i++) {
      const cache = tempDir();
      const out = path.join(cache, 'report.json');
      // The child scans, then saves the index and writes an export in a loop; kill it at a random point.
      const child = spawn(process.execPath, [worker, root, cache, out], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 150 + i * 60));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      kills++;
      const e = engine(root, cache);
      const loaded = e.loadIndex();
      e.scan();
      assert.deepEqual(totals(e), ref, `kill ${i} (index ${loaded ? 'loaded' : 'rebuilt'})`);
      // An export is either absent or whole, never half-written.
      if (fs.existsSync(out)) assert.doesNotThrow(() => JSON.parse(fs.readFileSync(out, 'utf8')));
      assert.deepEqual(fs.readdirSync(cache).filter((f) => f.endsWith('.tmp') && !f.startsWith('.')), []);
    }
    console.log(`      ${kills} kills during index writes and exports, all recovered exactly`);
  });

  it('two scanners (two windows, or a window and the CLI) on one index at once', async function () {
    this.timeout(120_000);
    const root = tempDir();
    for (const s of ['tools_resume', 'compact_manual', 'errors']) copyTree(claudeFixture(s), root);
    const ref = refTotals(root);
    const cache = tempDir();
    const run = (out: string): Promise<number> =>
      new Promise((resolve) => {
        const c = spawn(process.execPath, [worker, root, cache, out, 'once'], { stdio: 'ignore' });
        c.on('exit', (code) => resolve(code ?? 1));
      });
    const codes = await Promise.all([run(path.join(cache, 'a.json')), run(path.join(cache, 'b.json')), run(path.join(cache, 'c.json'))]);
    assert.deepEqual(codes, [0, 0, 0]);
    for (const f of ['a.json', 'b.json', 'c.json']) assert.deepEqual(JSON.parse(fs.readFileSync(path.join(cache, f), 'utf8')).totals, ref);
    const e = engine(root, cache);
    assert.equal(e.loadIndex(), true, 'the index the last writer left is sound');
    e.scan();
    assert.deepEqual(totals(e), ref);
  });
});

describe('fault campaign: time', () => {
  it('daily buckets follow the user’s time zone across a DST change', () => {
    const root = tempDir();
    const dir = path.join(root, 'projects', '-home-user-dst');
    fs.mkdirSync(dir, { recursive: true });
    // Europe/Berlin leaves DST on 2026-10-25 at 03:00 local (01:00 UTC).
    const at = ['2026-10-24T21:30:00Z', '2026-10-24T22:30:00Z', '2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z', '2026-10-25T22:59:00Z', '2026-10-25T23:01:00Z'];
    fs.writeFileSync(
      path.join(dir, 's.jsonl'),
      at.map((ts, i) => JSON.stringify({ type: 'assistant', uuid: `d${i}`, timestamp: ts, sessionId: 'dst', message: { id: `msg_d${i}`, model: 'claude-sonnet-4-5', usage: { input_tokens: 10 ** i, output_tokens: 0 } } })).join('\n') + '\n',
    );
    const e = engine(root);
    e.scan();
    const days = buildReport(e.meter, { range: { from: -Infinity, to: Infinity }, idleMs: 300_000, calendar: createCalendar('Europe/Berlin'), by: 'day' }).groups ?? [];
    // 21:30Z = 23:30 CEST (24th); 22:30Z = 00:30 CEST (25th); 00:30Z = 02:30 CEST; 01:30Z = 02:30 CET;
    // 22:59Z = 23:59 CET (25th); 23:01Z = 00:01 CET (26th).
    assert.deepEqual(days.map((d) => [d.key, d.tokens.input]), [['2026-10-24', 1], ['2026-10-25', 10 + 100 + 1000 + 10000], ['2026-10-26', 100000]]);
    const cal = createCalendar('Europe/Berlin');
    assert.equal(cal.startOfDay(Date.parse('2026-10-25T12:00:00Z')), Date.parse('2026-10-24T22:00:00Z'), 'the 25th began at 00:00 CEST');
    assert.equal(cal.startOfDay(Date.parse('2026-10-26T12:00:00Z')), Date.parse('2026-10-25T23:00:00Z'), 'the 26th began at 00:00 CET (a 25-hour day before it)');
  });
});

describe('fault campaign: nothing leaves the machine', () => {
  it('the CLI makes no network call (sockets, DNS, fetch intercepted)', () => {
    const hook = path.join(repoRoot, 'out', 'test', 'unit', 'no-network.js');
    const cache = tempDir();
    const log = path.join(cache, 'attempts.log');
    for (const args of [['report', '--json'], ['export', '--format', 'json', '--by', 'task']]) {
      const r = spawnSync(process.execPath, ['--require', hook, path.join(repoRoot, 'out', 'test', 'unit', 'cli-entry.js'), ...args, '--claude-dir', claudeFixture('subagent_models'), '--cache-dir', cache], {
        env: { ...process.env, TAXIMETER_NETWORK_LOG: log, HOME: tempDir(), TAXIMETER_DATA_DIR: tempDir() },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(fs.existsSync(`${log}.armed`), 'the interceptor was active');
    }
    assert.equal(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '', '', 'no network attempts');
    assert.ok(fs.readdirSync(cache).includes(indexFileName));
  });
});
