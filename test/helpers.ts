/** Shared test helpers: fixture paths, an independent reference reader, temp folders. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Repository root (tests run from out/test/...). */
export const repoRoot = path.resolve(__dirname, '..', '..');
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');

/** The Claude Code fixture scenarios (2.x and 1.0.128). */
export const claudeScenarios = ['tools_resume', 'subagent_models', 'compact_manual', 'errors', 'otel', 'tools_resume-cc1.0.128', 'compact_manual-cc1.0.128', 'errors-cc1.0.128'];

export function claudeFixture(scenario: string): string {
  return path.join(fixturesDir, 'claude-code', scenario);
}

/** A seeded pseudo-random number generator in [0, 1): fuzz tests repeat exactly. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 2246822519) + 3266489917) >>> 0;
    s ^= s >>> 13;
    return (s >>> 0) / 2 ** 32;
  };
}

export function tempDir(prefix = 'taximeter-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function listJsonl(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.jsonl')) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

export interface RefTokens {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

/**
 * An independent implementation of the documented dedupe rule (formats/claude-code.md §5), written
 * plainly for tests: assistant lines, not <synthetic>, one count per message.id across all files,
 * attributed to requestSessionId ?? sessionId, earliest timestamp winning.
 */
export function referenceClaudeTotals(root: string): Map<string, RefTokens & { models: Set<string> }> {
  const seen = new Map<string, { ts: number; session: string; u: RefTokens; model: string }>();
  for (const file of listJsonl(path.join(root, 'projects'))) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let o: any;
      try {
        o = JSON.parse(line);
      } catch {
        continue;
      }
      if (o.type !== 'assistant' || !o.message?.usage || o.message.model === '<synthetic>') continue;
      const u = o.message.usage;
      const rec = {
        ts: Date.parse(o.timestamp),
        session: o.requestSessionId ?? o.sessionId,
        model: o.message.model,
        u: {
          input: u.input_tokens,
          output: u.output_tokens,
          cacheWrite: u.cache_creation_input_tokens ?? 0,
          cacheRead: u.cache_read_input_tokens ?? 0,
        },
      };
      const prev = seen.get(o.message.id);
      if (!prev || rec.ts < prev.ts) seen.set(o.message.id, rec);
    }
  }
  const out = new Map<string, RefTokens & { models: Set<string> }>();
  for (const r of seen.values()) {
    let t = out.get(r.session);
    if (!t) out.set(r.session, (t = { input: 0, output: 0, cacheWrite: 0, cacheRead: 0, models: new Set() }));
    t.input += r.u.input;
    t.output += r.u.output;
    t.cacheWrite += r.u.cacheWrite;
    t.cacheRead += r.u.cacheRead;
    t.models.add(r.model);
  }
  return out;
}

/** The last cost-state record of each session, read plainly. */
export function lastCostStates(root: string): Map<string, any> {
  const out = new Map<string, any>();
  for (const file of listJsonl(path.join(root, 'projects'))) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('"cost-state"')) continue;
      const o = JSON.parse(line);
      if (o.type === 'cost-state') out.set(o.sessionId, o);
    }
  }
  return out;
}

/** Copy a fixture tree somewhere writable. */
/**
 * Copy a fixture tree. Transcripts are created one after another in the order the client wrote
 * them (by their first timestamp), each with a later birth time than the one before: Taximeter
 * reads originals before their forks by birth time, and a plain recursive copy would create them
 * in directory order, within one tick of the file system's clock or not, so results that depend on
 * the order (turns, time) would vary from run to run.
 */
export function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, filter: (src) => fs.statSync(src).isDirectory() || !src.endsWith('.jsonl') });
  const firstTs = (file: string): number => {
    const head = fs.readFileSync(file, 'utf8').slice(0, 64 * 1024);
    const m = /"timestamp":"([^"]+)"/.exec(head);
    return m?.[1] ? Date.parse(m[1]) : Infinity;
  };
  const files = listJsonl(from)
    .map((file) => ({ file, ts: firstTs(file) }))
    .sort((a, b) => a.ts - b.ts || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  let lastBirth = -Infinity;
  for (const { file } of files) {
    // The file system's clock is coarse (a few ms): wait until it is past the previous birth.
    while (Date.now() < lastBirth + 5) {
      // spin (a few milliseconds at most)
    }
    const target = path.join(to, path.relative(from, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file, target);
    lastBirth = fs.statSync(target).birthtimeMs;
  }
}

/** Every line of the Claude Code fixture scenarios, with the scenario it comes from. */
export function fixtureLines(): { scenario: string; line: string }[] {
  return claudeScenarios.flatMap((scenario) =>
    listJsonl(claudeFixture(scenario)).flatMap((file) =>
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => ({ scenario, line })),
    ),
  );
}
