/**
 * Typed settings: read through zod with defaults, mirroring `contributes.configuration` in
 * package.json. A bad value falls back to its default and is logged, never thrown.
 */
import * as vscode from 'vscode';
import { z } from 'zod';
import { priceOverrideSchema } from '../engine/worker-protocol';

export const configSection = 'taximeter';

const settingsSchema = z.object({
  claudeCode: z.object({ configDirs: z.array(z.string()).catch([]) }).catch({ configDirs: [] }),
  idleThresholdMinutes: z.number().positive().max(24 * 60).catch(5),
  prices: z.array(z.unknown()).catch([]),
  privacy: z.object({ promptText: z.boolean().catch(true) }).catch({ promptText: true }),
  timeZone: z.string().catch(''),
  statusBar: z.object({ agents: z.enum(['current', 'sum']).catch('current') }).catch({ agents: 'current' }),
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
