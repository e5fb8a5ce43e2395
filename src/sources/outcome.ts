/**
 * What parsing one record gave, and how a source folds it into its read result: events kept,
 * bad input counted (a few examples logged), never thrown.
 */
import type { MeterEvent } from '../core/usage';
import type { SourceHealth, SourceProblem } from './source';

export type RecordStatus = 'ok' | 'skipped' | 'malformed' | 'rejected';

export interface RecordOutcome {
  status: RecordStatus;
  events: MeterEvent[];
  reason?: string;
}

export const skipped: RecordOutcome = { status: 'skipped', events: [] };

export function ok(events: MeterEvent[]): RecordOutcome {
  return { status: 'ok', events };
}

export function rejected(reason: string): RecordOutcome {
  return { status: 'rejected', events: [], reason };
}

export function malformed(reason: string): RecordOutcome {
  return { status: 'malformed', events: [], reason };
}

/** Collects outcomes into events, health and a bounded number of problems. */
export class OutcomeSink {
  readonly events: MeterEvent[] = [];

  constructor(
    private readonly file: string,
    readonly health: SourceHealth,
    readonly problems: SourceProblem[],
  ) {}

  add(outcome: RecordOutcome): void {
    switch (outcome.status) {
      case 'ok':
        this.health.parsed++;
        for (const e of outcome.events) this.events.push(e);
        break;
      case 'skipped':
        this.health.skipped++;
        break;
      case 'malformed':
        this.health.malformed++;
        if (this.health.malformed <= 3) this.problems.push({ path: this.file, message: `malformed record skipped (${outcome.reason ?? 'invalid'})` });
        break;
      case 'rejected':
        this.health.rejected++;
        if (this.health.rejected <= 3) this.problems.push({ path: this.file, message: `record rejected: ${outcome.reason ?? 'invalid'}` });
        break;
    }
  }
}

/** JSON.parse that says why it failed instead of throwing; only objects pass. */
export function parseObject(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'not an object' };
  return { ok: true, value: raw as Record<string, unknown> };
}

const maxPromptChars = 120;

/** First line of a prompt, truncated, for labels. */
export function promptLabel(text: string): string {
  const line = text.trimStart().split('\n', 1)[0] ?? '';
  return line.length > maxPromptChars ? `${line.slice(0, maxPromptChars - 1)}…` : line;
}
