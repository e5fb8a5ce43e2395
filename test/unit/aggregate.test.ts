import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clipSession, everything, sessionViews, type Rollup } from '../../src/core/aggregate';
import { createCalendar } from '../../src/core/calendar';
import { buildReport } from '../../src/core/report';
import type { AgentId } from '../../src/core/usage';
import { Engine, type EngineConfig } from '../../src/engine/engine';
import { otherFixture } from '../agent-references';
import { claudeFixture, fixturesDir } from '../helpers';

const idleMs = 300_000;

/** One engine per fixture, each agent on its real (or, for Cline and Roo Code, hand-made) files. */
function engines(): { name: string; engine: Engine }[] {
  const runs: { name: string; agent: AgentId; roots: string[] }[] = [
    ...fs.readdirSync(path.join(fixturesDir, 'claude-code'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => ({ name: d.name, agent: 'claude-code' as const, roots: [claudeFixture(d.name)] })),
    ...['auto-compaction', 'otel-single-turn', 'resume-3-turns'].map((n) => ({ name: `codex ${n}`, agent: 'codex' as const, roots: [otherFixture('codex', n)] })),
    { name: 'gemini compression', agent: 'gemini', roots: [otherFixture('gemini', 'resume-and-auto-compression', 'dot-gemini')] },
    { name: 'gemini single turn', agent: 'gemini', roots: [otherFixture('gemini', 'single-turn-tool-call', 'dot-gemini')] },
    { name: 'cline', agent: 'cline', roots: [otherFixture('handmade', 'cline-classic-3.x', 'globalStorage', 'saoudrizwan.claude-dev'), otherFixture('handmade', 'cline-4.x-sdk', 'dot-cline', 'data', 'sessions')] },
    { name: 'roo', agent: 'roo', roots: [otherFixture('handmade', 'roo-code-3.5x', 'globalStorage', 'rooveterinaryinc.roo-cline')] },
  ];
  return runs.map(({ name, agent, roots }) => {
    const options: EngineConfig = { agents: [agent], idleMs, priceOverrides: [], keepPromptText: false };
    const key = agent === 'claude-code' ? 'claude' : agent;
    const engine = new Engine({ ...options, [key]: { onlyDirs: roots } });
    engine.scan();
    return { name, engine };
  });
}

describe('rollups of whole sessions', () => {
  it("over an unbounded range, a session's rollup comes from its view's totals and equals the item-by-item rollup on every fixture", () => {
    // A finite range that still holds everything takes the item-by-item path (and recomputes the times).
    const huge = { from: -Number.MAX_VALUE, to: Number.MAX_VALUE };
    let sessions = 0;
    const provenances = new Set<string>();
    for (const { name, engine } of engines()) {
      for (const v of sessionViews(engine.meter, everything, { idleMs })) {
        const fast: Rollup = clipSession(engine.meter, v, everything, idleMs);
        const slow: Rollup = clipSession(engine.meter, v, huge, idleMs);
        assert.deepStrictEqual(fast, slow, `${name}: session ${v.id}`);
        for (const m of fast.byModel) provenances.add(m.provenance);
        sessions++;
        // The rollup is the caller's own: changing it leaves the (cached) view alone.
        const before = JSON.stringify(v);
        fast.tokens.input += 1;
        fast.cost.api += 1;
        const line = fast.byModel[0];
        if (line) line.tokens.output += 1;
        fast.unpriced.models.push('x');
        assert.equal(JSON.stringify(v), before, `${name}: session ${v.id}`);
      }
    }
    assert.ok(sessions >= 15, `sessions: ${sessions}`);
    // The fixtures hold the provenances a rollup tells apart, including a model whose items differ
    // (a Claude Code 1.0.x compaction estimated beside computed requests).
    for (const p of ['computed', 'client-reported', 'mixed']) assert.ok(provenances.has(p), `provenances: ${[...provenances].join(', ')}`);
  });

  it('a report over an unbounded range (its shortcuts: rollups and dead weight taken whole) equals one over a finite range that holds everything', () => {
    const calendar = createCalendar('UTC');
    let events = 0;
    for (const { name, engine } of engines()) {
      const report = (range: { from: number; to: number }) => {
        const r = buildReport(engine.meter, { range, idleMs, calendar, now: 0 });
        return { ...r, range: undefined };
      };
      const whole = report(everything);
      // The widest range a date can print (±8.64e15 ms).
      assert.deepStrictEqual(whole, report({ from: -8.64e15, to: 8.64e15 }), name);
      events += whole.totals.deadWeight.events.length;
    }
    assert.ok(events >= 10, `dead-weight events: ${events}`);
  });
});
