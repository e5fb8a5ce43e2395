/**
 * Dead weight: tokens and time a harness spends on its own mechanics — compactions that
 * re-summarise the context, resets, caches rebuilt after an idle gap or a reset, compactions that
 * fire long before the context is full, runaway compaction loops. Found, priced, and shown as a
 * share of the work. Every figure carries its provenance.
 */
import { sessionKey, type Meter, type SessionState } from './meter';
import type { PriceBook } from './pricing';
import type { CostedItem, SessionView } from './session-view';
import { groupThousands } from './format';
import { promptTokens, totalTokens, type CompactionEvent, type TokenCounts } from './usage';

export type DeadWeightKind = 'compaction' | 'premature-compaction' | 'compaction-loop' | 'clear' | 'cache-rebuild' | 'cache-miss';

export interface DeadWeightEvent {
  kind: DeadWeightKind;
  trigger?: string;
  at: number;
  /** The tokens the event is about: the summary call's, the rebuilt cache's, or the context forgotten. */
  tokens: number;
  costUSD: number | null;
  seconds: number;
  estimated: boolean;
  provenance: string;
  detail: string;
  /** Context dropped by a compaction (pre − post), or forgotten by a reset. */
  droppedTokens?: number;
  /** Context used when a compaction fired, as a share of the model's window. */
  windowShare?: number;
}

export interface DeadWeight {
  events: DeadWeightEvent[];
  costUSD: number;
  seconds: number;
  /** Dead-weight cost as a share of the work's API-equivalent cost. */
  share: number;
  compactions: number;
  estimated: boolean;
  /** The client's own prompt-cache figures (Connect: the status line), for the sessions that have them. */
  promptCache?: { requests: number; misses: number; hitRatio: number | null; missRecacheTokens: number };
}

export interface DeadWeightOptions {
  /** A compaction below this share of the context window is premature (default 0.5). */
  prematureShare: number;
  /** Share of a request's prompt written to cache that makes it a rebuild (default 0.5). */
  rebuildShare?: number;
}

const fiveMinutes = 5 * 60_000;
const oneHour = 60 * 60_000;
const loopWindowMs = 10 * 60_000;

function rebuildPremium(pb: PriceBook, model: string, provider: string | undefined, t: TokenCounts, ts: number): number | null {
  // (cache-write price − cache-read price) × tokens written: what re-writing cost over reading.
  const written: TokenCounts = { input: 0, output: 0, cacheWrite5m: t.cacheWrite5m, cacheWrite1h: t.cacheWrite1h, cacheRead: 0 };
  const asRead: TokenCounts = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: t.cacheWrite5m + t.cacheWrite1h };
  const w = pb.price(model, provider, written, ts);
  const r = pb.price(model, provider, asRead, ts);
  return w && r ? w.usd - r.usd : null;
}

interface PredecessorIndex {
  version: number;
  size: number;
  /** Per agent: the sessions that recorded a `/clear`, by when (ties in the meter's order). */
  cleared: Map<string, SessionState[]>;
  /** Per agent and project: the sessions by when they ended (ties in the meter's order). */
  byProject: Map<string, SessionState[]>;
}
const predecessorIndexes = new WeakMap<Meter, PredecessorIndex>();
/** Questions asked of each meter version: the index is built only for a version asked often (a report). */
const questions = new WeakMap<Meter, { version: number; size: number; count: number }>();
const questionsBeforeIndex = 8;

/**
 * Sessions grouped for `clearedPredecessor` when this meter version is asked often (a report asks
 * once per session); undefined for the first few questions of a version: the status bar asks once
 * per change, and sorting every session on every line an agent writes cost it the whole history.
 */
function predecessorIndex(meter: Meter): PredecessorIndex | undefined {
  const cached = predecessorIndexes.get(meter);
  if (cached && cached.version === meter.version && cached.size === meter.sessions.size) return cached;
  let q = questions.get(meter);
  if (!q || q.version !== meter.version || q.size !== meter.sessions.size) questions.set(meter, (q = { version: meter.version, size: meter.sessions.size, count: 0 }));
  if (++q.count <= questionsBeforeIndex) return undefined;
  const index: PredecessorIndex = { version: meter.version, size: meter.sessions.size, cleared: new Map(), byProject: new Map() };
  const push = (m: Map<string, SessionState[]>, k: string, s: SessionState): void => {
    const list = m.get(k);
    if (list) list.push(s);
    else m.set(k, [s]);
  };
  for (const o of meter.sessions.values()) {
    if (o.clearedAt !== undefined) push(index.cleared, o.agent, o);
    if (!Number.isNaN(o.lastTs)) push(index.byProject, `${o.agent}\u0000${o.project ?? ''}`, o);
  }
  for (const list of index.byProject.values()) list.sort((a, b) => a.lastTs - b.lastTs); // stable: ties keep the meter's order
  for (const list of index.cleared.values()) list.sort((a, b) => (a.clearedAt ?? 0) - (b.clearedAt ?? 0));
  predecessorIndexes.set(meter, index);
  return index;
}

/** The session that a `/clear` session continued from: same agent and project, cleared just before. */
export function clearedPredecessor(meter: Meter, s: SessionState): SessionState | undefined {
  if (!s.startedWithClear) return undefined;
  // The client's own hooks (Connect) name it: exact.
  const named = s.connect?.clearedFrom;
  if (named !== undefined) {
    const o = meter.sessions.get(sessionKey(s.agent, named));
    if (o) return o;
  }
  const index = predecessorIndex(meter);
  if (!index) return clearedPredecessorScan(meter, s);
  const start = s.firstTs;
  // The latest /clear at most a second after it started and less than ten minutes before (the first
  // in the meter's order of those at that moment): found by halving, not by looking at every one
  // (a history of thousands of /clears asked this once per session).
  const cleared = index.cleared.get(s.agent) ?? [];
  let j = lastAtOrBefore(cleared, start + 1000, (o) => o.clearedAt ?? Infinity);
  while (j >= 0 && cleared[j] === s) j--;
  const latest = cleared[j]?.clearedAt;
  if (latest !== undefined && start - latest < 10 * 60_000) {
    let best: SessionState | undefined;
    for (let k = j; k >= 0 && cleared[k]?.clearedAt === latest; k--) if (cleared[k] !== s) best = cleared[k];
    if (best) return best;
  }
  // Without the old session's trace (older clients): the last session in the same project that
  // ended before it started (the first of those that ended at that same moment).
  const list = index.byProject.get(`${s.agent}\u0000${s.project ?? ''}`) ?? [];
  // list[0, lo) ended at or before `start`; walk back to the latest end that is not `s` itself.
  const lo = lastAtOrBefore(list, start, (o) => o.lastTs) + 1;
  for (let i = lo - 1; i >= 0; ) {
    const last = list[i]?.lastTs;
    let first = i;
    while (first > 0 && list[first - 1]?.lastTs === last) first--;
    for (let j = first; j <= i; j++) {
      const o = list[j];
      if (o && o !== s && o.project === s.project) return o;
    }
    i = first - 1;
  }
  return undefined;
}

/** The index of the last of `list` (sorted by `key`) whose key is at most `limit`; -1 when none is. */
function lastAtOrBefore(list: readonly SessionState[], limit: number, key: (o: SessionState) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const o = list[mid];
    if (o && key(o) <= limit) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * `clearedPredecessor` by one pass over the sessions, without the index: the same answer (both are
 * tested against the plain definition on 300 random histories) — the latest `/clear` just before
 * the session started, else the session of the same project that ended last before it (the first
 * in the meter's order among those that ended at that moment).
 */
function clearedPredecessorScan(meter: Meter, s: SessionState): SessionState | undefined {
  const start = s.firstTs;
  let cleared: SessionState | undefined;
  let ended: SessionState | undefined;
  for (const o of meter.sessions.values()) {
    if (o === s || o.agent !== s.agent) continue;
    if (o.clearedAt !== undefined && o.clearedAt <= start + 1000 && start - o.clearedAt < 10 * 60_000) {
      if (!cleared || o.clearedAt > (cleared.clearedAt ?? 0)) cleared = o;
    }
    if (o.project === s.project && !Number.isNaN(o.lastTs) && o.lastTs <= start && (!ended || o.lastTs > ended.lastTs)) ended = o;
  }
  return cleared ?? ended;
}

/** For tests: both ways of finding a predecessor, to compare them. */
export const predecessorWays = {
  scan: clearedPredecessorScan,
  indexed(meter: Meter, s: SessionState): SessionState | undefined {
    while (!predecessorIndex(meter));
    return clearedPredecessor(meter, s);
  },
};

export function deadWeightOf(meter: Meter, v: SessionView, options: DeadWeightOptions): DeadWeight {
  const s = meter.sessions.get(v.key);
  const pb = meter.getPriceBook();
  const events: DeadWeightEvent[] = [];
  const rebuildShare = options.rebuildShare ?? 0.5;
  const requests = s ? s.requests : [];
  const compactions: readonly CompactionEvent[] = v.compactions;

  // 1. Compactions: the summarisation call, time lost, context dropped; premature or in a loop.
  const auxByCompaction = new Map<number, CostedItem[]>();
  for (const it of v.items) {
    if (it.kind !== 'auxiliary' || it.compactionAt === undefined) continue;
    const list = auxByCompaction.get(it.compactionAt) ?? [];
    list.push(it);
    auxByCompaction.set(it.compactionAt, list);
  }
  const callByKey = new Map<string, CostedItem>();
  for (const c of compactions) {
    if (c.callDedupeKey === undefined) continue;
    const key = meter.keyOf(c.callDedupeKey);
    const rec = requests.find((r) => r.key === key);
    if (rec) callByKey.set(c.callDedupeKey, v.items.find((it) => it.kind === 'request' && it.ts === rec.ts && it.model === rec.model) ?? { ts: rec.ts, model: rec.model, tokens: rec.tokens, usd: rec.price?.usd ?? null, provenance: 'computed', kind: 'request', sidechain: rec.sidechain });
  }
  const compactionEvents: DeadWeightEvent[] = [];
  for (const c of compactions) {
    let calls: CostedItem[] = auxByCompaction.get(c.timestamp) ?? [];
    if (c.callDedupeKey !== undefined) {
      const call = callByKey.get(c.callDedupeKey);
      calls = call ? [call] : [];
    }
    const usd = calls.length === 0 ? null : calls.some((x) => x.usd === null) ? null : calls.reduce((n, x) => n + (x.usd ?? 0), 0);
    const tokens = calls.reduce((n, x) => n + totalTokens(x.tokens), 0);
    const estimated = c.estimated === true || calls.some((x) => x.provenance === 'estimated') || calls.length === 0;
    const provenance =
      calls.length === 0
        ? 'no record of the summarisation call'
        : calls.every((x) => x.via === 'telemetry')
          ? "measured: the client's telemetry (OpenTelemetry api_request, query_source compact), priced"
        : calls.some((x) => x.provenance === 'estimated')
          ? 'estimated: prompt ≈ the context before the compaction, output ≈ summary length / 4'
          : calls[0]?.provenance === 'client-reported'
            ? "client-reported: the agent's own record of the call"
            : c.callDedupeKey !== undefined
              ? 'measured: the call is in the transcript'
              : "measured: the client's own totals (cost-state) around the compaction, priced";
    const window = pb.describe(c.model ?? requests[requests.length - 1]?.model ?? '', undefined, c.timestamp)?.contextWindow;
    const windowShare = c.preTokens !== undefined && window ? c.preTokens / window : undefined;
    const premature = windowShare !== undefined && windowShare < options.prematureShare;
    let seconds = (c.durationMs ?? 0) / 1000;
    let secondsEstimated = false;
    let timedByHooks = false;
    // The client's PreCompact hook (Connect) marks when it started; PostCompact when it ended.
    const hookWindow = c.durationMs === undefined ? s?.connect?.compactWindows.find((w) => w.start <= c.timestamp + 1000 && c.timestamp - w.start < loopWindowMs) : undefined;
    if (hookWindow) {
      seconds = Math.max(0, (hookWindow.end ?? c.timestamp) - hookWindow.start) / 1000;
      timedByHooks = true;
    } else if (c.durationMs === undefined) {
      // Without a duration: the gap from the agent's previous event to the boundary (the last
      // timeline entry before it: found from the end, without copying the timeline).
      let prev: number | undefined;
      const timeline = s ? s.timeline() : [];
      for (let i = timeline.length - 1; i >= 0; i--) {
        const t = Math.floor((timeline[i] ?? 0) / 2);
        if (t < c.timestamp) {
          prev = t;
          break;
        }
      }
      seconds = prev !== undefined ? (c.timestamp - prev) / 1000 : 0;
      secondsEstimated = true;
    }
    const dropped = c.droppedTokens ?? (c.preTokens !== undefined && c.postTokens !== undefined ? c.preTokens - c.postTokens : undefined);
    compactionEvents.push({
      kind: premature ? 'premature-compaction' : 'compaction',
      trigger: c.trigger,
      at: c.timestamp,
      tokens,
      costUSD: usd,
      seconds,
      estimated: estimated || secondsEstimated,
      provenance: secondsEstimated ? `${provenance}; time estimated from the previous event` : timedByHooks ? `${provenance}; time measured by the PreCompact${hookWindow?.end !== undefined ? '/PostCompact' : ''} hook` : provenance,
      detail: `${c.trigger} compaction${c.preTokens !== undefined ? ` of ${groupThousands(c.preTokens)} tokens` : ''}${windowShare !== undefined ? ` at ${(windowShare * 100).toFixed(0)}% of the ${groupThousands(window ?? 0)}-token window` : ''}${premature ? ` — below ${(options.prematureShare * 100).toFixed(0)}%: avoidable` : ''}`,
      droppedTokens: dropped,
      windowShare,
    });
  }
  events.push(...compactionEvents);

  // 2. Compaction loops: three or more within ten minutes.
  for (let i = 0; i + 2 < compactions.length; i++) {
    const a = compactions[i];
    const c = compactions[i + 2];
    if (!a || !c || c.timestamp - a.timestamp > loopWindowMs) continue;
    let j = i + 2;
    while (j + 1 < compactions.length && (compactions[j + 1]?.timestamp ?? Infinity) - a.timestamp <= loopWindowMs) j++;
    events.push({
      kind: 'compaction-loop',
      at: a.timestamp,
      tokens: 0,
      costUSD: 0,
      seconds: 0,
      estimated: false,
      provenance: 'measured: compaction times',
      detail: `${j - i + 1} compactions within ${Math.round(((compactions[j]?.timestamp ?? a.timestamp) - a.timestamp) / 60_000)} min — a runaway (their costs are counted on each compaction)`,
    });
    i = j;
  }

  // 3. A session started with /clear: the context it forgot.
  if (s?.startedWithClear) {
    const prev = clearedPredecessor(meter, s);
    const last = prev?.requests[prev.requests.length - 1];
    events.push({
      kind: 'clear',
      trigger: 'manual',
      at: s.firstTs,
      tokens: last ? promptTokens(last.tokens) : 0,
      costUSD: 0,
      seconds: 0,
      estimated: false,
      provenance: prev
        ? `measured: continues session ${prev.id.slice(0, 8)} (${s.connect?.clearedFrom === prev.id ? "the client's SessionEnd/SessionStart hooks" : prev.clearedAt !== undefined ? 'its /clear record' : 'same project, just before'})`
        : 'measured: /clear',
      detail: prev ? `/clear after session ${prev.id.slice(0, 8)}; its context is rebuilt from scratch` : '/clear',
      droppedTokens: last ? promptTokens(last.tokens) : undefined,
    });
  }

  // 4. Cache rebuilds: a request that writes most of its prompt to cache again — after an idle
  //    gap longer than the cache's lifetime, or right after a compaction or a /clear.
  let prevTs = NaN;
  let prevWas1h = false;
  const afterReset = new Set<number>();
  // The first request after each compaction (both in time order: one pass).
  let ri = 0;
  for (const c of compactions) {
    while (ri < requests.length && (requests[ri]?.ts ?? Infinity) <= c.timestamp) ri++;
    const next = requests[ri];
    if (next) afterReset.add(next.ts);
  }
  if (s?.startedWithClear && requests[0]) afterReset.add(requests[0].ts);
  // With the client's own prompt-cache figures (Connect), its misses replace the transcript guess.
  // (The client keeps them per session: they restart at /clear.)
  const pc = s?.connect?.status?.promptCache;
  for (const r of pc ? [] : requests) {
    const t = r.tokens;
    const prompt = promptTokens(t);
    const written = t.cacheWrite5m + t.cacheWrite1h;
    const ttl = prevWas1h || t.cacheWrite1h > 0 ? oneHour : fiveMinutes;
    const gap = r.ts - prevTs;
    const cause = afterReset.has(r.ts) ? 'reset' : !Number.isNaN(prevTs) && gap > ttl ? 'idle' : undefined;
    if (cause && prompt > 0 && written / prompt >= rebuildShare) {
      const usd = rebuildPremium(pb, r.model, r.provider, t, r.ts);
      events.push({
        kind: 'cache-rebuild',
        at: r.ts,
        tokens: written,
        costUSD: usd,
        seconds: 0,
        estimated: false,
        provenance: 'computed: tokens written again × (cache-write − cache-read price)',
        detail: cause === 'idle' ? `cache expired after ${Math.round(gap / 60_000)} min idle (TTL ${ttl === oneHour ? '1 h' : '5 min'}); ${groupThousands(written)} tokens written again` : `cache rebuilt after a compaction or /clear; ${groupThousands(written)} tokens written again`,
      });
    }
    prevTs = r.ts;
    prevWas1h = t.cacheWrite1h > 0;
  }

  // 5. The client's prompt-cache misses (status line `prompt_cache`): tokens it wrote to cache again
  //    because a cached prefix was gone, priced as a rebuild on the session's main model.
  const status = s?.connect?.status;
  if (pc && status && pc.missRecacheTokens > 0 && pc.misses > 0) {
    const model = [...requests].reverse().find((r) => !r.sidechain)?.model ?? requests[requests.length - 1]?.model;
    const oneHour = pc.ttl === '1h';
    const written = { input: 0, output: 0, cacheWrite5m: oneHour ? 0 : pc.missRecacheTokens, cacheWrite1h: oneHour ? pc.missRecacheTokens : 0, cacheRead: 0 };
    events.push({
      kind: 'cache-miss',
      at: status.ts,
      tokens: pc.missRecacheTokens,
      costUSD: model ? rebuildPremium(pb, model, requests[0]?.provider, written, status.ts) : null,
      seconds: 0,
      estimated: false,
      provenance: `client-reported: the status line's prompt_cache (${pc.misses} miss${pc.misses === 1 ? '' : 'es'} in ${pc.requests} requests${pc.hitRatio !== undefined ? `, hit ratio ${(pc.hitRatio * 100).toFixed(1)}%` : ''}), priced as tokens written again × (cache-write − cache-read price)`,
      detail: `${groupThousands(pc.missRecacheTokens)} tokens written to cache again after cache misses`,
    });
  }

  events.sort((a, b) => a.at - b.at);
  const costUSD = events.reduce((n, e) => n + (e.costUSD ?? 0), 0);
  const seconds = events.reduce((n, e) => n + e.seconds, 0);
  return {
    events,
    costUSD,
    seconds,
    share: v.cost.api > 0 ? costUSD / v.cost.api : 0,
    compactions: compactionEvents.length,
    estimated: events.some((e) => e.estimated),
    promptCache: pc ? { requests: pc.requests, misses: pc.misses, hitRatio: pc.hitRatio ?? null, missRecacheTokens: pc.missRecacheTokens } : undefined,
  };
}

/** Dead weight of many sessions together. */
export function sumDeadWeight(parts: readonly DeadWeight[], apiUSD: number): DeadWeight {
  const events = parts.flatMap((p) => p.events).sort((a, b) => a.at - b.at);
  const costUSD = parts.reduce((n, p) => n + p.costUSD, 0);
  return {
    events,
    costUSD,
    seconds: parts.reduce((n, p) => n + p.seconds, 0),
    share: apiUSD > 0 ? costUSD / apiUSD : 0,
    compactions: parts.reduce((n, p) => n + p.compactions, 0),
    estimated: parts.some((p) => p.estimated),
    promptCache: sumPromptCache(parts),
  };
}

function sumPromptCache(parts: readonly DeadWeight[]): DeadWeight['promptCache'] {
  const with_ = parts.filter((p) => p.promptCache);
  if (with_.length === 0) return undefined;
  return {
    requests: with_.reduce((n, p) => n + (p.promptCache?.requests ?? 0), 0),
    misses: with_.reduce((n, p) => n + (p.promptCache?.misses ?? 0), 0),
    // The client's ratio is token-weighted; it cannot be combined across sessions from these figures.
    hitRatio: with_.length === 1 ? (with_[0]?.promptCache?.hitRatio ?? null) : null,
    missRecacheTokens: with_.reduce((n, p) => n + (p.promptCache?.missRecacheTokens ?? 0), 0),
  };
}
