import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCalendar } from '../../src/core/calendar';
import { buildReport } from '../../src/core/report';
import { Engine, type EngineConfig } from '../../src/engine/engine';
import { indexFileName } from '../../src/engine/index-store';
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
    await par.scanParallel(undefined, undefined, 0);
    assert.deepEqual(report(par), report(seq));
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
