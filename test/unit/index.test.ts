import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { createCalendar } from '../../src/core/calendar';
import { buildReport } from '../../src/core/report';
import { Engine, type EngineConfig } from '../../src/engine/engine';
import { indexFileName } from '../../src/engine/index-store';
import { claimFront, claimNext, encodeJobs, helperClaims, newFlags, ParsePool, parseHelperCount, startParseHelpers, transcriptJob, type HelperRead, type ReadJob } from '../../src/engine/parse-pool';
import { claudeLineFilter, claudeLineSkippable, collectLimitBytes } from '../../src/sources/claude-code/filter';
import { createClaudeCodeSource } from '../../src/sources/claude-code/source';
import { emptyCursor, replayLines, tailRaw } from '../../src/sources/tail';
import { threadCpuMs } from '../../src/engine/thread-cpu';
import { claudeFixture, copyTree, fixturesDir, listJsonl, repoRoot, tempDir } from '../helpers';

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

  it('a poll of the recent files reads what was appended to files written lately, skips old ones and new files; a full poll gets them', () => {
    const root = tempDir();
    copyTree(claudeFixture('tools_resume'), root);
    const files = listJsonl(root).filter((f) => !f.includes('subagents'));
    assert.ok(files.length >= 2);
    const [recent, old] = files as [string, string];
    const hoursAgo = (h: number): Date => new Date(Date.now() - h * 3_600_000);
    fs.utimesSync(old, hoursAgo(3), hoursAgo(3));
    const e = new Engine(config(root, tempDir()));
    e.scan();
    const requests = (): number => buildReport(e.meter, { range, idleMs: 300_000, calendar, now: 0 }).totals.requests;
    const before = requests();
    const line = (f: string, n: number): string => {
      const sessionId = path.basename(f, '.jsonl');
      return `${JSON.stringify({ type: 'assistant', uuid: `poll-${n}`, timestamp: new Date().toISOString(), sessionId, message: { id: `msg_poll_${n}`, model: 'claude-sonnet-4-5', usage: { input_tokens: 1, output_tokens: 1 } } })}\n`;
    };
    fs.appendFileSync(recent, line(recent, 1));
    fs.appendFileSync(old, line(old, 2));
    const added = path.join(path.dirname(recent), '00000000-0000-4000-8000-000000000001.jsonl');
    fs.writeFileSync(added, line(added, 3));
    assert.equal(e.poll(60 * 60_000), true);
    assert.equal(requests(), before + 1, 'only the file written within the hour');
    assert.equal(e.poll(), true);
    assert.equal(requests(), before + 3, 'the full poll: the old file and the new one');
    assert.equal(e.poll(), false);
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
  const fixtures = ['tools_resume', 'subagent_models', 'compact_manual', 'errors', 'otel'];
  /** A Codex home (its rollouts under sessions/). */
  const codexFixture = path.join(fixturesDir, 'other-agents', 'codex', 'resume-3-turns');
  const both = (root: string, codexRoot: string): EngineConfig => ({ ...config(root, tempDir()), agents: ['claude-code', 'codex'], codex: { onlyDirs: [codexRoot] }, cacheDir: undefined });
  const helperPath = path.join(__dirname, '..', '..', 'src', 'engine', 'parse-worker.js');

  it('gives exactly the sequential result, whoever reads which file (helpers first; then both)', async () => {
    const root = tempDir();
    for (const s of fixtures) copyTree(claudeFixture(s), root);
    const codexRoot = tempDir();
    copyTree(codexFixture, codexRoot);
    const seq = new Engine(both(root, codexRoot));
    seq.scan();
    assert.ok(seq.meter.sessions.size >= 6);
    assert.ok([...seq.meter.sessions.values()].some((x) => x.agent === 'codex'), 'Codex sessions are part of it');
    // smallFileBytes 0: this thread reads nothing before a helper has started, so helpers read
    // here too (the fixtures are small enough for this thread to read them all otherwise).
    for (const smallFileBytes of [0, undefined]) {
      const par = new Engine({ ...both(root, codexRoot), parseThreads: 1, smallFileBytes });
      await par.scanParallel();
      assert.deepEqual(report(par), report(seq), `smallFileBytes ${smallFileBytes}`);
      assert.deepEqual(par.health().byAgent, seq.health().byAgent, `smallFileBytes ${smallFileBytes}`);
      if (smallFileBytes === 0) assert.ok(par.lastScan.byHelpers > 0, 'a helper read files');
    }
  });

  it('the bundled helper (as the CLI ships it) loads the other agents\' readers when it first meets their files', async function () {
    this.timeout(30_000);
    // The layout of dist/: parse-worker.js with only the transcript reader, helper-sources.js beside it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as { build(o: object): Promise<unknown> };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { builds } = require(path.join(repoRoot, 'esbuild.js')) as { builds: { outfile?: string; outdir?: string; entryPoints: unknown; plugins?: { name: string }[] }[] };
    const out = tempDir();
    const wanted = builds.filter((b) => b.outfile === 'dist/parse-worker.js' || (b.outdir === 'dist' && JSON.stringify(b.entryPoints).includes('helper-sources')));
    assert.equal(wanted.length, 2);
    // With the build's own rewriting of Node's modules (esbuild.js `plainNodeBuiltins`), as shipped.
    const plugins = (b: (typeof wanted)[number]) => (b.plugins ?? []).filter((p) => p.name === 'plain-node-builtins');
    await Promise.all(wanted.map((b) => esbuild.build({ ...b, absWorkingDir: repoRoot, plugins: plugins(b), sourcemap: false, logLevel: 'silent', ...(b.outfile ? { outfile: path.join(out, 'parse-worker.js') } : { outdir: out }) })));
    assert.ok(fs.statSync(path.join(out, 'parse-worker.js')).size < 100_000, 'the helper bundle holds only the transcript reader');
    assert.ok(fs.existsSync(path.join(out, 'helper-sources.js')));
    for (const f of ['parse-worker.js', 'helper-sources.js']) {
      const code = fs.readFileSync(path.join(out, f), 'utf8');
      assert.ok(code.includes('require("node:fs")'), `${f} requires node:fs`);
      assert.ok(!code.includes('__toESM(require("node:'), `${f} requires Node's modules plainly (no getter copy per importing module)`);
    }
    const codexRoot = tempDir();
    copyTree(codexFixture, codexRoot);
    const onlyCodex: EngineConfig = { ...config(tempDir(), tempDir()), agents: ['codex'], codex: { onlyDirs: [codexRoot] }, cacheDir: undefined };
    const seq = new Engine(onlyCodex);
    seq.scan();
    const par = new Engine({ ...onlyCodex, parseThreads: 1, smallFileBytes: 0, startedHelpers: startParseHelpers(path.join(out, 'parse-worker.js'), 1) });
    await par.scanParallel();
    assert.ok(seq.meter.sessions.size > 0 && par.lastScan.byHelpers > 0, 'the helper read the Codex files');
    assert.deepEqual(report(par), report(seq));
  });

  it('adopts helper threads started beforehand, and ends them when the scan does not need them', async () => {
    const root = tempDir();
    for (const s of fixtures) copyTree(claudeFixture(s), root);
    const seq = new Engine({ ...config(root, tempDir()), cacheDir: undefined });
    seq.scan();
    const cache = tempDir();
    const started = startParseHelpers(helperPath, 1);
    assert.equal(started.length, 1);
    const cold = new Engine({ ...config(root, cache), parseThreads: 1, smallFileBytes: 0, startedHelpers: started });
    await cold.scanParallel();
    assert.ok(cold.lastScan.byHelpers > 0, 'the started helper read files');
    assert.deepEqual(report(cold), report(seq));
    cold.saveIndex();
    // With an index, only appended bytes are read: helpers started for nothing are ended.
    const unused = startParseHelpers(helperPath, 1);
    const ended = new Promise<number>((resolve) => unused[0]?.once('exit', resolve));
    const warm = new Engine({ ...config(root, cache), parseThreads: 1, startedHelpers: unused });
    assert.equal(warm.loadIndex(), true);
    await warm.scanParallel();
    assert.equal(typeof (await ended), 'number', 'the unused helper ended');
    assert.deepEqual(report(warm), report(seq));
  });

  it('a helper that dies after claiming files: this thread reads them, nothing lost or counted twice', async () => {
    const root = tempDir();
    for (const s of fixtures) copyTree(claudeFixture(s), root);
    const seq = new Engine({ ...config(root, tempDir()), cacheDir: undefined });
    seq.scan();
    // A stand-in helper: claims the first three files the way a helper does, then its thread ends.
    const dying = new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.on('message', (m) => {
         const flags = new Int32Array(m.flags);
         let claimed = 0;
         for (let i = 0; i < m.transcripts.length && claimed < 3; i++) if (Atomics.compareExchange(flags, i, 0, 2) === 0) { Atomics.add(flags, m.transcripts.length, 1); claimed++; }
         process.exit(3);
       });`,
      { eval: true },
    );
    const ended = new Promise<number>((resolve) => dying.once('exit', resolve));
    const par = new Engine({ ...config(root, tempDir()), cacheDir: undefined, parseThreads: 1, smallFileBytes: 0, startedHelpers: [dying] });
    await par.scanParallel();
    assert.equal(await ended, 3);
    assert.equal(par.lastScan.byHelpers, 0, 'the helper sent nothing');
    assert.deepEqual(report(par), report(seq));
    assert.deepEqual(par.health().byAgent, seq.health().byAgent);
  });

  it('a file with more lines to keep than a helper holds: the helper passes on the first part, this thread reads the rest', async () => {
    const root = tempDir();
    copyTree(claudeFixture('tools_resume'), root);
    // One transcript with more than collectLimitBytes of kept lines: fixture lines with fresh ids.
    const source = listJsonl(path.join(claudeFixture('tools_resume'), 'projects')).flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.includes('"type":"assistant"') || l.includes('"type":"user"')));
    const dir = path.join(root, 'projects', '-home-user-big');
    fs.mkdirSync(dir, { recursive: true });
    const out: string[] = [];
    let bytes = 0;
    for (let i = 0; bytes < collectLimitBytes + 4 * 1024 * 1024; i++) {
      const line = (source[i % source.length] ?? '').replace(/"uuid":"[^"]*"/, `"uuid":"big-${i}"`).replace(/"id":"msg_[^"]*"/, `"id":"msg_big_${i}"`);
      out.push(line);
      bytes += line.length + 1;
    }
    fs.writeFileSync(path.join(dir, 'big.jsonl'), `${out.join('\n')}\n`);
    const seq = new Engine({ ...config(root, tempDir()), cacheDir: undefined });
    seq.scan();
    const par = new Engine({ ...config(root, tempDir()), cacheDir: undefined, parseThreads: 1, smallFileBytes: 0 });
    await par.scanParallel();
    assert.ok(par.lastScan.byHelpers > 0);
    assert.deepEqual(report(par), report(seq));
    assert.deepEqual(par.health().byAgent, seq.health().byAgent);
  });

  it('helper threads: TAXIMETER_PARSE_THREADS, else one per core beyond the second, at most 2', () => {
    assert.equal(parseHelperCount({ TAXIMETER_PARSE_THREADS: '0' }, 8), 0);
    assert.equal(parseHelperCount({ TAXIMETER_PARSE_THREADS: '3' }, 2), 3);
    assert.equal(parseHelperCount({ TAXIMETER_PARSE_THREADS: '99' }, 2), 8);
    assert.deepEqual(
      [1, 2, 3, 4, 16].map((cores) => parseHelperCount({ TAXIMETER_PARSE_THREADS: 'many' }, cores)),
      [0, 0, 1, 2, 2],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 16].map((cores) => parseHelperCount({}, cores)),
      [0, 0, 1, 2, 2],
    );
  });

  it('every file is claimed exactly once, by the calling thread or a helper (random interleavings, 2 helpers)', () => {
    let seed = 11;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 500; round++) {
      const n = 1 + rnd(30);
      const jobs = Array.from({ length: n }, () => (rnd(5) === 0 ? null : ({} as ReadJob)));
      const flags = new Int32Array(newFlags(jobs));
      const helpers = [claimNext(flags, n), claimNext(flags, n)];
      const owner = new Array<string>(n).fill('');
      const done = [false, false];
      let front = 0;
      while (front < n || !done[0] || !done[1]) {
        const who = rnd(3);
        if (who === 2) {
          if (front >= n) continue;
          if (claimFront(flags, front)) owner[front] += 'front';
          front++;
        } else if (!done[who]) {
          const r = helpers[who]?.next();
          if (!r || r.done) done[who] = true;
          else owner[r.value] += `helper${who}`;
        }
      }
      for (let i = 0; i < n; i++) {
        if (jobs[i] === null) assert.equal(owner[i], 'front', `round ${round}: file ${i} is the caller's only`);
        else assert.ok(['front', 'helper0', 'helper1'].includes(owner[i] ?? ''), `round ${round}: file ${i} claimed by "${owner[i]}"`);
      }
      assert.equal(helperClaims(flags, n), owner.filter((o) => o.startsWith('helper')).length, `round ${round}: helper claims counted`);
    }
  });

  it('a batch goes to helpers as paths and numbers: each transcript job comes back with its cursor and budget, other jobs whole', () => {
    const file = (p: string, agent: ReadJob['agent']): ReadJob['file'] => ({ path: p, agent });
    const jobs: (ReadJob | null)[] = [
      { agent: 'claude-code', file: file('/a/one.jsonl', 'claude-code'), fileId: 1, cursor: emptyCursor(), state: {}, options: { keepPromptText: false } },
      null,
      { agent: 'codex', file: file('/c/rollout.jsonl', 'codex'), fileId: 2, cursor: { size: 10, mtimeMs: 5, ino: 7, offset: 3 }, state: { x: 1 }, options: { keepPromptText: true } },
      { agent: 'claude-code', file: { ...file('/a/two.jsonl', 'claude-code'), foundStat: { size: 4096, mtimeMs: 1795378273424.479, ino: 7 } }, fileId: 3, cursor: { size: 2 ** 40, mtimeMs: 1795378273424.479, ino: 2 ** 52 + 1, offset: 123456789 }, state: {}, options: { keepPromptText: false, budgetBytes: 65536 } },
    ];
    const sent = structuredClone(encodeJobs(jobs));
    assert.deepEqual(sent.transcripts, ['/a/one.jsonl', null, null, '/a/two.jsonl']);
    assert.deepEqual(transcriptJob(sent, 0), { cursor: emptyCursor(), budgetBytes: undefined, sizeHint: undefined });
    assert.deepEqual(transcriptJob(sent, 3), { cursor: { size: 2 ** 40, mtimeMs: 1795378273424.479, ino: 2 ** 52 + 1, offset: 123456789 }, budgetBytes: 65536, sizeHint: 4096 });
    assert.deepEqual(sent.whole, [[2, jobs[2]]]);
  });

  it('a helper thread passes on exactly the lines this thread would read, and they parse to the same result', async () => {
    const root = tempDir();
    for (const s of ['tools_resume', 'subagent_models', 'compact_manual']) copyTree(claudeFixture(s), root);
    const source = createClaudeCodeSource({ onlyDirs: [root] });
    const files = source.discover(source.roots(), []);
    assert.ok(files.length >= 5);
    const options = { keepPromptText: true };
    const jobs: ReadJob[] = files.map((file, i) => ({ agent: 'claude-code', file, fileId: i + 1, cursor: emptyCursor(), state: source.initialState(), options }));
    const pool = new ParsePool(helperPath, 1);
    try {
      assert.equal(pool.size, 1);
      const got = new Map<number, HelperRead>();
      await pool.run(0, jobs, newFlags(jobs), (index, read) => got.set(index, read));
      assert.equal(got.size, jobs.length, 'with nobody at the front, the helper reads every file');
      assert.ok(threadCpuMs() === undefined || pool.helperCpuMs > 0, 'the helper reports its CPU time');
      for (const [index, read] of got) {
        const j = jobs[index];
        assert.ok(j && 'lines' in read, 'transcripts come as lines');
        const lines: string[] = [];
        tailRaw(j.file.path, emptyCursor(), (b, s, e) => lines.push(b.toString('latin1', s, e)), { filter: claudeLineFilter, skipHead: claudeLineSkippable });
        const passed: string[] = [];
        replayLines(read.lines, { onBytes: (b, s, e) => passed.push(b.toString('latin1', s, e)) });
        assert.deepEqual(passed, lines, j.file.path);
        assert.deepEqual(source.parseCollected?.(j.file, j.fileId, read.lines, source.initialState(), options), source.read(j.file, j.fileId, emptyCursor(), source.initialState(), options), j.file.path);
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
