/**
 * The meter as plain data, for the persisted index. Compact (arrays, interned model names) and
 * versioned; prices are NOT stored: they are recomputed on restore from the current price book.
 */
import * as z from 'zod';
import { lazy } from './lazy';
import { Meter, type RequestRecord } from './meter';
import type { PriceBook } from './pricing';
import { agentIds, type AgentId, type CompactionEvent, type TokenCounts } from './usage';

export const snapshotVersion = 1;

type T5 = [number, number, number, number, number];

/** Connect facts (hooks, status line, telemetry); optional, so older indexes still load. Built at first use (see lazy.ts). */
const connectFactsSchema = lazy(() => {
  const num = z.number();
  const rateWindowSchema = z.object({ usedPercent: num, resetsAt: num.optional() });
  return z.object({
    clearedFrom: z.string().optional(),
    resumes: z.array(num),
    forkedAt: num.optional(),
    compactWindows: z.array(z.object({ start: num, end: num.optional(), trigger: z.string() })),
    auxCalls: z.array(
      z.object({ ts: num, model: z.string(), tokens: z.object({ input: num, output: num, cacheWrite5m: num, cacheWrite1h: num, cacheRead: num }), clientCostUSD: num.optional(), requestId: z.string(), querySource: z.string(), durationMs: num.optional() }),
    ),
    status: z
      .object({
        ts: num,
        rateLimits: z.object({ fiveHour: rateWindowSchema.optional(), sevenDay: rateWindowSchema.optional() }).optional(),
        promptCache: z
          .object({ requests: num, misses: num, hitRatio: num.optional(), missRecacheTokens: num, expectedRebuilds: num.optional(), cacheWriteTokens: num.optional(), ttl: z.string().optional() })
          .optional(),
        costUSD: num.optional(),
      })
      .optional(),
  });
});

/** The snapshot's shape (checked by `checkSnapshot`, which is much faster than a schema on 100k tuples). */
export interface MeterSnapshot {
  v: typeof snapshotVersion;
  models: string[];
  providers: string[];
  sessions: {
    a: AgentId;
    id: string;
    p?: string;
    b?: string;
    clear?: boolean;
    cleared?: number;
    /** requests: [key, ts, modelIdx, tokens, sidechain(0|1), providerIdx(-1 = none), agentCostUSD?] */
    r: ([number, number, number, T5, number, number] | [number, number, number, T5, number, number, number])[];
    /** timeline, delta-encoded times, and kinds */
    t: number[];
    k: number[];
    pr: [number, string, string | null | undefined, string | null | undefined][];
    c: Record<string, unknown>[];
    cs: [number, number, number, number, Record<string, [number, number, number, number, number, number]>][];
    cp: [number, number, number, T5][];
    /** Connect facts (hooks, status line, telemetry), when any. */
    x?: z.infer<ReturnType<typeof connectFactsSchema>>;
  }[];
  lines: number[];
}

class SnapshotError extends Error {}

function fail(where: string): never {
  throw new SnapshotError(`snapshot: invalid ${where}`);
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
/** A `hash53` value. */
const isHash = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

function checkNums(a: unknown, n: number, where: string): void {
  if (!Array.isArray(a) || a.length !== n) fail(where);
  for (const x of a) if (!isNum(x)) fail(where);
}

/** Throws unless `raw` is a well-formed snapshot of this version. */
export function checkSnapshot(raw: unknown): MeterSnapshot {
  const s = raw as MeterSnapshot;
  if (typeof s !== 'object' || s === null || s.v !== snapshotVersion) fail('version');
  if (!Array.isArray(s.models) || !s.models.every(isStr)) fail('models');
  if (!Array.isArray(s.providers) || !s.providers.every(isStr)) fail('providers');
  if (!Array.isArray(s.lines) || !s.lines.every(isHash)) fail('lines');
  if (!Array.isArray(s.sessions)) fail('sessions');
  for (const ss of s.sessions) {
    if (typeof ss !== 'object' || ss === null || !(agentIds as readonly string[]).includes(ss.a) || !isStr(ss.id)) fail('session');
    if ((ss.p !== undefined && !isStr(ss.p)) || (ss.b !== undefined && !isStr(ss.b)) || (ss.cleared !== undefined && !isNum(ss.cleared))) fail('session fields');
    if (!Array.isArray(ss.r) || !Array.isArray(ss.t) || !Array.isArray(ss.k) || !Array.isArray(ss.pr) || !Array.isArray(ss.c) || !Array.isArray(ss.cs) || !Array.isArray(ss.cp)) fail('session lists');
    for (const r of ss.r) {
      if (!Array.isArray(r) || (r.length !== 6 && r.length !== 7) || !isNum(r[0]) || !isNum(r[1]) || !isNum(r[2]) || !isNum(r[4]) || !isNum(r[5]) || (r.length === 7 && !isNum(r[6]))) fail('request');
      checkNums(r[3], 5, 'request tokens');
    }
    for (const x of ss.t) if (!isNum(x)) fail('timeline');
    for (const x of ss.k) if (x !== 0 && x !== 1) fail('timeline kinds');
    for (const p of ss.pr) if (!Array.isArray(p) || !isNum(p[0]) || !isStr(p[1])) fail('prompt');
    for (const c of ss.c) if (typeof c !== 'object' || c === null || !isNum((c as { timestamp?: unknown }).timestamp)) fail('compaction');
    for (const c of ss.cs) {
      if (!Array.isArray(c) || !isNum(c[0]) || !isNum(c[1]) || !isNum(c[2]) || !isNum(c[3]) || typeof c[4] !== 'object' || c[4] === null) fail('cost-state');
      for (const v of Object.values(c[4])) checkNums(v, 6, 'cost-state model');
    }
    for (const c of ss.cp) {
      if (!Array.isArray(c) || !isNum(c[0]) || !isNum(c[1]) || !isNum(c[2])) fail('copied');
      checkNums(c[3], 5, 'copied tokens');
    }
    // Few sessions carry Connect facts, and they are small: a schema is fine here.
    if (ss.x !== undefined && !connectFactsSchema().safeParse(ss.x).success) fail('connect facts');
  }
  return s;
}


function t5(t: TokenCounts): [number, number, number, number, number] {
  return [t.input, t.output, t.cacheWrite5m, t.cacheWrite1h, t.cacheRead];
}

function fromT5(a: readonly number[]): TokenCounts {
  return { input: a[0] ?? 0, output: a[1] ?? 0, cacheWrite5m: a[2] ?? 0, cacheWrite1h: a[3] ?? 0, cacheRead: a[4] ?? 0 };
}

export function snapshotMeter(meter: Meter): MeterSnapshot {
  const models: string[] = [];
  const modelIdx = new Map<string, number>();
  const providers: string[] = [];
  const providerIdx = new Map<string, number>();
  const intern = (list: string[], idx: Map<string, number>, v: string): number => {
    let i = idx.get(v);
    if (i === undefined) {
      i = list.length;
      list.push(v);
      idx.set(v, i);
    }
    return i;
  };
  const sessions: MeterSnapshot['sessions'] = [];
  for (const s of meter.sessions.values()) {
    const t: number[] = [];
    const k: number[] = [];
    let prev = 0;
    for (const v of s.timeline()) {
      const kind = v % 2;
      const ts = (v - kind) / 2;
      t.push(ts - prev);
      k.push(kind);
      prev = ts;
    }
    sessions.push({
      a: s.agent,
      id: s.id,
      p: s.project,
      b: s.gitBranch,
      clear: s.startedWithClear || undefined,
      cleared: s.clearedAt,
      r: s.requests.map((r) => {
        const row: [number, number, number, T5, number, number] = [
          r.key,
          r.ts,
          intern(models, modelIdx, r.model),
          t5(r.tokens),
          r.sidechain ? 1 : 0,
          r.provider ? intern(providers, providerIdx, r.provider) : -1,
        ];
        return r.agentCostUSD !== undefined ? [...row, r.agentCostUSD] : row;
      }),
      t,
      k,
      pr: s.prompts.map((p) => [p.ts, p.text, p.command ?? null, p.gitBranch ?? null]),
      c: s.compactions.map((c) => ({ ...c })),
      cs: s.orderedCostStates().map((c) => [
        c.ts,
        c.seq,
        c.fileId,
        c.totalCostUSD,
        Object.fromEntries(Object.entries(c.models).map(([m, v]) => [m, [...t5(v.tokens), v.costUSD] as [number, number, number, number, number, number]])),
      ]),
      cp: [...s.copied.entries()].map(([key, c]) => [key, c.ts, intern(models, modelIdx, c.model), t5(c.tokens)]),
      x: s.connect,
    });
  }
  return { v: snapshotVersion, models, providers, sessions, lines: meter.lineKeys() };
}

/** Rebuild a meter; throws on a snapshot that does not fit (the caller rebuilds from the files). */
export function restoreMeter(snapshot: MeterSnapshot, priceBook: PriceBook): Meter {
  const meter = new Meter(priceBook);
  const model = (i: number): string => snapshot.models[i] ?? 'unknown';
  for (const ss of snapshot.sessions) {
    const s = meter.session(ss.a, ss.id);
    s.project = ss.p;
    s.gitBranch = ss.b;
    s.startedWithClear = ss.clear ?? false;
    s.clearedAt = ss.cleared;
    for (const [key, ts, mi, tok, side, pi, agentCostUSD] of ss.r) {
      const tokens = fromT5(tok);
      const m = model(mi);
      const provider = pi >= 0 ? snapshot.providers[pi] : undefined;
      const r: RequestRecord = { key, session: s, ts, model: m, provider, tokens, sidechain: side === 1, price: priceBook.price(m, provider, tokens, ts), agentCostUSD };
      s.addRequest(r);
      meter.restoreResponse(r);
    }
    if (ss.t.length !== ss.k.length) throw new Error('snapshot timeline is inconsistent');
    let acc = 0;
    ss.t.forEach((d, i) => {
      acc += d;
      s.addTime(acc, ss.k[i] ?? 1);
    });
    for (const [ts, text, command, gitBranch] of ss.pr) s.addPrompt({ ts, text, command: command ?? undefined, gitBranch: gitBranch ?? undefined });
    for (const c of ss.c) s.addCompaction(c as unknown as CompactionEvent);
    for (const [ts, seq, fileId, totalCostUSD, models] of ss.cs) {
      s.costStates.set(`${fileId}:${seq}`, {
        ts,
        seq,
        fileId,
        totalCostUSD,
        models: Object.fromEntries(Object.entries(models).map(([m, v]) => [m, { tokens: fromT5(v), costUSD: v[5] }])),
      });
    }
    for (const [key, ts, mi, tok] of ss.cp) s.copied.set(key, { ts, model: model(mi), tokens: fromT5(tok) });
    if (ss.x) s.connect = ss.x;
  }
  meter.restoreLines(snapshot.lines);
  meter.version++;
  return meter;
}
