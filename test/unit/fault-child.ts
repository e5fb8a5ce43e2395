/**
 * A child process for the crash and concurrency tests: scan, then save the index and write an
 * export (atomically) — in a loop until killed, or once with the 4th argument `once`.
 *   node fault-child.js ROOT CACHE_DIR EXPORT_FILE [once]
 */
import { createCalendar } from '../../src/core/calendar';
import { buildReport } from '../../src/core/report';
import { writeFileAtomic } from '../../src/engine/atomic';
import { Engine } from '../../src/engine/engine';

const [root = '', cache = '', out = '', mode] = process.argv.slice(2);
const engine = new Engine({ claude: { onlyDirs: [root] }, idleMs: 300_000, priceOverrides: [], keepPromptText: true, cacheDir: cache });
engine.loadIndex();
engine.scan();
const calendar = createCalendar('UTC');
const write = (): void => {
  engine.saveIndex(true);
  const t = buildReport(engine.meter, { range: { from: -Infinity, to: Infinity }, idleMs: 300_000, calendar }).totals.tokens;
  writeFileAtomic(out, JSON.stringify({ totals: { input: t.input, output: t.output, cacheWrite: t.cacheWrite, cacheRead: t.cacheRead }, pad: 'x'.repeat(2_000_000) }));
};
if (mode === 'once') write();
else for (;;) write();
