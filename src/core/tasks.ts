/**
 * Tasks: attribute spend to the work. An explicit task is a time window plus the workspace folders
 * it covers (all agents, all sessions there); implicit tasks are turns (a prompt and the agent work
 * that follows it), grouped by session, git branch or day. Turns partition a session exactly.
 */
import { RollupBuilder, sessionViews, type Range, type Rollup } from './aggregate';
import type { Calendar } from './calendar';
import { runtimeCost, allocatedFee } from './compare';
import { deadWeightOf } from './dead-weight';
import type { Meter } from './meter';
import { resolvePlan, type PlanSettings } from './plans';
import { timeFigures, type CostedItem, type SessionView } from './session-view';
import { agentLabels, type AgentId, type TokenCounts } from './usage';

export interface TaskRecord {
  id: string;
  label: string;
  /** Issue or ticket reference, free text. */
  ref?: string;
  /** Folders whose agent sessions count for the task. */
  folders: string[];
  start: number;
  /** Unset while the task runs. */
  end?: number;
}

export interface TurnFigure {
  sessionKey: string;
  agent: AgentId;
  start: number;
  end: number;
  /** First line of the prompt, truncated; empty when prompt text is not kept. */
  prompt: string;
  gitBranch?: string;
  costUSD: number;
  lowerBound: boolean;
  tokens: number;
}

export interface WorkFigures {
  key: string;
  label: string;
  ref?: string;
  kind: 'task' | 'turn' | 'session' | 'branch' | 'day';
  agents: string[];
  models: string[];
  start: number | null;
  end: number | null;
  running: boolean;
  wallMs: number;
  activeMs: number;
  busyMs: number;
  tokens: TokenCounts;
  requests: number;
  apiUSD: number;
  lowerBound: boolean;
  sessionHourUSD: number;
  subscriptionUSD: number | null;
  deadWeightUSD: number;
  unpricedTokens: number;
  unpricedModels: string[];
  turns: number;
  topTurns: TurnFigure[];
}

export interface WorkOptions {
  now: number;
  idleMs: number;
  calendar: Calendar;
  plan: PlanSettings;
  sessionHourRate: number;
  prematureShare: number;
  /** Keep prompt text in turn labels (privacy setting off = empty). */
  includePrompts: boolean;
  agents?: readonly AgentId[];
  topTurns?: number;
}

const maxPrompt = 80;

function truncate(s: string): string {
  const line = s.split('\n', 1)[0] ?? '';
  return line.length > maxPrompt ? `${line.slice(0, maxPrompt - 1)}…` : line;
}

/** Every turn of a session: [prompt, next prompt); work before the first prompt is a turn too. */
export function sessionTurns(meter: Meter, v: SessionView, includePrompts: boolean): { start: number; end: number; prompt: string; gitBranch?: string; items: CostedItem[] }[] {
  const s = meter.sessions.get(v.key);
  const prompts = s ? s.prompts : [];
  const turns: { start: number; end: number; prompt: string; gitBranch?: string; items: CostedItem[] }[] = [];
  const firstPrompt = prompts[0]?.ts ?? Infinity;
  const firstItem = v.items[0]?.ts ?? Infinity;
  if (firstItem < firstPrompt) turns.push({ start: firstItem, end: firstPrompt, prompt: '(before the first prompt)', gitBranch: v.gitBranch, items: [] });
  prompts.forEach((p, i) => {
    const next = prompts[i + 1]?.ts ?? Infinity;
    turns.push({ start: p.ts, end: next, prompt: includePrompts || p.command ? truncate(p.text) : '', gitBranch: p.gitBranch ?? v.gitBranch, items: [] });
  });
  let ti = 0;
  for (const it of v.items) {
    while (ti + 1 < turns.length && it.ts >= (turns[ti]?.end ?? Infinity)) ti++;
    turns[ti]?.items.push(it);
  }
  return turns;
}

// A session view is immutable (a new one is made when the session changes), so what is derived
// from it is cached with it: a report by turn asks for the same session's turns many times.
const deadWeightCache = new WeakMap<SessionView, { share: number; value: ReturnType<typeof deadWeightOf> }>();
const turnsCache = new WeakMap<SessionView, { prompts: boolean; value: ReturnType<typeof sessionTurns> }>();

function deadWeightCached(meter: Meter, v: SessionView, prematureShare: number): ReturnType<typeof deadWeightOf> {
  const hit = deadWeightCache.get(v);
  if (hit && hit.share === prematureShare) return hit.value;
  const value = deadWeightOf(meter, v, { prematureShare });
  deadWeightCache.set(v, { share: prematureShare, value });
  return value;
}

function turnsCached(meter: Meter, v: SessionView, includePrompts: boolean): ReturnType<typeof sessionTurns> {
  const hit = turnsCache.get(v);
  if (hit && hit.prompts === includePrompts) return hit.value;
  const value = sessionTurns(meter, v, includePrompts);
  turnsCache.set(v, { prompts: includePrompts, value });
  return value;
}

function figuresOf(
  meter: Meter,
  o: WorkOptions,
  key: string,
  label: string,
  kind: WorkFigures['kind'],
  parts: { view: SessionView; range: Range }[],
  running = false,
): WorkFigures {
  const b = new RollupBuilder();
  let deadWeightUSD = 0;
  const turnFigures: TurnFigure[] = [];
  let turnCount = 0;
  let start = Infinity;
  let end = -Infinity;
  for (const { view: v, range } of parts) {
    const s = meter.sessions.get(v.key);
    let any = false;
    for (const it of v.items) {
      if (it.ts < range.from || it.ts >= range.to) continue;
      b.addItem(it, v.key, v.agent);
      any = true;
    }
    if (s) {
      const t = timeFigures(s.timeline(), o.idleMs, range.from, range.to);
      b.addTime(t);
      for (const x of s.timeline()) {
        const ts = Math.floor(x / 2);
        if (ts >= range.from && ts < range.to) {
          start = Math.min(start, ts);
          end = Math.max(end, ts);
          any = true;
        }
      }
    }
    if (any) b.addSession(v.key, v.agent);
    for (const e of deadWeightCached(meter, v, o.prematureShare).events) if (e.at >= range.from && e.at < range.to) deadWeightUSD += e.costUSD ?? 0;
    for (const t of turnsCached(meter, v, o.includePrompts)) {
      if (t.start < range.from || t.start >= range.to) continue;
      turnCount++;
      const cost = t.items.reduce((n, it) => n + (it.usd ?? 0), 0);
      turnFigures.push({
        sessionKey: v.key,
        agent: v.agent,
        start: t.start,
        end: t.items[t.items.length - 1]?.ts ?? t.start,
        prompt: t.prompt,
        gitBranch: t.gitBranch,
        costUSD: cost,
        lowerBound: t.items.some((it) => it.usd === null),
        tokens: t.items.reduce((n, it) => n + it.tokens.input + it.tokens.output + it.tokens.cacheWrite5m + it.tokens.cacheWrite1h + it.tokens.cacheRead, 0),
      });
    }
  }
  const r: Rollup = b.build();
  const plan = resolvePlan(o.plan);
  let subscriptionUSD: number | null = null;
  if (o.plan.id !== 'none' && r.agents.some((a) => (plan.agents).includes(a))) {
    const monthStart = o.calendar.startOfMonth(Number.isFinite(start) ? start : o.now);
    const monthEnd = o.calendar.startOfMonth(monthStart + 40 * 86_400_000);
    const monthViews = sessionViews(meter, { from: monthStart, to: monthEnd }, { idleMs: o.idleMs, agents: plan.agents });
    let monthApi = 0;
    for (const v of monthViews) for (const it of v.items) if (it.ts >= monthStart && it.ts < monthEnd && it.usd !== null) monthApi += it.usd;
    subscriptionUSD = allocatedFee(plan.feeUSD, r.cost.api, monthApi);
  }
  return {
    key,
    label,
    kind,
    agents: r.agents.map((a) => agentLabels[a]),
    models: r.byModel.map((m) => m.model).sort(),
    start: Number.isFinite(start) ? start : null,
    end: Number.isFinite(end) ? end : null,
    running,
    wallMs: r.time.wallMs,
    activeMs: r.time.activeMs,
    busyMs: r.time.busyMs,
    tokens: r.tokens,
    requests: r.requests,
    apiUSD: r.cost.api,
    lowerBound: r.cost.lowerBound,
    sessionHourUSD: r.cost.api + runtimeCost(r.time.busyMs, o.sessionHourRate),
    subscriptionUSD,
    deadWeightUSD,
    unpricedTokens: r.unpriced.tokens,
    unpricedModels: r.unpriced.models,
    turns: turnCount,
    topTurns: turnFigures.sort((a, b) => b.costUSD - a.costUSD).slice(0, o.topTurns ?? 5),
  };
}

/** An explicit task's figures: usage in its folders during its window. */
export function taskFigures(meter: Meter, task: TaskRecord, o: WorkOptions): WorkFigures {
  const range: Range = { from: task.start, to: task.end ?? Infinity };
  const views = sessionViews(meter, range, { idleMs: o.idleMs, agents: o.agents, projectPrefixes: task.folders });
  const f = figuresOf(meter, o, task.id, task.label, 'task', views.map((view) => ({ view, range })), task.end === undefined);
  return { ...f, ref: task.ref, start: task.start, end: task.end ?? null };
}

export type WorkBy = 'task' | 'turn' | 'session' | 'branch' | 'day';

/** Figures grouped for a report; `tasks` is used by `by: 'task'`. */
export function workFigures(meter: Meter, by: WorkBy, range: Range, o: WorkOptions, tasks: readonly TaskRecord[] = []): WorkFigures[] {
  if (by === 'task') {
    return tasks
      .filter((t) => t.start < range.to && (t.end ?? Infinity) > range.from)
      .map((t) => taskFigures(meter, { ...t, start: Math.max(t.start, range.from), end: t.end === undefined ? (Number.isFinite(range.to) ? range.to : undefined) : Math.min(t.end, range.to) }, o));
  }
  const views = sessionViews(meter, range, { idleMs: o.idleMs, agents: o.agents });
  if (by === 'session') {
    return views.map((v) => figuresOf(meter, o, v.key, `${agentLabels[v.agent]} · ${v.project?.split(/[\\/]/).pop() ?? '(unknown)'} · ${v.id.slice(0, 8)}`, 'session', [{ view: v, range }]));
  }
  if (by === 'turn') {
    const out: WorkFigures[] = [];
    for (const v of views) {
      for (const t of turnsCached(meter, v, o.includePrompts)) {
        if (t.start < range.from || t.start >= range.to) continue;
        const r = { from: Math.max(range.from, t.start), to: Math.min(range.to, t.end) };
        const f = figuresOf(meter, o, `${v.key}@${t.start}`, t.prompt || '(prompt text not kept)', 'turn', [{ view: v, range: r }]);
        out.push({ ...f, turns: 1, topTurns: [] });
      }
    }
    return out;
  }
  if (by === 'branch') {
    const byBranch = new Map<string, { view: SessionView; range: Range }[]>();
    for (const v of views) {
      for (const t of turnsCached(meter, v, o.includePrompts)) {
        if (t.end <= range.from || t.start >= range.to) continue;
        const branch = t.gitBranch ?? '(no branch)';
        const list = byBranch.get(branch) ?? [];
        list.push({ view: v, range: { from: Math.max(range.from, t.start), to: Math.min(range.to, t.end) } });
        byBranch.set(branch, list);
      }
    }
    return [...byBranch.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([branch, parts]) => figuresOf(meter, o, branch, branch, 'branch', parts));
  }
  // by day
  const days = new Map<string, number>();
  for (const v of views) for (const it of v.items) if (it.ts >= range.from && it.ts < range.to) if (!days.has(o.calendar.dayKey(it.ts))) days.set(o.calendar.dayKey(it.ts), it.ts);
  return [...days.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, instant]) => {
      const from = Math.max(range.from, o.calendar.startOfDay(instant));
      const to = Math.min(range.to, o.calendar.startOfDay(o.calendar.startOfDay(instant) + 36 * 3_600_000));
      return figuresOf(meter, o, day, day, 'day', views.map((view) => ({ view, range: { from, to } })));
    });
}
