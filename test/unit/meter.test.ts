import * as assert from 'node:assert/strict';
import { everything, totalRollup, sessionViews } from '../../src/core/aggregate';
import { Meter } from '../../src/core/meter';
import { PriceBook } from '../../src/core/pricing';
import { timeFigures, timelineEntry, viewSession } from '../../src/core/session-view';
import type { MeterEvent, TokenCounts, UsageEvent } from '../../src/core/usage';

const t0 = Date.parse('2026-11-22T10:00:00Z');
const tok = (input: number, output = 0): TokenCounts => ({ input, output, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 });
function usage(id: string, session: string, ts: number, model = 'claude-sonnet-4-5', extra: Partial<UsageEvent> = {}): UsageEvent {
  return { kind: 'usage', agent: 'claude-code', sessionId: session, timestamp: ts, fileId: 1, model, dedupeKey: id, tokens: tok(1000, 100), sidechain: false, provider: 'anthropic', uid: `${id}-${ts}`, ...extra };
}

describe('Meter', () => {
  it('counts a response once however often and in whatever order its lines arrive', () => {
    const events: MeterEvent[] = [usage('m1', 's1', t0), usage('m1', 's1', t0 + 5), usage('m2', 's1', t0 + 10)];
    const a = new Meter(new PriceBook());
    a.ingest(events);
    a.ingest(events); // re-read
    const b = new Meter(new PriceBook());
    b.ingest([...events].reverse());
    for (const m of [a, b]) {
      const v = viewSession(m.sessions.get('claude-code:s1')!, m.getPriceBook(), 300_000);
      assert.equal(v.requests, 2);
      assert.equal(v.tokens.input, 2000);
    }
  });

  it('gives a response seen under two sessions to the earliest occurrence, in any order', () => {
    const original = usage('m1', 'orig', t0);
    const copy = usage('m1', 'fork', t0 + 60_000, undefined, { uid: 'copy' });
    for (const order of [[original, copy], [copy, original]]) {
      const m = new Meter(new PriceBook());
      for (const e of order) m.ingest([e]);
      assert.equal(m.sessions.get('claude-code:orig')?.requests.length, 1);
      assert.equal(m.sessions.get('claude-code:fork')?.requests.length ?? 0, 0);
    }
  });

  it('shows an unknown model as unpriced: tokens counted, cost a lower bound, never $0', () => {
    const m = new Meter(new PriceBook());
    m.ingest([usage('a', 's', t0), usage('b', 's', t0 + 1, 'mystery-model-9')]);
    const v = viewSession(m.sessions.get('claude-code:s')!, m.getPriceBook(), 300_000);
    assert.equal(v.cost.lowerBound, true);
    assert.deepEqual(v.unpriced.models, ['mystery-model-9']);
    assert.equal(v.unpriced.tokens, 1100);
    assert.equal(v.tokens.input, 2000);
    const line = v.byModel.find((l) => l.model === 'mystery-model-9');
    assert.equal(line?.usd, null);
    assert.equal(line?.provenance, 'unpriced');
    const total = totalRollup(m, sessionViews(m, everything, { idleMs: 300_000 }), everything, 300_000);
    assert.equal(total.cost.lowerBound, true);
    assert.ok(total.cost.api > 0);
  });

  it('reprices everything when overrides change', () => {
    const m = new Meter(new PriceBook());
    m.ingest([usage('a', 's', t0, 'mystery-model-9')]);
    m.setPriceBook(new PriceBook([{ model: 'mystery-*', input: 1, output: 10 }]));
    const v = viewSession(m.sessions.get('claude-code:s')!, m.getPriceBook(), 300_000);
    assert.equal(v.cost.lowerBound, false);
    assert.ok(Math.abs(v.cost.api - (1000 * 1 + 100 * 10) / 1e6) < 1e-12);
  });
});

describe('timeFigures', () => {
  const P = 0;
  const A = 1;
  it('busy runs from each prompt to the agent’s last event before the next prompt', () => {
    const m = 60_000;
    // prompt at 0, work until 3m; user away 20m; prompt at 23m, work until 25m
    const times = [0, 1 * m, 3 * m, 23 * m, 24 * m, 25 * m];
    const kinds = [P, A, A, P, A, A];
    const t = timeFigures(times.map((ts, i) => timelineEntry(ts, kinds[i]!)), 5 * m);
    assert.equal(t.wallMs, 25 * m);
    assert.equal(t.busyMs, 5 * m);
    assert.equal(t.activeMs, 5 * m); // the 20-minute gap is idle
    assert.equal(t.idleMs, 20 * m);
  });
  it('clips to a range', () => {
    const m = 60_000;
    const t = timeFigures([timelineEntry(0, P), timelineEntry(m, A), timelineEntry(2 * m, A), timelineEntry(3 * m, A)], 5 * m, m, 10 * m);
    assert.equal(t.wallMs, 2 * m);
    assert.equal(t.busyMs, 2 * m);
  });
});

describe('Meter upserts', () => {
  it('replaces a response the agent rewrote in place instead of dropping or adding it', () => {
    const m = new Meter(new PriceBook());
    m.ingest([usage('g1', 's', t0, undefined, { upsert: true, tokens: tok(10, 0), uid: 'a' })]);
    m.ingest([usage('g1', 's', t0 + 5, undefined, { upsert: true, tokens: tok(1000, 100), uid: 'b' })]);
    const v = viewSession(m.sessions.get('claude-code:s')!, m.getPriceBook(), 300_000);
    assert.equal(v.requests, 1);
    assert.equal(v.tokens.input, 1000);
    assert.equal(v.tokens.output, 100);
  });
});
