// Incremental update latency of the engine: load the index, append one assistant line to a big
// transcript, refresh that file, and time until the meter shows it. Usage: bench-incremental.cjs HISTORY CACHE
const fs = require('node:fs');
const path = require('node:path');
const { Engine } = require('../out/src/engine/engine');
const { statusSummary } = require('../out/src/core/status');
const { createCalendar } = require('../out/src/core/calendar');

const [history, cache] = process.argv.slice(2);
const t0 = performance.now();
const engine = new Engine({ agents: ['claude-code'], claude: { onlyDirs: [history] }, idleMs: 300_000, priceOverrides: [], keepPromptText: false, cacheDir: cache });
const loaded = engine.loadIndex();
engine.scan();
const warm = performance.now() - t0;
const dir = path.join(history, 'projects', '-home-user-big-project-0');
const file = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.jsonl')));
const sessionId = path.basename(file, '.jsonl');
const calendar = createCalendar();
const times = [];
for (let i = 0; i < 50; i++) {
  const line = JSON.stringify({ type: 'assistant', uuid: `bench-${Date.now()}-${i}`, timestamp: new Date().toISOString(), sessionId, message: { id: `msg_bench_${Date.now()}_${i}`, model: 'claude-sonnet-4-5', usage: { input_tokens: 10, output_tokens: 20 } } });
  const t = performance.now();
  fs.appendFileSync(file, `${line}\n`);
  engine.refresh([file]);
  statusSummary(engine.meter, { now: Date.now(), idleMs: 300_000, calendar, workspaceFolders: [] });
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log(`  index ${loaded ? 'loaded' : 'NOT loaded'}; engine warm start (load index + stat all files) ${warm.toFixed(0)} ms`);
console.log(`  append → meter + status summary: p50 ${times[25].toFixed(1)} ms, p95 ${times[47].toFixed(1)} ms, max ${times[49].toFixed(1)} ms`);
// Leave the history as it was (the appended lines would change later runs).
const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => !l.includes('"msg_bench_'));
fs.writeFileSync(file, lines.join('\n'));
