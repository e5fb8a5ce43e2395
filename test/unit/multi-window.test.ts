import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ScannerLock, lockFileName } from '../../src/engine/lock';
import type { FromWorker, EngineSettings } from '../../src/engine/worker-protocol';
import { claudeFixture, copyTree, repoRoot, tempDir } from '../helpers';

type Status = Extract<FromWorker, { type: 'status' }>;

class Window {
  readonly worker = new Worker(path.join(repoRoot, 'out', 'src', 'engine', 'worker.js'));
  last: Status | undefined;
  private id = 1;
  constructor(settings: EngineSettings) {
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'status') this.last = m;
    });
    this.worker.postMessage({ type: 'start', id: this.id++, settings });
  }
  async until(pred: (s: Status) => boolean, ms = 20_000): Promise<Status> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (this.last && pred(this.last)) return this.last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timeout; last ${JSON.stringify(this.last?.scan)}`);
  }
  async stop(): Promise<void> {
    this.worker.postMessage({ type: 'stop', id: this.id++ });
    await new Promise((r) => setTimeout(r, 200));
    await this.worker.terminate();
  }
}

describe('one scanner for all windows', function () {
  this.timeout(60_000);

  it('the lock: one holder, others refused, a dead holder taken over', () => {
    const dir = tempDir();
    let clock = 1_000_000;
    const a = new ScannerLock(dir, 30_000, () => clock);
    const b = new ScannerLock(dir, 30_000, () => clock);
    assert.equal(a.tryAcquire(), true);
    assert.equal(b.tryAcquire(), false);
    clock += 31_000; // a stopped beating
    assert.equal(b.tryAcquire(), true, 'stale lock taken over');
    a.release();
    assert.ok(fs.existsSync(path.join(dir, lockFileName)), 'a does not remove b’s lock');
    b.release();
    assert.equal(fs.existsSync(path.join(dir, lockFileName)), false);
    // A lock left by a dead process on this host is stale at once.
    fs.writeFileSync(path.join(dir, lockFileName), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), token: 'x', heartbeat: clock }));
    assert.equal(new ScannerLock(dir, 30_000, () => clock).tryAcquire(), true);
  });

  it('a second window follows the first one’s index and stays current, then takes over', async () => {
    const root = tempDir();
    copyTree(claudeFixture('compact_manual'), root);
    const cache = tempDir();
    const settings: EngineSettings = {
      claudeConfigDirs: [root],
      agents: ['claude-code'],
      idleMs: 300_000,
      priceOverrides: [],
      keepPromptText: true,
      cacheDir: cache,
      workspaceFolders: [],
      tasks: [],
      plan: { id: 'none' },
      sessionHourRate: 0.08,
      includePrompts: true,
    };
    const env = process.env.CLAUDE_CONFIG_DIR;
    process.env.CLAUDE_CONFIG_DIR = path.join(tempDir(), 'none');
    const a = new Window(settings);
    try {
      const first = await a.until((s) => s.scan.phase === 'live' && s.summary.current !== undefined);
      assert.equal(first.scan.role, 'leader');
      const b = new Window(settings);
      try {
        const followed = await b.until((s) => s.summary.current !== undefined);
        assert.equal(followed.scan.role, 'follower');
        assert.equal(followed.summary.current?.costUSD, first.summary.current?.costUSD);
        const file = path.join(root, 'projects', '-home-user-proj', '1fadfc77-936f-4016-8c24-3f754c1f34ce.jsonl');
        fs.appendFileSync(file, `${JSON.stringify({ type: 'assistant', uuid: 'mw-1', timestamp: new Date().toISOString(), sessionId: '1fadfc77-936f-4016-8c24-3f754c1f34ce', message: { id: 'msg_mw_1', model: 'claude-sonnet-4-5', usage: { input_tokens: 1000, output_tokens: 0 } } })}\n`);
        const target = (first.summary.current?.tokens.input ?? 0) + 1000;
        await a.until((s) => s.summary.current?.tokens.input === target);
        await b.until((s) => s.summary.current?.tokens.input === target, 15_000);
        await a.stop();
        const took = await b.until((s) => s.scan.role === 'leader', 15_000);
        assert.equal(took.scan.role, 'leader');
      } finally {
        await b.stop();
      }
    } finally {
      await a.stop().catch(() => undefined);
      process.env.CLAUDE_CONFIG_DIR = env;
    }
  });
});
