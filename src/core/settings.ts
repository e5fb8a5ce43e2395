/**
 * The `taximeter.*` settings, typed, from whatever the editor returns (package.json
 * `contributes.configuration` is their schema; users can still write anything in settings.json).
 * A value of the wrong type or out of range falls back to its default and is named in the log;
 * nothing is thrown. Plain checks, no validation library: this runs at activation, where loading
 * zod alone took more CPU time than the rest of the extension (measured: 28 of 44 ms).
 * Price overrides are passed on as written; the scanner worker validates them (with zod) and logs
 * the ones it ignores.
 */
import { defaultSessionHourRate, planIds, type PlanId, type PlanSettings } from './plans';

export interface Settings {
  claudeCode: { configDirs: string[] };
  idleThresholdMinutes: number;
  /** `taximeter.prices` entries as written (validated by the worker). */
  prices: unknown[];
  privacy: { promptText: boolean };
  timeZone: string;
  statusBar: { agents: 'current' | 'sum' };
  plan: PlanId;
  customPlan: { feeUSD?: number; windowHours?: number; windowMessages?: number };
  sessionHourRate: number;
  prematureCompactionPercent: number;
  budget: { taskUSD: number; dayUSD: number; monthUSD: number; basis: 'api' | 'sessionHour' };
}

/** A setting's value by its key under `taximeter.` (vscode's `getConfiguration('taximeter').get`). */
export type SettingGetter = (key: string) => unknown;

export function settingsFrom(get: SettingGetter, warn?: (message: string) => void): Settings {
  /** The value if `ok` says so; else the fallback, logged when something was written. */
  const read = <T>(key: string, ok: (v: unknown) => v is T, fallback: T): T => {
    const v = get(key);
    if (ok(v)) return v;
    if (v !== undefined && v !== null) warn?.(`settings: taximeter.${key} ignored (${JSON.stringify(v)?.slice(0, 80) ?? typeof v}); using ${JSON.stringify(fallback) ?? 'none'}`);
    return fallback;
  };
  const number =
    (min: number, max: number, minOpen = false) =>
    (v: unknown): v is number =>
      typeof v === 'number' && Number.isFinite(v) && (minOpen ? v > min : v >= min) && v <= max;
  const oneOf =
    <T extends string>(values: readonly T[]) =>
    (v: unknown): v is T =>
      typeof v === 'string' && (values as readonly string[]).includes(v);
  const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
  const isString = (v: unknown): v is string => typeof v === 'string';
  const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
  const positive = number(0, Infinity, true);
  const nonNegative = number(0, Infinity);
  return {
    claudeCode: { configDirs: read('claudeCode.configDirs', isStrings, []) },
    idleThresholdMinutes: read('idleThresholdMinutes', number(0, 24 * 60, true), 5),
    prices: read('prices', isArray, []),
    privacy: { promptText: read('privacy.promptText', isBoolean, true) },
    timeZone: read('timeZone', isString, ''),
    statusBar: { agents: read('statusBar.agents', oneOf(['current', 'sum'] as const), 'current') },
    plan: read('plan', oneOf(planIds), 'none'),
    customPlan: {
      feeUSD: read<number | undefined>('customPlan.feeUSD', nonNegative, undefined),
      windowHours: read<number | undefined>('customPlan.windowHours', positive, undefined),
      windowMessages: read<number | undefined>('customPlan.windowMessages', positive, undefined),
    },
    sessionHourRate: read('sessionHourRate', number(0, 1000), defaultSessionHourRate),
    prematureCompactionPercent: read('deadWeight.prematureCompactionPercent', number(0, 100), 50),
    budget: {
      taskUSD: read('budget.taskUSD', nonNegative, 0),
      dayUSD: read('budget.dayUSD', nonNegative, 0),
      monthUSD: read('budget.monthUSD', nonNegative, 0),
      basis: read('budget.basis', oneOf(['api', 'sessionHour'] as const), 'api'),
    },
  };
}

export function planSettings(s: Settings): PlanSettings {
  return { id: s.plan, customFeeUSD: s.customPlan.feeUSD, customWindowHours: s.customPlan.windowHours, customWindowMessages: s.customPlan.windowMessages };
}
