// Two windows on one history: two scanner workers (the extension's own, out/src/engine/worker.js)
// share a cache folder, as two VS Code windows do. One scans and saves the index; the other starts
// from it and follows. A line is appended to a transcript every 1.5 s; each window's time from the
// append to a status message that shows it is recorded. Usage: bench-windows.cjs HISTORY [N]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const [history, n = '12'] = process.argv.slice(2);
const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'taximeter-bench-windows-'));
const settings = { claudeConfigDirs: [history], agents: ['claude-code'], idleMs: 300_000, priceOverrides: [], keepPromptText: false, cacheDir: cache, workspaceFolders: [], tasks: [], plan: { id: 'none' }, sessionHourRate: 0.08, includePrompts: false };
// Only the history: not this machine's own ~/.claude.
process.env.CLAUDE_CONFIG_DIR = path.join(cache, 'none');

class Window {
  constructor() {
    this.last = undefined;
    this.logs = [];
    this.worker = new Worker(path.join(__dirname, '..', 'out', 'src', 'engine', 'worker.js'));
    this.worker.on('message', (m) => {
      if (m.type === 'status') this.last = m;
      if (m.type === 'log') this.logs.push(m.message);
    });
    this.worker.postMessage({ type: 'start', id: 1, settings });
  }
  async until(pred, ms = 300_000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (this.last && pred(this.last)) return this.last;
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`timeout (${JSON.stringify(this.last?.scan)})`);
  }
  async stop() {
    this.worker.postMessage({ type: 'stop', id: 2 });
    await new Promise((r) => setTimeout(r, 300));
    await this.worker.terminate();
  }
}

const dir = path.join(history, 'projects', '-home-user-big-project-0');
const file = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.jsonl')));
const size = fs.statSync(file).size;
const sessionId = path.basename(file, '.jsonl');
const today = (s) => s.summary.today.tokens;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(0);

(async () => {
  const a = new Window();
  await a.until((s) => s.scan.role === 'leader' && s.scan.phase === 'live' && s.summary.today !== undefined);
  const b = new Window();
  await b.until((s) => s.scan.role === 'follower' && s.summary.today !== undefined && today(s) === today(a.last));
  await new Promise((r) => setTimeout(r, 2500));
  const lat = { leader: [], follower: [] };
  const eluRun = [a.worker.performance.eventLoopUtilization(), b.worker.performance.eventLoopUtilization()];
  const runStart = performance.now();
  for (let i = 0; i < Number(n); i++) {
    const want = { leader: today(a.last) + 1000, follower: today(b.last) + 1000 };
    const t0 = performance.now();
    fs.appendFileSync(file, `${JSON.stringify({ type: 'assistant', uuid: `bench-w-${Date.now()}-${i}`, timestamp: new Date().toISOString(), sessionId, message: { id: `msg_bench_w_${Date.now()}_${i}`, model: 'claude-sonnet-4-5', usage: { input_tokens: 1000, output_tokens: 0 } } })}\n`);
    await Promise.all(
      [
        ['leader', a],
        ['follower', b],
      ].map(([k, w]) => w.until((s) => today(s) >= want[k], 30_000).then(() => lat[k].push(performance.now() - t0))),
    );
    await new Promise((r) => setTimeout(r, 1500));
  }
  const runMs = performance.now() - runStart;
  const busyRun = [a, b].map((w, i) => w.worker.performance.eventLoopUtilization(eluRun[i]).active);
  // Quiet: how busy each window's thread is while nothing happens (event-loop utilisation, 10 s).
  const quietMs = 10_000;
  const elu0 = [a.worker.performance.eventLoopUtilization(), b.worker.performance.eventLoopUtilization()];
  await new Promise((r) => setTimeout(r, quietMs));
  const busy = [a, b].map((w, i) => w.worker.performance.eventLoopUtilization(elu0[i]).active);
  const loads = b.logs.filter((l) => /index is loaded/.test(l)).length;
  console.log(`  scanning window:  append → status p50 ${pct(lat.leader, 0.5)} ms, p95 ${pct(lat.leader, 0.95)} ms`);
  console.log(`  following window: append → status p50 ${pct(lat.follower, 0.5)} ms, p95 ${pct(lat.follower, 0.95)} ms (${lat.follower.length} lines; it loaded the index ${loads} time(s))`);
  console.log(`  while lines arrive (${(runMs / 1000).toFixed(0)} s): scanning window busy ${busyRun[0].toFixed(0)} ms, following window ${busyRun[1].toFixed(0)} ms`);
  console.log(`  quiet for ${quietMs / 1000} s: scanning window busy ${busy[0].toFixed(0)} ms, following window ${busy[1].toFixed(0)} ms`);
  await b.stop();
  await a.stop();
})()
  .catch((error) => {
    console.error(String(error));
    process.exitCode = 1;
  })
  .finally(() => {
    // Leave the history as it was.
    fs.truncateSync(file, size);
    fs.rmSync(cache, { recursive: true, force: true });
  });
