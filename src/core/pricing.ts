/**
 * Prices come from `@pydantic/genai-prices` (bundled data, offline; we never call its remote
 * update) plus the user's override layer (`taximeter.prices`). Nothing here is a hand-copied table.
 *
 * Semantics we feed the library (see ../../README.md "Pricing"):
 * - genai-prices' `input_tokens` is the WHOLE prompt (uncached + cache writes + cache reads); our
 *   `TokenCounts.input` is the uncached part only (Anthropic semantics), so we add them up.
 * - 1-hour cache writes are `cache_write_1h_tokens`, a subset of `cache_write_tokens`.
 * - A tier (long-context price) is chosen by the request's whole prompt and reprices every token of
 *   that request, output included. That is why requests are priced one by one, never in sums.
 *
 * `calcPrice` costs ~35 µs a call, too slow for years of history, so for each (model, price period,
 * tier) we derive the linear per-token rates FROM the library with a handful of probe calls and
 * cache them. A unit test checks the fast path against `calcPrice` on random requests.
 */
import type * as GenaiPrices from '@pydantic/genai-prices';
import type { PriceCalculation, Provider, Usage } from '@pydantic/genai-prices';
import { promptTokens, type TokenCounts } from './usage';

/**
 * The library is loaded on the first price asked for, not with this module: loading it evaluates its
 * whole table and builds its unit registry (25–40 ms), which would otherwise delay every start,
 * including the CLI's before it has handed its first files to the reading threads.
 */
let library: typeof GenaiPrices | undefined;
/** CommonJS's require, declared here: this module is also type-checked for the webview, which has no Node types. */
declare const require: (id: string) => unknown;
function calcPrice(...args: Parameters<typeof GenaiPrices.calcPrice>): ReturnType<typeof GenaiPrices.calcPrice> {
  library ??= require('@pydantic/genai-prices') as typeof GenaiPrices;
  return library.calcPrice(...args);
}

/** The bundled table. A unit test fails when the installed package differs, so this stays true. */
export const priceTable = { name: '@pydantic/genai-prices', version: '0.1.8', dataDate: '2026-09-23' } as const;

export function priceTableLabel(): string {
  return `${priceTable.name} ${priceTable.version} (data of ${priceTable.dataDate})`;
}

/** A user override: USD per million tokens. `model` is an exact id or a glob with `*`. */
export interface PriceOverride {
  model: string;
  input: number;
  output: number;
  cacheWrite5m?: number;
  cacheWrite1h?: number;
  cacheRead?: number;
}

/**
 * A model's list prices per million tokens. A class, not an object literal: a literal with the
 * keys of TokenCounts, in their order, would share its hidden class, and its fractional prices
 * would turn every token count's fields from small integers into boxed doubles (V8 widens a field
 * for every object of the class): the report then allocated a heap number for each token sum.
 */
class PerMTok {
  constructor(
    readonly input: number,
    readonly output: number,
    readonly cacheWrite5m: number,
    readonly cacheWrite1h: number,
    readonly cacheRead: number,
  ) {}
}

/** USD per token, for one tier of one model in one price period. */
interface Rates {
  fixed: number;
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

interface ResolvedModel {
  source: 'table' | 'override';
  /** The id the table knows the model by (may differ from what the agent wrote). */
  tableModelId: string;
  providerId: string;
  /** Tier starts (prompt tokens); a prompt strictly above a start uses the next tier. */
  boundaries: number[];
  rates: (Rates | undefined)[];
  /** Time-of-day prices cannot be cached per day: price each request with the library. */
  exactOnly: boolean;
  options: { providerId?: string; provider?: Provider };
  modelArg: string;
  /** [from, to) epoch ms in which these prices apply. */
  validity: [number, number];
  /** The table's context window, once asked (null: the table has none). */
  contextWindow?: number | null;
}

export interface PriceResult {
  usd: number;
  source: 'table' | 'override';
  tableModelId: string;
}

export interface ModelPriceInfo {
  model: string;
  source: 'table' | 'override';
  tableModelId: string;
  providerId: string;
  /** USD per million tokens in the base tier at the given time. */
  perMTok: { input: number; output: number; cacheWrite5m: number; cacheWrite1h: number; cacheRead: number };
  contextWindow?: number;
  tiers: number[];
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

function toLibraryUsage(t: TokenCounts): Usage {
  const cacheWrite = t.cacheWrite5m + t.cacheWrite1h;
  const usage: Usage = { input_tokens: promptTokens(t), output_tokens: t.output };
  if (t.cacheRead > 0) usage.cache_read_tokens = t.cacheRead;
  if (cacheWrite > 0) usage.cache_write_tokens = cacheWrite;
  if (t.cacheWrite1h > 0) usage.cache_write_1h_tokens = t.cacheWrite1h;
  return usage;
}

export class PriceBook {
  private readonly overrides: { re: RegExp; o: PriceOverride }[];
  private readonly cache = new Map<string, { from: number; to: number; resolved: ResolvedModel | null }[]>();
  private readonly warnings: string[] = [];

  constructor(overrides: readonly PriceOverride[] = []) {
    this.overrides = overrides.map((o) => ({ re: globToRegExp(o.model), o }));
  }

  /** Problems met while pricing (e.g. the library rejecting a usage shape); for the log. */
  drainWarnings(): string[] {
    return this.warnings.splice(0);
  }

  /**
   * Cost of one request, or null when no price is known for the model (unpriced, never $0).
   * `providerHint` is the provider the agent talks to (`anthropic`, `openai`, `google`).
   */
  price(model: string, providerHint: string | undefined, tokens: TokenCounts, timestamp: number): PriceResult | null {
    const resolved = this.resolve(model, providerHint, timestamp);
    if (!resolved) return null;
    if (resolved.exactOnly) {
      const r = this.calc(toLibraryUsage(tokens), resolved, timestamp);
      return r ? { usd: r.total_price, source: resolved.source, tableModelId: resolved.tableModelId } : null;
    }
    const prompt = promptTokens(tokens);
    let tier = 0;
    while (tier < resolved.boundaries.length && prompt > (resolved.boundaries[tier] ?? Infinity)) tier++;
    const rates = this.ratesFor(resolved, tier, timestamp);
    if (!rates) return null;
    const usd =
      rates.fixed +
      tokens.input * rates.input +
      tokens.output * rates.output +
      tokens.cacheWrite5m * rates.cacheWrite5m +
      tokens.cacheWrite1h * rates.cacheWrite1h +
      tokens.cacheRead * rates.cacheRead;
    return { usd, source: resolved.source, tableModelId: resolved.tableModelId };
  }

  /** Exact library price of one request (slow path; also what tests compare the fast path with). */
  priceExact(model: string, providerHint: string | undefined, tokens: TokenCounts, timestamp: number): number | null {
    const resolved = this.resolve(model, providerHint, timestamp);
    if (!resolved) return null;
    return this.calc(toLibraryUsage(tokens), resolved, timestamp)?.total_price ?? null;
  }

  /** Base-tier list prices of a model, for the panel's "why" column. */
  describe(model: string, providerHint: string | undefined, timestamp: number): ModelPriceInfo | null {
    const resolved = this.resolve(model, providerHint, timestamp);
    if (!resolved) return null;
    const rates = this.ratesFor(resolved, 0, timestamp);
    if (!rates) return null;
    const m = 1e6;
    // The window belongs to the resolved model (one price period): ask the library once.
    resolved.contextWindow ??= this.calc({ input_tokens: 1 }, resolved, timestamp)?.model.context_window ?? null;
    return {
      model,
      source: resolved.source,
      tableModelId: resolved.tableModelId,
      providerId: resolved.providerId,
      perMTok: new PerMTok(rates.input * m, rates.output * m, rates.cacheWrite5m * m, rates.cacheWrite1h * m, rates.cacheRead * m),
      contextWindow: resolved.contextWindow ?? undefined,
      tiers: resolved.boundaries,
    };
  }

  isPriced(model: string, providerHint: string | undefined, timestamp: number): boolean {
    return this.resolve(model, providerHint, timestamp) !== null;
  }

  /** The resolution asked for last: a cold scan prices tens of thousands of requests of a few models in a row. */
  private last: { model: string; providerHint: string | undefined; from: number; to: number; resolved: ResolvedModel | null } | undefined;

  private resolve(model: string, providerHint: string | undefined, timestamp: number): ResolvedModel | null {
    const last = this.last;
    if (last !== undefined && last.model === model && last.providerHint === providerHint && timestamp >= last.from && timestamp < last.to) return last.resolved;
    // A resolution is valid for the price period (the table's start-date constraints) holding it.
    const key = `${providerHint ?? ''}\u0000${model}`;
    let list = this.cache.get(key);
    if (!list) this.cache.set(key, (list = []));
    let entry = list.find((e) => timestamp >= e.from && timestamp < e.to);
    if (!entry) {
      const resolved = this.resolveUncached(model, providerHint, timestamp);
      const [from, to] = resolved ? resolved.validity : [-Infinity, Infinity];
      list.push((entry = { from, to, resolved }));
    }
    this.last = { model, providerHint, from: entry.from, to: entry.to, resolved: entry.resolved };
    return entry.resolved;
  }

  private resolveUncached(model: string, providerHint: string | undefined, timestamp: number): ResolvedModel | null {
    const override = this.overrides.find((o) => o.re.test(model))?.o;
    if (override) {
      const provider: Provider = {
        id: 'taximeter-override',
        name: 'Taximeter price override',
        api_pattern: '^$',
        models: [
          {
            id: model,
            match: { equals: model },
            prices: {
              input_mtok: override.input,
              output_mtok: override.output,
              cache_write_mtok: override.cacheWrite5m ?? override.input * 1.25,
              cache_write_1h_mtok: override.cacheWrite1h ?? override.cacheWrite5m ?? override.input * 2,
              cache_read_mtok: override.cacheRead ?? override.input * 0.1,
            },
          },
        ],
      };
      return this.build(model, { provider }, 'override', timestamp);
    }
    if (providerHint) {
      const withHint = this.build(model, { providerId: providerHint }, 'table', timestamp);
      if (withHint) return withHint;
    }
    return this.build(model, {}, 'table', timestamp);
  }

  private build(
    model: string,
    options: { providerId?: string; provider?: Provider },
    source: 'table' | 'override',
    timestamp: number,
  ): ResolvedModel | null {
    let probe: PriceCalculation | null;
    try {
      probe = calcPrice({ input_tokens: 1 }, model, { ...options, timestamp: new Date(timestamp) });
    } catch (error: unknown) {
      this.warnings.push(`price lookup for ${model} failed: ${String(error)}`);
      return null;
    }
    if (!probe) return null;
    const starts = new Set<number>();
    for (const value of Object.values(probe.model_price)) {
      if (value && typeof value === 'object' && Array.isArray(value.tiers)) {
        for (const t of value.tiers) starts.add(t.start);
      }
    }
    const prices = probe.model.prices;
    const exactOnly = Array.isArray(prices) && prices.some((p) => p.constraint?.type === 'time_of_date');
    // The start dates of the model's price periods bound where this resolution holds.
    let from = -Infinity;
    let to = Infinity;
    if (Array.isArray(prices)) {
      for (const p of prices) {
        if (p.constraint?.type !== 'start_date') continue;
        const start = Date.parse(p.constraint.start_date);
        if (!Number.isFinite(start)) continue;
        if (start <= timestamp) from = Math.max(from, start);
        else to = Math.min(to, start);
      }
    }
    return {
      source,
      tableModelId: probe.model.id,
      providerId: probe.provider.id,
      boundaries: [...starts].sort((a, b) => a - b),
      rates: [],
      exactOnly,
      options,
      modelArg: model,
      validity: exactOnly ? [-Infinity, Infinity] : [from, to],
    };
  }

  private calc(usage: Usage, r: ResolvedModel, timestamp: number): PriceCalculation | null {
    try {
      return calcPrice(usage, r.modelArg, { ...r.options, timestamp: new Date(timestamp) });
    } catch (error: unknown) {
      this.warnings.push(`price calculation for ${r.modelArg} failed: ${String(error)}`);
      return null;
    }
  }

  /** Derive the linear rates of one tier with probe requests whose prompt lies inside that tier. */
  private ratesFor(r: ResolvedModel, tier: number, timestamp: number): Rates | undefined {
    const cached = r.rates[tier];
    if (cached) return cached;
    const lower = tier === 0 ? 0 : (r.boundaries[tier - 1] ?? 0);
    const upper = r.boundaries[tier] ?? Infinity;
    // A prompt of X tokens, X in (lower, upper]; probes split it differently but keep X.
    const x = Number.isFinite(upper) ? Math.max(1, Math.min(upper, lower + 1_000_000)) : lower + 1_000_000;
    const h = Math.max(1, Math.floor(x / 2));
    const c = (u: Usage): number | undefined => this.calc(u, r, timestamp)?.total_price;
    const fixed = c({ input_tokens: 0 });
    const base = c({ input_tokens: x });
    const read = c({ input_tokens: x, cache_read_tokens: h });
    const w5 = c({ input_tokens: x, cache_write_tokens: h });
    const w1 = c({ input_tokens: x, cache_write_tokens: h, cache_write_1h_tokens: h });
    const out = c({ input_tokens: x, output_tokens: h });
    if ([fixed, base, read, w5, w1, out].some((v) => v === undefined)) return undefined;
    const f = fixed ?? 0;
    const input = ((base ?? 0) - f) / x;
    const rates: Rates = {
      fixed: f,
      input,
      cacheRead: input + ((read ?? 0) - (base ?? 0)) / h,
      cacheWrite5m: input + ((w5 ?? 0) - (base ?? 0)) / h,
      cacheWrite1h: input + ((w1 ?? 0) - (base ?? 0)) / h,
      output: ((out ?? 0) - (base ?? 0)) / h,
    };
    r.rates[tier] = rates;
    return rates;
  }
}
