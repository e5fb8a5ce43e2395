/**
 * Typed settings: read through zod with defaults, mirroring `contributes.configuration` in
 * package.json. A bad value falls back to its default and is logged, never thrown.
 */
import * as vscode from 'vscode';
import * as z from 'zod';
import { defaultSessionHourRate, planIds, type PlanSettings } from '../core/plans';
import { priceOverrideSchema } from '../protocol/price-override';

export const configSection = 'taximeter';

const settingsSchema = z.object({
  claudeCode: z.object({ configDirs: z.array(z.string()).catch([]) }).catch({ configDirs: [] }),
  idleThresholdMinutes: z.number().positive().max(24 * 60).catch(5),
  prices: z.array(z.unknown()).catch([]),
  privacy: z.object({ promptText: z.boolean().catch(true) }).catch({ promptText: true }),
  timeZone: z.string().catch(''),
  statusBar: z.object({ agents: z.enum(['current', 'sum']).catch('current') }).catch({ agents: 'current' }),
  plan: z.enum(planIds).catch('none'),
  customPlan: z
    .object({ feeUSD: z.number().nonnegative().optional().catch(undefined), windowHours: z.number().positive().optional().catch(undefined), windowMessages: z.number().positive().optional().catch(undefined) })
    .catch({}),
  sessionHourRate: z.number().nonnegative().max(1000).catch(defaultSessionHourRate),
  prematureCompactionPercent: z.number().min(0).max(100).catch(50),
  budget: z
    .object({
      taskUSD: z.number().nonnegative().catch(0),
      dayUSD: z.number().nonnegative().catch(0),
      monthUSD: z.number().nonnegative().catch(0),
      basis: z.enum(['api', 'sessionHour']).catch('api'),
    })
    .catch({ taskUSD: 0, dayUSD: 0, monthUSD: 0, basis: 'api' }),
});
export type Settings = Omit<z.infer<typeof settingsSchema>, 'prices'> & { prices: z.infer<typeof priceOverrideSchema>[] };

export function readSettings(log?: { warn(message: string): void }): Settings {
  const c = vscode.workspace.getConfiguration(configSection);
  const raw = {
    claudeCode: { configDirs: c.get('claudeCode.configDirs') },
    idleThresholdMinutes: c.get('idleThresholdMinutes'),
    prices: c.get('prices'),
    privacy: { promptText: c.get('privacy.promptText') },
    timeZone: c.get('timeZone'),
    statusBar: { agents: c.get('statusBar.agents') },
    plan: c.get('plan'),
    customPlan: { feeUSD: c.get('customPlan.feeUSD'), windowHours: c.get('customPlan.windowHours'), windowMessages: c.get('customPlan.windowMessages') },
    sessionHourRate: c.get('sessionHourRate'),
    prematureCompactionPercent: c.get('deadWeight.prematureCompactionPercent'),
    budget: { taskUSD: c.get('budget.taskUSD'), dayUSD: c.get('budget.dayUSD'), monthUSD: c.get('budget.monthUSD'), basis: c.get('budget.basis') },
  };
  const parsed = settingsSchema.safeParse(raw);
  const base = parsed.success ? parsed.data : settingsSchema.parse({});
  if (!parsed.success) log?.warn(`settings: ${parsed.error.issues[0]?.message ?? 'invalid'}; using defaults`);
  // Keep every valid price override; name the invalid ones.
  const prices: Settings['prices'] = [];
  base.prices.forEach((p, i) => {
    const r = priceOverrideSchema.safeParse(p);
    if (r.success) prices.push(r.data);
    else log?.warn(`settings: taximeter.prices[${i}] ignored: ${r.error.issues[0]?.path.join('.') ?? ''} ${r.error.issues[0]?.message ?? ''}`);
  });
  return { ...base, prices };
}

export function planSettings(s: Settings): PlanSettings {
  return { id: s.plan, customFeeUSD: s.customPlan.feeUSD, customWindowHours: s.customPlan.windowHours, customWindowMessages: s.customPlan.windowMessages };
}
