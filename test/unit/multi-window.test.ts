import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { indexFileName } from '../../src/engine/index-name';
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
  /** A request to the worker; resolves with its reply's result. */
  request(msg: Record<string, unknown>): Promise<unknown> {
    const id = this.id++;
    return new Promise((resolve, reject) => {
      const onMessage = (m: FromWorker): void => {
        if (m.type !== 'reply' || m.id !== id) return;
        this.worker.off('message', onMessage);
        if (m.ok) resolve(m.result);
        else reject(new Error(m.error));
      };
      this.worker.on('message', onMessage);
      this.worker.postMessage({ ...msg, id });
    });
  }
  async stop(): Promise<void> {
    this.worker.postMessage({ type: 'stop', id: this.id++ });
    await new Promise((r) => setTimeout(r, 200));
    await this.worker.terminate();
  }
}

/** A window's settings: Claude Code only, these folders, this cache folder. */
function windowSettings(claudeConfigDirs: string[], cacheDir: string): EngineSettings {
  return {
    claudeConfigDirs,
    agents: ['claude-code'],
    idleMs: 300_000,
    priceOverrides: [],
    keepPromptText: true,
    cacheDir,
    workspaceFolders: [],
    tasks: [],
    plan: { id: 'none' },
    sessionHourRate: 0.08,
    includePrompts: true,
  };
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

  it('a following window also reads a folder only its own settings add (the scanning window’s index does not have it)', async () => {
    const shared = tempDir();
    copyTree(claudeFixture('compact_manual'), shared);
    const own = tempDir();
    copyTree(claudeFixture('tools_resume'), own);
    const cache = tempDir();
    const base = windowSettings([shared], cache);
    const env = process.env.CLAUDE_CONFIG_DIR;
    process.env.CLAUDE_CONFIG_DIR = path.join(tempDir(), 'none');
    const a = new Window(base);
    try {
      await a.until((s) => s.scan.phase === 'live' && s.scan.role === 'leader');
      const b = new Window({ ...base, claudeConfigDirs: [shared, own] });
      try {
        await b.until((s) => s.scan.role === 'follower' && s.scan.indexLoaded);
        type Sessions = { sessions: { id: string; tokens: { total: number } }[] };
        const ra = (await a.request({ type: 'report' })) as Sessions;
        const rb = (await b.request({ type: 'report' })) as Sessions;
        const idsA = new Set(ra.sessions.map((x) => x.id));
        const extra = rb.sessions.filter((x) => !idsA.has(x.id));
        assert.ok(ra.sessions.length > 0);
        assert.ok(extra.length > 0 && extra.every((x) => x.tokens.total > 0), 'the follower has the sessions of its own folder');
        for (const x of ra.sessions) assert.deepEqual(rb.sessions.find((y) => y.id === x.id), x, 'and the shared ones exactly as the scanning window has them');
      } finally {
        await b.stop();
      }
    } finally {
      await a.stop().catch(() => undefined);
      process.env.CLAUDE_CONFIG_DIR = env;
    }
  });

  it('a second window starts from the first one’s index, reads new lines itself (never reloading the index), then takes over', async () => {
    const root = tempDir();
    copyTree(claudeFixture('compact_manual'), root);
    const cache = tempDir();
    const settings = windowSettings([root], cache);
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
        const append = (n: number): void =>
          fs.appendFileSync(file, `${JSON.stringify({ type: 'assistant', uuid: `mw-${n}`, timestamp: new Date().toISOString(), sessionId: '1fadfc77-936f-4016-8c24-3f754c1f34ce', message: { id: `msg_mw_${n}`, model: 'claude-sonnet-4-5', usage: { input_tokens: 1000, output_tokens: 0 } } })}\n`);
        append(1);
        const target = (first.summary.current?.tokens.input ?? 0) + 1000;
        await a.until((s) => s.summary.current?.tokens.input === target);
        await b.until((s) => s.summary.current?.tokens.input === target, 15_000);
        // The following window reads new lines itself; it does not wait for (or reload) the index:
        // with the index made unwritable (a folder in its place) the leader's saves fail, and the
        // follower still shows the next line, counted once.
        const index = path.join(cache, indexFileName);
        fs.rmSync(index, { force: true });
        fs.mkdirSync(path.join(index, 'blocked'), { recursive: true });
        const t0 = Date.now();
        append(2);
        await b.until((s) => s.summary.current?.tokens.input === target + 1000, 15_000);
        const followMs = Date.now() - t0;
        await a.until((s) => s.summary.current?.tokens.input === target + 1000);
        assert.ok(followMs < 1000, `the following window showed the line in ${followMs} ms (it no longer waits for the index's next save)`);
        fs.rmSync(index, { recursive: true, force: true });
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
