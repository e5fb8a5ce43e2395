import * as assert from 'node:assert/strict';
import { everything, totalRollup, sessionViews } from '../../src/core/aggregate';
import { HashMap53, HashSet53, hash53 } from '../../src/core/hash';
import { Meter } from '../../src/core/meter';
import { PriceBook } from '../../src/core/pricing';
import { timeFigures, timelineEntry, viewSession } from '../../src/core/session-view';
import type { MeterEvent, TokenCounts, UsageEvent } from '../../src/core/usage';
import { rng } from '../helpers';

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

describe('HashSet53 and HashMap53 (the meter\'s line hashes and responses)', () => {
  it('answers as a Set<number> does, through growth and colliding keys, and lists keys in the order they were added', () => {
    const r = rng(53);
    const ours = new HashSet53();
    const spec = new Set<number>();
    const keys: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Hashes of ids, keys that differ only above bit 32 (same slot: they must probe), small and extreme ones; repeats.
      const k = i % 5 === 0 ? hash53(`id-${i}`) : i % 5 === 1 ? (Math.floor(r() * 2 ** 21) * 2 ** 32 + 12345) : i % 5 === 2 ? Math.floor(r() * 64) : i % 5 === 3 ? Number.MAX_SAFE_INTEGER - Math.floor(r() * 3) : (keys[Math.floor(r() * keys.length)] ?? 0);
      keys.push(k);
      assert.equal(ours.has(k), spec.has(k), `has ${k} before`);
      assert.equal(ours.add(k), !spec.has(k), `add ${k}`);
      spec.add(k);
      assert.equal(ours.size, spec.size);
    }
    for (let i = 0; i < 5_000; i++) {
      const k = Math.floor(r() * 2 ** 53);
      assert.equal(ours.has(k), spec.has(k), `has ${k}`);
    }
    assert.deepEqual(ours.values(), [...spec]);
  });

  it('a HashMap53 answers as a Map<number, V> does (no deletion), values in the order their keys were first set', () => {
    const r = rng(7);
    const ours = new HashMap53<string>();
    const spec = new Map<number, string>();
    for (let i = 0; i < 20_000; i++) {
      const k = i % 3 === 0 ? hash53(`m-${i % 4000}`, 7) : i % 3 === 1 ? Math.floor(r() * 2 ** 21) * 2 ** 32 : Math.floor(r() * 3000);
      assert.equal(ours.get(k), spec.get(k), `get ${k}`);
      assert.equal(ours.has(k), spec.has(k), `has ${k}`);
      ours.set(k, `v${i}`);
      spec.set(k, `v${i}`);
      assert.equal(ours.size, spec.size);
    }
    assert.deepEqual(ours.values(), [...spec.values()]);
    assert.throws(() => ours.set(-2, 'x'), RangeError);
  });

  it('refuses what no hash53 gives (the index is checked before it is restored)', () => {
    const s = new HashSet53();
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53]) assert.throws(() => s.add(bad), RangeError, String(bad));
    assert.equal(s.size, 0);
  });
});
