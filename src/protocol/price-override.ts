/**
 * A price override from the settings (`taximeter.prices`), USD per million tokens. Its own module:
 * the extension host validates settings with it at activation without loading the worker protocol.
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
