/**
 * Cost reports in three formats from the same figures:
 * - JSON: versioned schema (README "Cost report JSON");
 * - CSV: one row per item, RFC 4180, stable documented columns (`csvColumns`);
 * - Markdown: a summary first, then readable tables.
 */
import type { Range } from './aggregate';
import { formatCost, formatDuration, formatTokens, roundTo } from './format';
import type { Meter } from './meter';
import { priceTableLabel } from './pricing';
import { workFigures, type TaskRecord, type TurnFigure, type WorkBy, type WorkFigures, type WorkOptions } from './tasks';

export const exportSchemaVersion = 1;

export interface ExportRow {
  key: string;
  kind: string;
  label: string;
  ref: string;
  agents: string;
  models: string;
  start: string;
  end: string;
  running: boolean;
  wallSeconds: number;
  activeSeconds: number;
  busySeconds: number;
  inputTokens: number;
  outputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  requests: number;
  apiUSD: number;
  costIsLowerBound: boolean;
  sessionHourUSD: number;
  subscriptionUSD: number | null;
  deadWeightUSD: number;
  unpricedTokens: number;
  unpricedModels: string;
  turns: number;
}

/** CSV columns, in order. Stable: new columns are only ever appended. */
export const csvColumns = [
  'key',
  'kind',
  'label',
  'ref',
  'agents',
  'models',
  'start',
  'end',
  'running',
  'wallSeconds',
  'activeSeconds',
  'busySeconds',
  'inputTokens',
  'outputTokens',
  'cacheWrite5mTokens',
  'cacheWrite1hTokens',
  'cacheReadTokens',
  'requests',
  'apiUSD',
  'costIsLowerBound',
  'sessionHourUSD',
  'subscriptionUSD',
  'deadWeightUSD',
  'unpricedTokens',
  'unpricedModels',
  'turns',
] as const satisfies readonly (keyof ExportRow)[];

export interface ExportDocument {
  schema: 'taximeter-cost-report';
  schemaVersion: number;
  generatedAt: string;
  by: WorkBy;
  range: { since: string | null; until: string | null; timeZone: string };
  priceTable: string;
  promptTextIncluded: boolean;
  totals: Omit<ExportRow, 'key' | 'kind' | 'label' | 'ref' | 'start' | 'end' | 'running'>;
  rows: (ExportRow & { topTurns: { prompt: string; start: string; costUSD: number; costIsLowerBound: boolean; tokens: number; session: string; gitBranch: string }[] })[];
}

const iso = (t: number | null): string => (t === null || !Number.isFinite(t) ? '' : new Date(t).toISOString());
const r10 = (n: number): number => roundTo(n, 10);
const r3 = (n: number): number => roundTo(n, 3);

export function toRow(f: WorkFigures): ExportRow {
  return {
    key: f.key,
    kind: f.kind,
    label: f.label,
    ref: f.ref ?? '',
    agents: f.agents.join(' '),
    models: f.models.join(' '),
    start: iso(f.start),
    end: iso(f.end),
    running: f.running,
    wallSeconds: r3(f.wallMs / 1000),
    activeSeconds: r3(f.activeMs / 1000),
    busySeconds: r3(f.busyMs / 1000),
    inputTokens: f.tokens.input,
    outputTokens: f.tokens.output,
    cacheWrite5mTokens: f.tokens.cacheWrite5m,
    cacheWrite1hTokens: f.tokens.cacheWrite1h,
    cacheReadTokens: f.tokens.cacheRead,
    requests: f.requests,
    apiUSD: r10(f.apiUSD),
    costIsLowerBound: f.lowerBound,
    sessionHourUSD: r10(f.sessionHourUSD),
    subscriptionUSD: f.subscriptionUSD === null ? null : r10(f.subscriptionUSD),
    deadWeightUSD: r10(f.deadWeightUSD),
    unpricedTokens: f.unpricedTokens,
    unpricedModels: f.unpricedModels.join(' '),
    turns: f.turns,
  };
}

function turnOut(t: TurnFigure, includePrompts: boolean): ExportDocument['rows'][number]['topTurns'][number] {
  return {
    prompt: includePrompts ? t.prompt : '',
    start: iso(t.start),
    costUSD: r10(t.costUSD),
    costIsLowerBound: t.lowerBound,
    tokens: t.tokens,
    session: t.sessionKey,
    gitBranch: t.gitBranch ?? '',
  };
}

export interface ExportMeta {
  by: WorkBy;
  since: number;
  until: number;
  timeZone: string;
  priceTable: string;
  now: number;
  includePrompts: boolean;
}

export function buildExport(figures: readonly WorkFigures[], meta: ExportMeta): ExportDocument {
  const rows = figures.map((f) => ({ ...toRow(f), label: meta.includePrompts || f.kind !== 'turn' ? f.label : '', topTurns: f.topTurns.map((t) => turnOut(t, meta.includePrompts)) }));
  const sum = (k: keyof ExportRow): number => rows.reduce((n, r) => n + (typeof r[k] === 'number' ? (r[k]) : 0), 0);
  const subs = rows.filter((r) => r.subscriptionUSD !== null);
  return {
    schema: 'taximeter-cost-report',
    schemaVersion: exportSchemaVersion,
    generatedAt: new Date(meta.now).toISOString(),
    by: meta.by,
    range: { since: Number.isFinite(meta.since) ? new Date(meta.since).toISOString() : null, until: Number.isFinite(meta.until) ? new Date(meta.until).toISOString() : null, timeZone: meta.timeZone },
    priceTable: meta.priceTable,
    promptTextIncluded: meta.includePrompts,
    totals: {
      agents: [...new Set(rows.flatMap((r) => r.agents.split(' ').filter(Boolean)))].sort().join(' '),
      models: [...new Set(rows.flatMap((r) => r.models.split(' ').filter(Boolean)))].sort().join(' '),
      wallSeconds: r3(sum('wallSeconds')),
      activeSeconds: r3(sum('activeSeconds')),
      busySeconds: r3(sum('busySeconds')),
      inputTokens: sum('inputTokens'),
      outputTokens: sum('outputTokens'),
      cacheWrite5mTokens: sum('cacheWrite5mTokens'),
      cacheWrite1hTokens: sum('cacheWrite1hTokens'),
      cacheReadTokens: sum('cacheReadTokens'),
      requests: sum('requests'),
      apiUSD: r10(sum('apiUSD')),
      costIsLowerBound: rows.some((r) => r.costIsLowerBound),
      sessionHourUSD: r10(sum('sessionHourUSD')),
      subscriptionUSD: subs.length > 0 ? r10(subs.reduce((n, r) => n + (r.subscriptionUSD ?? 0), 0)) : null,
      deadWeightUSD: r10(sum('deadWeightUSD')),
      unpricedTokens: sum('unpricedTokens'),
      unpricedModels: [...new Set(rows.flatMap((r) => r.unpricedModels.split(' ').filter(Boolean)))].sort().join(' '),
      turns: sum('turns'),
    },
    rows,
  };
}

/** RFC 4180: fields with a comma, quote, CR or LF are quoted, quotes doubled; CRLF line ends. */
export function csvField(v: string | number | boolean | null): string {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(doc: ExportDocument): string {
  const lines = [csvColumns.join(',')];
  for (const r of doc.rows) lines.push(csvColumns.map((c) => csvField(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Parse RFC 4180 CSV (for round-trip tests and users' tooling checks). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Markdown table cell: text only; pipes, backslashes and line breaks escaped; no HTML. */
function md(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;')).replace(/\r?\n/g, ' ');
}

export function toMarkdown(doc: ExportDocument): string {
  const t = doc.totals;
  const totalTokens = t.inputTokens + t.outputTokens + t.cacheWrite5mTokens + t.cacheWrite1hTokens + t.cacheReadTokens;
  const out: string[] = [];
  const titleBy = { task: 'tasks', turn: 'turns', session: 'sessions', branch: 'branches', day: 'days' }[doc.by];
  out.push(`# Taximeter cost report — by ${titleBy}`, '');
  out.push(`${doc.range.since ? `From ${doc.range.since}` : 'From the beginning'} ${doc.range.until ? `to ${doc.range.until}` : 'to now'} (${doc.range.timeZone}). Generated ${doc.generatedAt}.`, '');
  out.push('## Summary', '');
  out.push(`- **API-equivalent cost:** ${formatCost(t.apiUSD, t.costIsLowerBound)}${t.costIsLowerBound ? ` (lower bound: unpriced ${t.unpricedModels})` : ''}`);
  out.push(`- **Session-hour pricing:** ${formatCost(t.sessionHourUSD, t.costIsLowerBound)}`);
  if (t.subscriptionUSD !== null) out.push(`- **Share of the subscription fee:** ${formatCost(t.subscriptionUSD)}`);
  out.push(`- **Dead weight:** ${formatCost(t.deadWeightUSD)}`);
  out.push(`- **Tokens:** ${formatTokens(totalTokens)} in ${t.requests} requests, ${t.turns} turns`);
  out.push(`- **Time:** busy ${formatDuration(t.busySeconds * 1000)}, active ${formatDuration(t.activeSeconds * 1000)}, wall ${formatDuration(t.wallSeconds * 1000)}`);
  out.push(`- **Agents:** ${t.agents || '—'}; **models:** ${t.models || '—'}`, '');
  out.push(`Costs are computed with ${doc.priceTable} (or your overrides); see the README for what each figure means.`, '');
  out.push(`## ${titleBy[0]?.toUpperCase()}${titleBy.slice(1)}`, '');
  out.push('| | start | cost (API) | session-hour | dead weight | tokens | busy | turns |', '|---|---|--:|--:|--:|--:|--:|--:|');
  for (const r of doc.rows) {
    const tokens = r.inputTokens + r.outputTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens + r.cacheReadTokens;
    const label = `${r.label || '(no prompt text)'}${r.ref ? ` (${r.ref})` : ''}${r.running ? ' — running' : ''}`;
    out.push(`| ${md(label)} | ${r.start.slice(0, 16).replace('T', ' ')} | ${formatCost(r.apiUSD, r.costIsLowerBound)} | ${formatCost(r.sessionHourUSD)} | ${formatCost(r.deadWeightUSD)} | ${formatTokens(tokens)} | ${formatDuration(r.busySeconds * 1000)} | ${r.turns} |`);
  }
  const withTurns = doc.rows.filter((r) => r.topTurns.length > 0 && doc.by !== 'turn');
  if (withTurns.length > 0) {
    out.push('', '## Most expensive turns', '');
    for (const r of withTurns) {
      out.push(`### ${md(r.label || r.key)}`, '', '| prompt | start | cost | tokens |', '|---|---|--:|--:|');
      for (const x of r.topTurns) out.push(`| ${md(x.prompt || '(prompt text not kept)')} | ${x.start.slice(0, 16).replace('T', ' ')} | ${formatCost(x.costUSD, x.costIsLowerBound)} | ${formatTokens(x.tokens)} |`);
      out.push('');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

export type ExportFormat = 'md' | 'csv' | 'json';

export interface ExportRequest {
  by: WorkBy;
  format: ExportFormat;
  range: Range;
  tasks: readonly TaskRecord[];
  work: WorkOptions;
}

export interface ExportResult {
  content: string;
  rows: number;
  document: ExportDocument;
}

/** Figures, document and the chosen format's text, in one call (the worker and the CLI use it). */
export function exportReport(meter: Meter, req: ExportRequest): ExportResult {
  const figures = workFigures(meter, req.by, req.range, req.work, req.tasks);
  const document = buildExport(figures, {
    by: req.by,
    since: req.range.from,
    until: req.range.to,
    timeZone: req.work.calendar.timeZone,
    priceTable: priceTableLabel(),
    now: req.work.now,
    includePrompts: req.work.includePrompts,
  });
  const content = req.format === 'json' ? `${JSON.stringify(document, null, 2)}\n` : req.format === 'csv' ? toCsv(document) : toMarkdown(document);
  return { content, rows: document.rows.length, document };
}
