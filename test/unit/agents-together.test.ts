import * as assert from 'node:assert/strict';
import { createCalendar } from '../../src/core/calendar';
import { buildReport } from '../../src/core/report';
import { statusSummary } from '../../src/core/status';
import { agentIds } from '../../src/core/usage';
import { Engine } from '../../src/engine/engine';
import { runCli } from '../../src/cli/main';
import { renderStatus } from '../../src/vscode/status-text';
import { otherFixture, referenceCodexTotals, referenceGeminiTotals } from '../agent-references';
import { claudeFixture, copyTree, tempDir } from '../helpers';

const calendar = createCalendar('UTC');
const codexHome = otherFixture('codex', 'resume-3-turns');
const geminiHome = otherFixture('gemini', 'single-turn-tool-call', 'dot-gemini');
// Both fixtures were written on 2026-11-22 around 18:57 (Codex) and 18:59 (Gemini), UTC.
const now = Date.parse('2026-11-22T19:00:00Z');

function engine(): Engine {
  const e = new Engine({
    agents: ['codex', 'gemini'],
    codex: { onlyDirs: [codexHome] },
    gemini: { onlyDirs: [geminiHome] },
    idleMs: 300_000,
    priceOverrides: [],
    keepPromptText: true,
  });
  e.scan();
  return e;
}

const status = (e: Engine, agentsMode: 'current' | 'sum') =>
  statusSummary(e.meter, { now, idleMs: 300_000, calendar, workspaceFolders: [], agentsMode });

function message(summary: ReturnType<typeof statusSummary>) {
  return {
    type: 'status' as const,
    summary,
    scan: { phase: 'live' as const, indexLoaded: false, watching: 'events' as const, role: 'leader' as const },
    health: { ok: true, unreadableFiles: 0, malformed: 0, rejected: 0, problemCount: 0, detectedAgents: ['codex', 'gemini'] },
    meterVersion: 1,
  };
}

describe('several agents in one meter', () => {
  it('status bar, current: the agent that worked last (Gemini), named because two agents ran today', () => {
    const s = status(engine(), 'current');
    assert.equal(s.current?.agent, 'gemini');
    assert.equal(s.combined, undefined);
    assert.deepEqual(s.today.byAgent.map((a) => a.agent), ['codex', 'gemini']);
    const r = renderStatus(message(s));
    assert.match(r.text, /^\$\(pulse\) Gemini CLI \$/);
    assert.match(r.tooltip, /\| Codex CLI \| .* \|/);
  });

  it('status bar, sum: both sessions working now, added up', () => {
    const e = engine();
    const s = status(e, 'sum');
    const codex = [...referenceCodexTotals(codexHome).values()][0]!;
    const gemini = [...referenceGeminiTotals(geminiHome).values()][0]!;
    const all = (t: typeof codex) => t.input + t.output + t.cacheRead + t.cacheWrite;
    assert.ok(s.combined);
    assert.deepEqual(s.combined.agents.sort(), ['codex', 'gemini']);
    assert.equal(s.combined.totalTokens, all(codex) + all(gemini));
    const report = buildReport(e.meter, { range: { from: -Infinity, to: Infinity }, idleMs: 300_000, calendar });
    assert.ok(Math.abs(s.combined.costUSD - report.totals.costUSD.api) < 1e-9);
    assert.match(renderStatus(message(s)).tooltip, /2 sessions working/);
  });

  it('report --by agent breaks spend down by agent; --agent keeps one', async () => {
    const home = tempDir();
    copyTree(claudeFixture('errors'), `${home}/.claude`);
    const env = { HOME: home, CODEX_HOME: codexHome, GEMINI_CLI_HOME: tempDir() };
    copyTree(geminiHome, `${env.GEMINI_CLI_HOME}/.gemini`);
    let out = '';
    const io = { out: (t: string) => (out += t), err: () => undefined, env, now };
    assert.equal(await runCli(['report', '--json', '--no-cache', '--by', 'agent'], io), 0);
    const byAgent = JSON.parse(out);
    assert.deepEqual(byAgent.groups.map((g: { key: string }) => g.key), ['claude-code', 'codex', 'gemini']);
    const sum = byAgent.groups.reduce((n: number, g: { tokens: { total: number } }) => n + g.tokens.total, 0);
    assert.equal(sum, byAgent.totals.tokens.total);
    const codexTokens = [...referenceCodexTotals(codexHome).values()][0]!;
    assert.equal(byAgent.groups[1].tokens.input, codexTokens.input);
    out = '';
    assert.equal(await runCli(['report', '--json', '--no-cache', '--agent', 'codex'], io), 0);
    const only = JSON.parse(out);
    assert.deepEqual([...new Set(only.sessions.map((x: { agent: string }) => x.agent))], ['codex']);
  });

  it('a source that fails is logged and counted without hiding the others', () => {
    const e = new Engine({ agents: ['codex', 'gemini'], codex: { onlyDirs: [codexHome] }, gemini: { onlyDirs: [geminiHome] }, idleMs: 300_000, priceOverrides: [], keepPromptText: true });
    const sources = (e as unknown as { sources: { id: string; read: () => never }[] }).sources;
    sources.find((x) => x.id === 'codex')!.read = () => {
      throw new Error('a bug in a reader');
    };
    e.scan();
    const h = e.health();
    assert.equal(h.byAgent.codex?.unreadableFiles, 1);
    assert.match(h.problems.map((p) => p.message).join('\n'), /source failed: a bug in a reader/);
    const report = buildReport(e.meter, { range: { from: -Infinity, to: Infinity }, idleMs: 300_000, calendar });
    assert.deepEqual(report.sessions.map((x) => x.agent), ['gemini']);
  });

  it('every agent has a source, and a missing one is simply absent', () => {
    const e = new Engine({ home: tempDir(), env: {}, idleMs: 300_000, priceOverrides: [], keepPromptText: false });
    e.scan();
    const h = e.health();
    assert.deepEqual(Object.keys(h.byAgent).sort(), [...agentIds].sort());
    for (const a of agentIds) assert.equal(h.byAgent[a]?.detected, false, a);
    assert.equal(h.problemCount, 0);
  });
});
