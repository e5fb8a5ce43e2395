/**
 * The comparison math: the same work priced per token, under a flat plan, and per running
 * session-hour. Small pure functions, each with a worked example in the tests.
 */

const hourMs = 3_600_000;

/** Runtime part of session-hour pricing: only busy (running) time is billed, to the millisecond. */
export function runtimeCost(busyMs: number, ratePerHour: number): number {
  return (busyMs / hourMs) * ratePerHour;
}

/** How many times the plan's fee the month's API-equivalent spend is worth. */
export function valueMultiple(monthApiUSD: number, feeUSD: number): number | null {
  return feeUSD > 0 ? monthApiUSD / feeUSD : null;
}

/** The work's share of the monthly fee: fee × its share of the month's API-equivalent spend. */
export function allocatedFee(feeUSD: number, workApiUSD: number, monthApiUSD: number): number {
  if (feeUSD <= 0 || monthApiUSD <= 0) return 0;
  return feeUSD * Math.min(1, workApiUSD / monthApiUSD);
}

/** The first day on which the month's cumulative API-equivalent spend reached the fee. */
export function breakEvenDay(daily: readonly { day: string; usd: number }[], feeUSD: number): string | null {
  if (feeUSD <= 0) return null;
  let sum = 0;
  for (const d of [...daily].sort((a, b) => a.day.localeCompare(b.day))) {
    sum += d.usd;
    if (sum >= feeUSD) return d.day;
  }
  return null;
}

/** A month at the current pace: month-to-date × days in month / days elapsed. */
export function projectMonth(monthToDate: number, elapsedDays: number, daysInMonth: number): number {
  if (elapsedDays <= 0) return monthToDate;
  return (monthToDate * daysInMonth) / elapsedDays;
}

export interface UsageWindow {
  start: number;
  end: number;
  prompts: number;
}

/**
 * Reconstruct rolling usage windows the way Claude and ChatGPT plans describe them: a window
 * starts with the first message and lasts `hours`; the next message after it starts a new one.
 */
export function reconstructWindows(promptTimes: readonly number[], hours: number): UsageWindow[] {
  const sorted = [...promptTimes].sort((a, b) => a - b);
  const out: UsageWindow[] = [];
  let cur: UsageWindow | undefined;
  for (const t of sorted) {
    if (!cur || t >= cur.end) {
      cur = { start: t, end: t + hours * hourMs, prompts: 0 };
      out.push(cur);
    }
    cur.prompts++;
  }
  return out;
}

/**
 * When the window's message allowance runs out at the current pace, if before the window ends;
 * null when it does not (or nothing is known).
 */
export function projectedExhaustion(w: UsageWindow, now: number, limitMessages: number | undefined): number | null {
  if (!limitMessages || now >= w.end || w.prompts <= 0) return null;
  if (w.prompts >= limitMessages) return now;
  const elapsed = Math.max(60_000, now - w.start);
  const rate = w.prompts / elapsed;
  const at = now + (limitMessages - w.prompts) / rate;
  return at < w.end ? at : null;
}

export type PriceScheme = 'api' | 'subscription' | 'sessionHour';

/** The cheapest of the schemes that apply (null values do not). */
export function cheapest(costs: Record<PriceScheme, number | null>): PriceScheme | null {
  let best: PriceScheme | null = null;
  for (const k of ['api', 'subscription', 'sessionHour'] as const) {
    const v = costs[k];
    if (v === null) continue;
    if (best === null || v < (costs[best] ?? Infinity)) best = k;
  }
  return best;
}
