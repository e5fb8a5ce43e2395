/**
 * Which Claude Code hook events Taximeter installs, by client version. Pure.
 *
 * A 1.0.x client silently runs NO hook at all when its `hooks` block names one event it does not
 * know (../shared/formats/claude-code.md §6), so an installer may write only names the installed
 * version is known to support:
 * - 1.0.128 knows SessionStart, SessionEnd, UserPromptSubmit, Stop, SubagentStop, PreCompact (and
 *   tool/notification events we do not use); PostCompact is not among them.
 * - 2.1.330 knows all seven we use (seen firing).
 * Versions between were not observed: they get the 1.0.128 set, which every observed version runs.
 * An unknown version gets the same safe set.
 */

export const hookEvents = ['SessionStart', 'SessionEnd', 'UserPromptSubmit', 'Stop', 'SubagentStop', 'PreCompact', 'PostCompact'] as const;
export type HookEvent = (typeof hookEvents)[number];

/** Every client we know runs these. */
const safeEvents: readonly HookEvent[] = ['SessionStart', 'SessionEnd', 'UserPromptSubmit', 'Stop', 'SubagentStop', 'PreCompact'];

/** The first version seen running PostCompact. */
const postCompactSince = [2, 1, 330] as const;

export function parseVersion(text: string | undefined): [number, number, number] | undefined {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(text ?? '');
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function atLeast(v: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = v[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** The hook events to install for a client version (`2.1.330`, `1.0.128 (Claude Code)`, or unknown). */
export function supportedHookEvents(version: string | undefined): HookEvent[] {
  const v = parseVersion(version);
  if (v && atLeast(v, postCompactSince)) return [...hookEvents];
  return [...safeEvents];
}
