import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../src/cli/main';
import { otherFixture } from '../agent-references';
import { claudeFixture, copyTree, lastCostStates, repoRoot, tempDir } from '../helpers';

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += t), env: { HOME: tempDir(), ...env }, now: Date.parse('2026-11-23T00:00:00Z') });
  return { code, out, err };
}

describe('taximeter CLI', () => {
  it('report --json follows the documented contract', async () => {
    const r = await cli(['report', '--json', '--no-cache', '--claude-dir', claudeFixture('subagent_models'), '--tz', 'UTC']);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out);
    assert.equal(doc.schemaVersion, 1);
    assert.equal(doc.sessions.length, 1);
    const s = doc.sessions[0];
    for (const k of ['agent', 'id', 'project', 'start', 'end', 'models', 'tokens', 'costUSD', 'time', 'unpriced']) assert.ok(k in s, k);
    for (const k of ['input', 'output', 'cacheWrite', 'cacheRead']) assert.equal(typeof s.tokens[k], 'number', k);
    assert.equal(typeof s.costUSD.api, 'number');
    for (const k of ['wallSeconds', 'activeSeconds', 'busySeconds']) assert.equal(typeof s.time[k], 'number', k);
    assert.deepEqual(s.unpriced, { tokens: 0, models: [] });
    assert.deepEqual(s.models, ['claude-haiku-5-5', 'claude-opus-4-5', 'claude-sonnet-4-5']);
    const cs = lastCostStates(claudeFixture('subagent_models')).get(s.id);
    assert.ok(Math.abs(s.costUSD.api - cs.totalCostUSD) < 1e-9);
    assert.deepEqual(doc.totals.tokens, s.tokens);
    assert.equal(doc.totals.sessions, 1);
  });

  it('report --json is one line when piped, indented on a terminal or with --pretty; the same document', async () => {
    const args = ['report', '--json', '--no-cache', '--claude-dir', claudeFixture('compact_manual'), '--tz', 'UTC'];
    const now = Date.parse('2026-11-23T00:00:00Z');
    const run = async (argv: string[], terminal: boolean): Promise<string> => {
      let out = '';
      assert.equal(await runCli(argv, { out: (t) => (out += t), err: () => undefined, env: { HOME: tempDir() }, now, terminal }), 0);
      return out;
    };
    const piped = await run(args, false);
    const onTerminal = await run(args, true);
    const pretty = await run([...args, '--pretty'], false);
    assert.equal(piped.trimEnd().split('\n').length, 1, 'one line');
    assert.ok(onTerminal.includes('\n  "schemaVersion": 1'), 'indented');
    assert.equal(pretty, onTerminal);
    assert.deepEqual(JSON.parse(piped), JSON.parse(onTerminal));
  });

  it('honours CLAUDE_CONFIG_DIR (comma-separated, every root merged) like the agent', async () => {
    const env = { CLAUDE_CONFIG_DIR: `${claudeFixture('errors')},${claudeFixture('compact_manual')},/nonexistent/root` };
    const r = await cli(['report', '--json', '--no-cache'], env);
    assert.equal(r.code, 0, r.err);
    const ids = JSON.parse(r.out).sessions.map((s: { id: string }) => s.id).sort();
    assert.deepEqual(ids, ['1ee66272-a6e0-48b5-b023-528267435be6', '1fadfc77-936f-4016-8c24-3f754c1f34ce', '7bdc368a-26a6-4383-ae24-2cc10ea0808a']);
  });

  it('groups by day, model and project; --since/--until clip', async () => {
    const dir = claudeFixture('tools_resume');
    const byModel = JSON.parse((await cli(['report', '--json', '--no-cache', '--claude-dir', dir, '--by', 'model'])).out);
    assert.deepEqual(byModel.groups.map((g: { key: string }) => g.key), ['claude-opus-5-5']);
    assert.equal(byModel.groups[0].tokens.total, byModel.totals.tokens.total);
    const byDay = JSON.parse((await cli(['report', '--json', '--no-cache', '--claude-dir', dir, '--by', 'day', '--tz', 'UTC'])).out);
    assert.deepEqual(byDay.groups.map((g: { key: string }) => g.key), ['2026-11-22']);
    const none = JSON.parse((await cli(['report', '--json', '--no-cache', '--claude-dir', dir, '--since', '2026-11-23'])).out);
    assert.equal(none.sessions.length, 0);
    assert.equal(none.totals.costUSD.api, 0);
  });

  it('prints a readable table and names unpriced models', async () => {
    const root = tempDir();
    copyTree(claudeFixture('subagent_models'), root);
    // Without its cost-state the haiku-5-5 subagent is unpriced: the total becomes a lower bound.
    const main = path.join(root, 'projects', '-home-user-proj', 'dd302fc7-64cf-4006-9cb8-87e693927b59.jsonl');
    fs.writeFileSync(main, fs.readFileSync(main, 'utf8').split('\n').filter((l) => !l.includes('"type":"cost-state"')).join('\n'));
    const r = await cli(['report', '--no-cache', '--claude-dir', root]);
    assert.equal(r.code, 0);
    assert.match(r.out, /total\s+≥\$0\.0\d/);
    assert.match(r.out, /Unpriced: .* claude-haiku-5-5/);
  });

  it('rejects bad arguments with a usage message and exit code 2', async () => {
    for (const args of [['report', '--by', 'week'], ['report', '--since', 'yesterday'], ['frobnicate'], ['report', '--agent', 'clippy']]) {
      const r = await cli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, /Usage: taximeter/);
    }
  });

  it('keeps an index: a second run reads nothing again and gives the same report', async () => {
    const cache = tempDir();
    const dir = claudeFixture('compact_manual');
    const a = await cli(['report', '--json', '--claude-dir', dir, '--cache-dir', cache]);
    const b = await cli(['report', '--json', '--claude-dir', dir], { TAXIMETER_CACHE_DIR: cache });
    assert.deepEqual(JSON.parse(b.out).sessions, JSON.parse(a.out).sessions);
    assert.ok(fs.readdirSync(cache).some((f) => f.startsWith('index-')));
  });
});

describe('taximeter CLI, bundled', () => {
  it('the bundled engine loads each agent\'s reader when it first meets its files, and reports as the unbundled one does', async function () {
    this.timeout(60_000);
    // The engine bundle as esbuild.js builds it (dist/cli-main.js), in a folder of its own.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as { build(o: object): Promise<unknown> };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { builds } = require(path.join(repoRoot, 'esbuild.js')) as { builds: { outfile?: string; plugins?: { name: string }[] }[] };
    const b = builds.find((x) => x.outfile === 'dist/cli-main.js');
    assert.ok(b);
    const out = tempDir();
    const file = path.join(out, 'cli-main.js');
    await esbuild.build({ ...b, absWorkingDir: repoRoot, outfile: file, sourcemap: false, logLevel: 'silent', plugins: (b.plugins ?? []).filter((p) => p.name === 'plain-node-builtins') });
    const code = fs.readFileSync(file, 'utf8');
    // Other agents' parsers and schemas start only when required (esbuild keeps them in init functions).
    for (const m of ['codex/parse', 'gemini/parse', 'cline/parse', 'opencode/parse', 'roo/parse', 'claude-code/connect-parse']) assert.match(code, new RegExp(`var init_\\w+ = __esm\\(\\{\\n  "src/sources/${m}\\.ts"`), `${m} is loaded lazily`);
    // Nor does loading the engine build any zod schema at its top level (the index's, the snapshot's,
    // Gemini's settings: built at first use): esbuild names zod's builders object, number2, ….
    const topLevelSchemas = code.match(/^var \w+ = (?:object|array|record|union|literal|_enum|number\d*|string\d*|boolean\d*|unknown\d*)\(.*$/gm) ?? [];
    assert.deepEqual(topLevelSchemas, [], 'zod schemas built when the engine loads');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bundled = require(file) as { runCli: typeof runCli };
    const home = tempDir();
    copyTree(otherFixture('gemini', 'single-turn-tool-call', 'dot-gemini'), path.join(home, '.gemini'));
    copyTree(otherFixture('handmade', 'cline-4.x-sdk', 'dot-cline'), path.join(home, '.cline'));
    const env = { HOME: home, CODEX_HOME: otherFixture('codex', 'resume-3-turns') };
    const run = async (f: typeof runCli) => {
      let text = '';
      assert.equal(await f(['report', '--json', '--no-cache', '--by', 'agent', '--tz', 'UTC'], { out: (t) => (text += t), err: () => undefined, env, now: Date.parse('2026-11-23T00:00:00Z') }), 0);
      const r = JSON.parse(text) as { generatedAt?: string; groups?: { key: string }[] };
      delete r.generatedAt;
      return r;
    };
    const expected = await run(runCli);
    assert.deepEqual(expected.groups?.map((g) => g.key), ['cline', 'codex', 'gemini'], 'three agents read');
    assert.deepEqual(await run(bundled.runCli), expected);
  });
});
