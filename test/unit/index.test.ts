import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCalendar } from '../../src/core/calendar';
import { buildReport } from '../../src/core/report';
import { Engine, type EngineConfig } from '../../src/engine/engine';
import { indexFileName } from '../../src/engine/index-store';
import { claimBack, claimFront, newFlags, ParsePool, type ReadJob } from '../../src/engine/parse-pool';
import { createClaudeCodeSource } from '../../src/sources/claude-code/source';
import { emptyCursor } from '../../src/sources/tail';
import { claudeFixture, copyTree, tempDir } from '../helpers';

const calendar = createCalendar('UTC');
const range = { from: -Infinity, to: Infinity };

function config(root: string, cacheDir: string): EngineConfig {
  return { agents: ['claude-code'], claude: { onlyDirs: [root] }, idleMs: 300_000, priceOverrides: [], keepPromptText: true, cacheDir };
}

function report(e: Engine): unknown {
  const r = buildReport(e.meter, { range, idleMs: 300_000, calendar, now: 0 });
  return { sessions: r.sessions, totals: r.totals };
}

describe('persisted index', () => {
  it('a warm start from the index equals a cold scan, and then reads only appended bytes', () => {
    const root = tempDir();
    copyTree(claudeFixture('tools_resume'), root);
    const cache = tempDir();
    const cold = new Engine(config(root, cache));
    cold.scan();
    cold.saveIndex();
    const indexFile = path.join(cache, indexFileName);
    assert.equal(fs.statSync(indexFile).mode & 0o777, 0o600, 'index is user-only');

    const warm = new Engine(config(root, cache));
    assert.equal(warm.loadIndex(), true);
    assert.deepEqual(report(warm), report(cold));
    const health = warm.health();
    warm.scan();
    assert.equal(warm.health().byAgent['claude-code']?.bytesRead, health.byAgent['claude-code']?.bytesRead ?? 0, 'nothing re-read');
    assert.deepEqual(report(warm), report(cold));
  });

  it('detects a corrupt, partial or old-format index and rebuilds instead of trusting it', () => {
    const root = tempDir();
    copyTree(claudeFixture('compact_manual'), root);
    const cache = tempDir();
    const e = new Engine(config(root, cache));
    e.scan();
    e.saveIndex();
    const expected = report(e);
    const file = path.join(cache, indexFileName);
    const good = fs.readFileSync(file, 'utf8');
    const variants: [string, string][] = [
      ['partial', good.slice(0, Math.floor(good.length / 2))],
      ['old', good.replace('"version":1', '"version":0')],
      ['garbage', '\u0000\u0001not json'],
      ['tampered', good.replace(/"checksum":\d+/, '"checksum":1')],
    ];
    for (const [name, text] of variants) {
      fs.writeFileSync(file, text);
      const again = new Engine(config(root, cache));
      assert.equal(again.loadIndex(), false, name);
      assert.ok(again.health().index.rebuilt, name);
      again.scan();
      assert.deepEqual(report(again), expected, name);
    }
  });
});

describe('parallel cold scan', () => {
  it('gives exactly the sequential result, folding helper results in file order', async () => {
    const root = tempDir();
    for (const s of ['tools_resume', 'subagent_models', 'compact_manual', 'errors', 'otel']) copyTree(claudeFixture(s), root);
    const seq = new Engine({ ...config(root, tempDir()), cacheDir: undefined });
    seq.scan();
    const par = new Engine({ ...config(root, tempDir()), cacheDir: undefined, parseThreads: 1 });
    // Helpers are used from 48 MB of new files; a threshold of 0 forces one here.
    await par.scanParallel(0);
    assert.deepEqual(report(par), report(seq));
  });
});

describe('sharing a batch between the calling thread and helpers', () => {
  it('every file is read once: the caller a prefix, the helpers the rest (random interleavings, 2 helpers)', () => {
    let seed = 11;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 500; round++) {
      const n = 1 + rnd(30);
      const jobs = Array.from({ length: n }, () => (rnd(5) === 0 ? null : ({} as ReadJob)));
      const flags = new Int32Array(newFlags(jobs));
      const helpers = [claimBack(flags, n), claimBack(flags, n)];
      const byHelpers: number[] = [];
      const done = [false, false];
      let front = 0;
      let frontDone = false;
      while (!frontDone || !done[0] || !done[1]) {
        const who = rnd(3);
        if (who === 2) {
          if (frontDone) continue;
          if (front < n && claimFront(flags, front)) front++;
          else frontDone = true;
        } else if (!done[who]) {
          const r = helpers[who]?.next();
          if (!r || r.done) done[who] = true;
          else byHelpers.push(r.value);
        }
      }
      // The caller read 0..front-1; after it, the helpers' files and the caller-only ones (read by the caller then).
      const rest = Array.from({ length: n - front }, (_, i) => front + i);
      assert.deepEqual([...byHelpers].sort((a, b) => a - b), rest.filter((i) => jobs[i] !== null), `round ${round}`);
      assert.equal(new Set(byHelpers).size, byHelpers.length, 'no file twice');
    }
  });

  it('a helper thread reads files exactly as this thread does', async () => {
    const root = tempDir();
    for (const s of ['tools_resume', 'subagent_models', 'compact_manual']) copyTree(claudeFixture(s), root);
    const source = createClaudeCodeSource({ onlyDirs: [root] });
    const files = source.discover(source.roots(), []);
    assert.ok(files.length >= 5);
    const options = { keepPromptText: true };
    const jobs: ReadJob[] = files.map((file, i) => ({ agent: 'claude-code', file, fileId: i + 1, cursor: emptyCursor(), state: source.initialState(), options }));
    const pool = new ParsePool(path.join(__dirname, '..', '..', 'src', 'engine', 'parse-worker.js'), 1);
    try {
      assert.equal(pool.size, 1);
      const results = await pool.run(0, jobs, newFlags(jobs));
      assert.equal(results.length, jobs.length, 'with nobody at the front, the helper reads every file');
      for (const r of results) {
        const j = jobs[r.index];
        assert.ok(j);
        assert.deepEqual(r.result, source.read(j.file, j.fileId, emptyCursor(), source.initialState(), options), j.file.path);
      }
    } finally {
      pool.dispose();
    }
  });
});

describe('settings that change the folders', () => {
  it('a folder added while running is read at the next scan, the files already read are not read again', () => {
    const first = tempDir();
    copyTree(claudeFixture('tools_resume'), first);
    const added = tempDir();
    copyTree(claudeFixture('compact_manual'), added);
    const e = new Engine({ ...config(first, tempDir()), claude: { onlyDirs: [first] } });
    e.scan();
    const bytesBefore = e.health().byAgent['claude-code']?.bytesRead ?? 0;
    const sessionsBefore = e.meter.sessions.size;
    assert.equal(e.updateConfig({ ...config(first, tempDir()), claude: { onlyDirs: [first] } }), false, 'same folders');
    assert.equal(e.updateConfig({ ...config(first, tempDir()), claude: { onlyDirs: [first, added] } }), true, 'a folder added');
    e.scan();
    const both = new Engine({ ...config(first, tempDir()), claude: { onlyDirs: [first, added] } });
    both.scan();
    assert.ok(e.meter.sessions.size > sessionsBefore);
    assert.deepEqual(report(e), report(both), 'equals reading both folders from the start');
    const addedBytes = (both.health().byAgent['claude-code']?.bytesRead ?? 0) - bytesBefore;
    assert.equal(e.health().byAgent['claude-code']?.bytesRead, bytesBefore + addedBytes, 'only the new folder was read');
  });
});
