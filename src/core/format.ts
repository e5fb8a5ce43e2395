/**
 * Formatting shared by the status bar, the panel, the CLI and the reports.
 */
import type { TokenCounts } from './usage';

let enUS: Intl.NumberFormat | undefined;

/**
 * `21,609`: what `n.toLocaleString('en-US')` gives. Whole numbers (token counts: nearly every call)
 * are grouped here — the first use of Intl costs a cold CLI run 5–10 ms; anything else goes
 * through one formatter made once.
 */
export function groupThousands(n: number): string {
  if (Number.isSafeInteger(n) && !Object.is(n, -0)) {
    const digits = String(Math.abs(n));
    let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
    for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
    return n < 0 ? `-${out}` : out;
  }
  return (enUS ??= new Intl.NumberFormat('en-US')).format(n);
}

/** `$1.84`, `$0.0042`, `≥$1.84` for a lower bound; never rounds a non-zero cost to `$0.00`. */
export function formatCost(usd: number, lowerBound = false): string {
  const prefix = lowerBound ? '≥' : '';
  const abs = Math.abs(usd);
  let body: string;
  if (abs === 0) body = '0.00';
  else if (abs < 0.01) body = abs.toPrecision(2);
  else if (abs < 1000) body = abs.toFixed(2);
  else body = groupThousands(Math.round(abs));
  return `${prefix}${usd < 0 ? '-' : ''}$${body}`;
}

/** `412k`, `1.2M`, `950`. */
export function formatTokens(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1000) return String(Math.round(n));
  if (abs < 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (abs < 1_000_000) return `${Math.round(n / 1000)}k`;
  if (abs < 10_000_000) return `${(n / 1_000_000).toFixed(2)}M`;
  if (abs < 1_000_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  return `${(n / 1_000_000_000).toFixed(2)}B`;
}

/** `950 B`, `1.2 MB`, `3.4 GB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** `12m`, `1h 05m`, `42s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

export function sumTokens(t: TokenCounts): number {
  return t.input + t.output + t.cacheWrite5m + t.cacheWrite1h + t.cacheRead;
}

/** A plain-text table with right-aligned numeric columns. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], numeric: readonly boolean[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(headers), sep, ...rows.map(line)].join('\n');
}

const powersOfTen = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];

/**
 * `Number(n.toFixed(digits))` — the same value, without building a string in the common case (a
 * report rounds tens of thousands of figures). n × 10^digits below 2^40 is exact to within 2^-14;
 * unless that puts it within 10^-3 of a tie, its nearest integer k is toFixed's, and k / 10^digits
 * is the double nearest that decimal, as Number() of the string is. Anything else takes toFixed.
 */
export function roundTo(n: number, digits: number): number {
  if (Number.isInteger(n)) return n === 0 ? 0 : n;
  const p = powersOfTen[digits];
  if (p !== undefined) {
    const x = n * p;
    if (Math.abs(x) < 1_099_511_627_776 && Math.abs(Math.abs(x - Math.trunc(x)) - 0.5) > 1e-3) return Math.round(x) / p;
  }
  return Number(n.toFixed(digits));
}
