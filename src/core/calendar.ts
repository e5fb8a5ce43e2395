/**
 * Calendar buckets in the user's time zone. Days are local calendar days (DST-safe: a day is the
 * local date of the instant, never "timestamp / 86400000").
 */
export interface Calendar {
  /** Local date `YYYY-MM-DD` of an instant. */
  dayKey(ts: number): string;
  /** Local month `YYYY-MM` of an instant. */
  monthKey(ts: number): string;
  /** Epoch ms of the local midnight that starts the day holding `ts`. */
  startOfDay(ts: number): number;
  /** Epoch ms of the local midnight that starts the month holding `ts`. */
  startOfMonth(ts: number): number;
  /** Number of days in the local month holding `ts`. */
  daysInMonth(ts: number): number;
  timeZone: string;
}

interface Parts { y: number; m: number; d: number; hh: number; mm: number; ss: number }

/** A calendar for an IANA zone; `undefined` = the process's zone. */
export function createCalendar(timeZone?: string): Calendar {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    hourCycle: 'h23',
  });
  const zone = fmt.resolvedOptions().timeZone;
  const cache = new Map<number, Parts>();
  const parts = (ts: number): Parts => {
    // Cache per minute; offsets change on minute boundaries at most.
    const minute = Math.floor(ts / 60_000);
    let p = cache.get(minute);
    if (!p) {
      const o: Record<string, string> = {};
      for (const part of fmt.formatToParts(new Date(minute * 60_000))) o[part.type] = part.value;
      p = { y: Number(o.year), m: Number(o.month), d: Number(o.day), hh: Number(o.hour), mm: Number(o.minute), ss: Number(o.second) };
      if (cache.size > 50_000) cache.clear();
      cache.set(minute, p);
    }
    return p;
  };
  const pad = (n: number): string => String(n).padStart(2, '0');
  /** Epoch of local wall time y-m-d 00:00 (searching the offset, so DST gaps are handled). */
  const localMidnight = (y: number, m: number, d: number): number => {
    let guess = Date.UTC(y, m - 1, d);
    for (let i = 0; i < 3; i++) {
      const p = parts(guess);
      const asUtc = Date.UTC(p.y, p.m - 1, p.d, p.hh, p.mm, p.ss);
      const offset = asUtc - guess;
      const next = Date.UTC(y, m - 1, d) - offset;
      if (next === guess) break;
      guess = next;
    }
    return guess;
  };
  return {
    timeZone: zone,
    dayKey(ts) {
      const p = parts(ts);
      return `${p.y}-${pad(p.m)}-${pad(p.d)}`;
    },
    monthKey(ts) {
      const p = parts(ts);
      return `${p.y}-${pad(p.m)}`;
    },
    startOfDay(ts) {
      const p = parts(ts);
      return localMidnight(p.y, p.m, p.d);
    },
    startOfMonth(ts) {
      const p = parts(ts);
      return localMidnight(p.y, p.m, 1);
    },
    daysInMonth(ts) {
      const p = parts(ts);
      return new Date(Date.UTC(p.y, p.m, 0)).getUTCDate();
    },
  };
}
