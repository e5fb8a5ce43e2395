/**
 * The meter as plain data, for the persisted index. Compact (arrays, interned model names) and
 * versioned; prices are NOT stored: they are recomputed on restore from the current price book.
 */
import { z } from 'zod';
import { Meter, type RequestRecord } from './meter';
import type { PriceBook } from './pricing';
import { agentIds, type CompactionEvent, type TokenCounts } from './usage';

export const snapshotVersion = 1;

const num = z.number();
const tokensTuple = z.tuple([num, num, num, num, num]);

const rateWindowSchema = z.object({ usedPercent: num, resetsAt: num.optional() });
/** Connect facts (hooks, status line, telemetry); optional, so older indexes still load. */
const connectFactsSchema = z.object({
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

const sessionSnapshotSchema = z.object({
  a: z.enum(agentIds),
  id: z.string(),
  p: z.string().optional(),
  b: z.string().optional(),
  clear: z.boolean().optional(),
  cleared: z.number().optional(),
  /** requests: [key, ts, modelIdx, tokens, sidechain(0|1), providerIdx(-1 = none)] */
  r: z.array(z.tuple([num, num, num, tokensTuple, num, num])),
  /** timeline, delta-encoded times and kinds */
  t: z.array(num),
  k: z.array(num),
  pr: z.array(z.tuple([num, z.string(), z.string().nullish(), z.string().nullish()])),
  c: z.array(z.record(z.string(), z.unknown())),
  cs: z.array(z.tuple([num, num, num, num, z.record(z.string(), z.tuple([num, num, num, num, num, num]))])),
  cp: z.array(z.tuple([num, num, num, tokensTuple])),
  x: connectFactsSchema.optional(),
});

export const meterSnapshotSchema = z.object({
  v: z.literal(snapshotVersion),
  models: z.array(z.string()),
  providers: z.array(z.string()),
  sessions: z.array(sessionSnapshotSchema),
  lines: z.array(num),
});
export type MeterSnapshot = z.infer<typeof meterSnapshotSchema>;

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
      r: s.requests.map((r) => [
        r.key,
        r.ts,
        intern(models, modelIdx, r.model),
        t5(r.tokens),
        r.sidechain ? 1 : 0,
        r.provider ? intern(providers, providerIdx, r.provider) : -1,
      ]),
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
    for (const [key, ts, mi, tok, side, pi] of ss.r) {
      const tokens = fromT5(tok);
      const m = model(mi);
      const provider = pi >= 0 ? snapshot.providers[pi] : undefined;
      const r: RequestRecord = { key, session: s, ts, model: m, provider, tokens, sidechain: side === 1, price: priceBook.price(m, provider, tokens, ts) };
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
