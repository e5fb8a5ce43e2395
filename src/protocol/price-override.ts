/**
 * A price override from the settings (`taximeter.prices`), USD per million tokens. The extension
 * host passes the entries on as written; the scanner worker keeps the valid ones.
 */
import * as z from 'zod';

export const priceOverrideSchema = z.object({
  model: z.string().min(1).max(200),
  input: z.number().nonnegative().max(10_000),
  output: z.number().nonnegative().max(10_000),
  cacheWrite5m: z.number().nonnegative().max(10_000).optional(),
  cacheWrite1h: z.number().nonnegative().max(10_000).optional(),
  cacheRead: z.number().nonnegative().max(10_000).optional(),
});

export type PriceOverrideSetting = z.infer<typeof priceOverrideSchema>;

/** The valid entries of `taximeter.prices`; each invalid one is named through `warn`. */
export function validPriceOverrides(entries: readonly unknown[], warn: (message: string) => void): PriceOverrideSetting[] {
  const out: PriceOverrideSetting[] = [];
  entries.forEach((p, i) => {
    const r = priceOverrideSchema.safeParse(p);
    if (r.success) out.push(r.data);
    else warn(`settings: taximeter.prices[${i}] ignored: ${r.error.issues[0]?.path.join('.') ?? ''} ${r.error.issues[0]?.message ?? ''}`);
  });
  return out;
}
