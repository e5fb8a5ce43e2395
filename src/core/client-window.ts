/**
 * The real subscription window, as the client reports it (Claude Code's status line `rate_limits`,
 * subscription logins only, through Connect): five-hour and seven-day used percentage and reset
 * time. The latest report across sessions wins (the limits are the account's, not a session's).
 */
import type { Meter } from './meter';
import type { AgentId, RateWindow } from './usage';

export interface ClientWindow {
  agent: AgentId;
  fiveHour?: RateWindow;
  sevenDay?: RateWindow;
  /** When the client reported it (epoch ms). */
  reportedAt: number;
  sessionId: string;
}

export function latestClientWindow(meter: Meter, now: number, agents?: readonly AgentId[]): ClientWindow | undefined {
  let best: ClientWindow | undefined;
  for (const s of meter.sessions.values()) {
    if (agents && !agents.includes(s.agent)) continue;
    const st = s.connect?.status;
    if (!st?.rateLimits || (best && st.ts <= best.reportedAt)) continue;
    best = { agent: s.agent, fiveHour: st.rateLimits.fiveHour, sevenDay: st.rateLimits.sevenDay, reportedAt: st.ts, sessionId: s.id };
  }
  if (!best) return undefined;
  // A window that has reset since the report says nothing about now.
  const live = (w: RateWindow | undefined): RateWindow | undefined => (w && (w.resetsAt === undefined || w.resetsAt > now) ? w : undefined);
  const fiveHour = live(best.fiveHour);
  const sevenDay = live(best.sevenDay);
  return fiveHour || sevenDay ? { ...best, fiveHour, sevenDay } : undefined;
}

/** When the five-hour window runs out at the pace so far (linear from its start), if before it resets. */
export function projectedWindowEnd(w: RateWindow, reportedAt: number, windowMs: number): number | null {
  if (w.resetsAt === undefined || !(w.usedPercent > 0)) return null;
  const start = w.resetsAt - windowMs;
  const elapsed = reportedAt - start;
  if (elapsed <= 0) return null;
  const at = start + (elapsed * 100) / w.usedPercent;
  return at < w.resetsAt ? at : null;
}
