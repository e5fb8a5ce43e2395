import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { calcPrice } from '@pydantic/genai-prices';
import { createCalendar } from '../../src/core/calendar';
import { clearedPredecessor, deadWeightOf, predecessorWays } from '../../src/core/dead-weight';
import { Meter, sessionKey, type SessionState } from '../../src/core/meter';
import { PriceBook } from '../../src/core/pricing';
import { buildReport, type ReportSession } from '../../src/core/report';
import { viewSession } from '../../src/core/session-view';
import type { MeterEvent, TokenCounts } from '../../src/core/usage';
import { Engine } from '../../src/engine/engine';
import { claudeFixture, listJsonl } from '../helpers';

const close = (a: number, b: number, eps = 1e-9): void => assert.ok(Math.abs(a - b) <= eps, `${a} ≉ ${b}`);

function sessionsOf(scenario: string): Map<string, ReportSession> {
  const e = new Engine({ agents: ['claude-code'], claude: { onlyDirs: [claudeFixture(scenario)] }, idleMs: 300_000, priceOverrides: [], keepPromptText: true });
  e.scan();
  const r = buildReport(e.meter, { range: { from: -Infinity, to: Infinity }, idleMs: 300_000, calendar: createCalendar('UTC') });
  return new Map(r.sessions.map((s) => [s.id, s]));
}

/** Raw records of a fixture, in file order, read plainly. */
function records(scenario: string): any[] {
  return listJsonl(path.join(claudeFixture(scenario), 'projects')).flatMap((f) =>
    fs
      .readFileSync(f, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  );
}

/** Anthropic list price of a usage through the library directly (whole prompt as input_tokens). */
function listPrice(model: string, t: { input: number; output: number; write: number; read: number }): number {
  return calcPrice({ input_tokens: t.input + t.write + t.read, output_tokens: t.output, cache_write_tokens: t.write, cache_read_tokens: t.read }, model, { providerId: 'anthropic', timestamp: new Date('2026-11-22') })!.total_price;
}

describe('dead weight on the real fixtures', () => {
  it('compact_manual (2.x): the summary call is the cost-state delta around the boundary, premature at 11% of the window', () => {
    const recs = records('compact_manual');
    const i = recs.findIndex((r) => r.subtype === 'compact_boundary');
    const before = [...recs.slice(0, i)].reverse().find((r) => r.type === 'cost-state');
    const after = recs.slice(i).find((r) => r.type === 'cost-state');
    const meta = recs[i].compactMetadata;
    const m = 'claude-sonnet-4-5';
    const call = {
      input: after.modelUsage[m].inputTokens - before.modelUsage[m].inputTokens,
      output: after.modelUsage[m].outputTokens - before.modelUsage[m].outputTokens,
      write: after.modelUsage[m].cacheCreationInputTokens - before.modelUsage[m].cacheCreationInputTokens,
      read: after.modelUsage[m].cacheReadInputTokens - before.modelUsage[m].cacheReadInputTokens,
    };
    const s = sessionsOf('compact_manual').get('1fadfc77-936f-4016-8c24-3f754c1f34ce')!;
    const events = s.deadWeight.events;
    assert.deepEqual(events.map((e) => e.kind), ['premature-compaction']);
    const e = events[0]!;
    assert.equal(e.trigger, 'manual');
    assert.equal(e.tokens, call.input + call.output + call.write + call.read);
    close(e.costUSD!, listPrice(m, call));
    close(e.costUSD!, after.totalCostUSD - before.totalCostUSD); // the client's own figure agrees
    assert.equal(e.seconds, meta.durationMs / 1000);
    assert.equal(e.estimated, false);
    close(s.deadWeight.costUSD, e.costUSD!);
    close(s.deadWeight.share, e.costUSD! / s.costUSD.api, 1e-6);
    assert.equal(s.deadWeight.compactions, 1);
    assert.match(e.detail, /11% of the 200,000-token window/);
  });

  it('compact_manual-cc1.0.128: no cost-state, so the call is estimated from preTokens and the summary length', () => {
    const recs = records('compact_manual-cc1.0.128');
    const i = recs.findIndex((r) => r.subtype === 'compact_boundary');
    const pre = recs[i].compactMetadata.preTokens;
    const summary = recs.find((r) => r.isCompactSummary).message.content;
    const summaryChars = typeof summary === 'string' ? summary.length : summary.reduce((n: number, b: any) => n + (b.text?.length ?? 0), 0);
    const prev = [...recs.slice(0, i)].reverse().find((r) => r.type === 'assistant' && r.message.model !== '<synthetic>').message.usage;
    const prompt = prev.input_tokens + prev.cache_creation_input_tokens + prev.cache_read_input_tokens;
    const input = Math.round((pre * prev.input_tokens) / prompt);
    const write = Math.round((pre * prev.cache_creation_input_tokens) / prompt);
    const expected = { input, write, read: pre - input - write, output: Math.ceil(summaryChars / 4) };
    const s = sessionsOf('compact_manual-cc1.0.128').get('11198418-2fc0-42a2-8d7b-7696ae170d08')!;
    const e = s.deadWeight.events.find((x) => x.kind.endsWith('compaction'))!;
    assert.ok(e, 'compaction found');
    assert.equal(e.estimated, true);
    assert.equal(e.tokens, expected.input + expected.write + expected.read + expected.output);
    close(e.costUSD!, listPrice('claude-sonnet-4-5', expected));
    assert.ok(s.costUSD.estimated > 0, 'the estimate is part of the session cost, labelled');
    close(s.costUSD.estimated, e.costUSD!);
    // No duration recorded: the time lost is the gap from the session's last event before the
    // boundary (in time: here the /compact command, written after it in the file, 1 ms earlier).
    assert.match(e.provenance, /time estimated from the previous event/);
    const boundary = Date.parse(recs[i].timestamp);
    const before = recs.map((r) => Date.parse(r.timestamp)).filter((t) => t < boundary);
    assert.equal(e.seconds, (boundary - Math.max(...before)) / 1000);
  });

  it('tools_resume: the /clear session is linked to the session it was cleared from', () => {
    const s = sessionsOf('tools_resume');
    const cleared = s.get('fd1a2540-aa24-46a3-a60d-1838d1ccbee3')!;
    const clear = cleared.deadWeight.events.find((e) => e.kind === 'clear');
    assert.ok(clear);
    assert.match(clear.provenance, /continues session 3262d0b4 \(its \/clear record\)/);
    // Forgotten context: the old session's last prompt size, read plainly.
    const old = records('tools_resume').filter((r) => r.type === 'assistant' && r.sessionId === '3262d0b4-802a-4512-a3b4-cd88a7c9661b' && !r.requestSessionId).pop().message.usage;
    assert.equal(clear.tokens, old.input_tokens + old.cache_creation_input_tokens + old.cache_read_input_tokens);
    assert.equal(cleared.deadWeight.costUSD, 0, 'the fake server writes ~10% of each prompt: no rebuild');
  });

  it('a session with no compaction and no reset reports zero dead weight', () => {
    for (const [scenario, id] of [
      ['subagent_models', 'dd302fc7-64cf-4006-9cb8-87e693927b59'],
      ['errors', '1ee66272-a6e0-48b5-b023-528267435be6'],
      ['tools_resume', '3262d0b4-802a-4512-a3b4-cd88a7c9661b'],
    ] as const) {
      const s = sessionsOf(scenario).get(id)!;
      assert.deepEqual(s.deadWeight.events, [], `${scenario}`);
      assert.equal(s.deadWeight.costUSD, 0);
    }
  });
});

describe('dead weight rules', () => {
  const t0 = Date.parse('2026-11-22T10:00:00Z');
  const tok = (input: number, write: number, read: number): TokenCounts => ({ input, output: 100, cacheWrite5m: write, cacheWrite1h: 0, cacheRead: read });
  const u = (id: string, ts: number, t: TokenCounts): MeterEvent => ({ kind: 'usage', agent: 'claude-code', sessionId: 's', timestamp: ts, fileId: 1, model: 'claude-sonnet-4-5', dedupeKey: id, tokens: t, sidechain: false, provider: 'anthropic', uid: id });

  it('prices a cache rebuild after an idle gap longer than the TTL, and not a warm request', () => {
    const m = new Meter(new PriceBook());
    m.ingest([u('a', t0, tok(10, 1000, 50_000)), u('b', t0 + 60_000, tok(10, 1000, 51_000)), u('c', t0 + 20 * 60_000, tok(10, 52_000, 0))]);
    const v = viewSession(m.sessions.get('claude-code:s')!, m.getPriceBook(), 300_000);
    const d = deadWeightOf(m, v, { prematureShare: 0.5 });
    assert.deepEqual(d.events.map((e) => e.kind), ['cache-rebuild']);
    close(d.events[0]!.costUSD!, (52_000 * (3.75 - 0.3)) / 1e6);
    assert.match(d.events[0]!.detail, /19 min idle/);
  });

  it('flags three compactions within ten minutes as a loop', () => {
    const m = new Meter(new PriceBook());
    const c = (n: number, ts: number): MeterEvent => ({ kind: 'compaction', agent: 'claude-code', sessionId: 's', timestamp: ts, fileId: 1, trigger: 'auto', preTokens: 190_000, postTokens: 5000, uid: `c${n}` });
    m.ingest([u('a', t0, tok(10, 1000, 150_000)), c(1, t0 + 60_000), c(2, t0 + 4 * 60_000), c(3, t0 + 8 * 60_000), c(4, t0 + 40 * 60_000)]);
    const v = viewSession(m.sessions.get('claude-code:s')!, m.getPriceBook(), 300_000);
    const d = deadWeightOf(m, v, { prematureShare: 0.5 });
    assert.equal(d.events.filter((e) => e.kind === 'compaction-loop').length, 1);
    assert.equal(d.compactions, 4);
    assert.ok(d.events.filter((e) => e.kind === 'compaction').every((e) => e.windowShare! > 0.9), 'not premature at 95%');
  });
});

describe('the session a /clear continued from', () => {
  /** The definition, read plainly: every session looked at (what the indexed lookup must equal). */
  function reference(meter: Meter, s: SessionState): SessionState | undefined {
    if (!s.startedWithClear) return undefined;
    const named = s.connect?.clearedFrom;
    if (named !== undefined && meter.sessions.get(sessionKey(s.agent, named))) return meter.sessions.get(sessionKey(s.agent, named));
    let best: SessionState | undefined;
    for (const o of meter.sessions.values()) {
      if (o === s || o.agent !== s.agent) continue;
      if (o.clearedAt !== undefined && o.clearedAt <= s.firstTs + 1000 && s.firstTs - o.clearedAt < 600_000 && (!best || o.clearedAt > (best.clearedAt ?? 0))) best = o;
    }
    if (best) return best;
    for (const o of meter.sessions.values()) {
      if (o === s || o.agent !== s.agent || o.project !== s.project || !(o.lastTs <= s.firstTs)) continue;
      if (!best || o.lastTs > best.lastTs) best = o;
    }
    return best;
  }

  it('equals the plain definition on 300 random histories, also after more events arrive (one pass and indexed)', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    let compared = 0;
    let found = 0;
    for (let round = 0; round < 300; round++) {
      const meter = new Meter(new PriceBook());
      const batch = (): MeterEvent[] => {
        const events: MeterEvent[] = [];
        for (let i = 0; i < 1 + rnd(25); i++) {
          const sessionId = `s${rnd(12)}`;
          // Coarse times: many sessions end at the same moment (ties decide by the meter's order).
          const timestamp = 1_700_000_000_000 + rnd(20) * 60_000;
          const agent = rnd(5) === 0 ? ('codex' as const) : ('claude-code' as const);
          const base = { agent, fileId: 1, sessionId, timestamp, project: rnd(4) === 0 ? undefined : `/p${rnd(3)}` };
          const k = rnd(10);
          if (k === 0) events.push({ ...base, kind: 'session-mark', mark: 'clear', uid: `u${round}-${events.length}-${rnd(1e6)}` });
          else if (k === 1) events.push({ ...base, kind: 'session-mark', mark: 'end-clear', uid: `u${round}-${events.length}-${rnd(1e6)}` });
          else events.push({ ...base, kind: 'activity' });
        }
        return events;
      };
      for (let step = 0; step < 3; step++) {
        meter.ingest(batch());
        for (const s of meter.sessions.values()) {
          const want = reference(meter, s);
          assert.equal(clearedPredecessor(meter, s)?.key, want?.key, `round ${round} step ${step}: ${s.key}`);
          // Both ways the lookup takes (one pass for the first questions of a meter version, the index after).
          assert.equal(predecessorWays.indexed(meter, s)?.key, want?.key, `indexed, round ${round} step ${step}: ${s.key}`);
          if (s.startedWithClear && s.connect?.clearedFrom === undefined) assert.equal(predecessorWays.scan(meter, s)?.key, want?.key, `scan, round ${round} step ${step}: ${s.key}`);
          compared++;
          if (want) found++;
        }
      }
    }
    assert.ok(compared > 3000 && found > 300, `${compared} compared, ${found} with a predecessor`);
  });

  it('of /clears at the same moment, the one first in the meter continues; a later or too early one does not (one pass and indexed)', () => {
    const t = 1_700_000_000_000;
    const meter = new Meter(new PriceBook());
    const events: MeterEvent[] = [];
    const mark = (sessionId: string, mark: 'clear' | 'end-clear', timestamp: number): void => {
      events.push({ agent: 'claude-code', fileId: 1, sessionId, timestamp: timestamp - 1, project: '/p', kind: 'activity' });
      events.push({ agent: 'claude-code', fileId: 1, sessionId, timestamp, project: '/p', kind: 'session-mark', mark, uid: `${sessionId}:${mark}:${timestamp}` });
    };
    // Many /clears long before (none of them counts), then three at the same moment, then one too late.
    for (let i = 0; i < 40; i++) mark(`old${i}`, 'end-clear', t - 3_600_000 + i * 1000);
    mark('c', 'end-clear', t);
    mark('a', 'end-clear', t);
    mark('b', 'end-clear', t);
    mark('late', 'end-clear', t + 5000);
    mark('next', 'clear', t + 500);
    meter.ingest(events);
    const s = meter.sessions.get(sessionKey('claude-code', 'next'));
    assert.ok(s);
    assert.equal(predecessorWays.scan(meter, s)?.id, 'c');
    assert.equal(predecessorWays.indexed(meter, s)?.id, 'c');
  });
});
