import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { calcPrice } from '@pydantic/genai-prices';
import { PriceBook, priceTable } from '../../src/core/pricing';
import type { TokenCounts } from '../../src/core/usage';
import { repoRoot } from '../helpers';

const ts = Date.parse('2026-11-22T12:00:00Z');

function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('PriceBook', () => {
  it('names the installed price table version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules/@pydantic/genai-prices/package.json'), 'utf8'));
    assert.equal(priceTable.version, pkg.version);
  });

  it('feeds genai-prices the whole prompt as input_tokens (Anthropic input excludes cache)', () => {
    const pb = new PriceBook();
    const t: TokenCounts = { input: 1000, output: 500, cacheWrite5m: 2000, cacheWrite1h: 0, cacheRead: 10000 };
    const usd = pb.price('claude-sonnet-4-5', 'anthropic', t, ts)?.usd;
    // sonnet 4.5 list: 3 / 15 / 3.75 / 0.30 per MTok
    const expected = (1000 * 3 + 500 * 15 + 2000 * 3.75 + 10000 * 0.3) / 1e6;
    assert.ok(usd !== undefined && Math.abs(usd - expected) < 1e-12, `${usd} vs ${expected}`);
  });

  it('prices 1-hour cache writes at their own rate', () => {
    const pb = new PriceBook();
    const t: TokenCounts = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 1_000, cacheRead: 0 };
    assert.ok(Math.abs((pb.price('claude-sonnet-4-5', 'anthropic', t, ts)?.usd ?? 0) - 6 / 1000) < 1e-12);
  });

  it('reprices the whole request above a long-context tier', () => {
    const pb = new PriceBook();
    const t: TokenCounts = { input: 150_000, output: 1_000, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 60_000 };
    // 210k prompt > 200k: sonnet 4.5 tier 6 / 22.5 / 0.6
    const expected = (150_000 * 6 + 1_000 * 22.5 + 60_000 * 0.6) / 1e6;
    assert.ok(Math.abs((pb.price('claude-sonnet-4-5', 'anthropic', t, ts)?.usd ?? 0) - expected) < 1e-12);
  });

  it('matches calcPrice exactly on random requests across providers and tiers', () => {
    const pb = new PriceBook();
    const r = rand(42);
    const models: [string, string][] = [
      ['claude-sonnet-4-5', 'anthropic'],
      ['claude-opus-4-5', 'anthropic'],
      ['claude-haiku-4-5', 'anthropic'],
      ['claude-sonnet-4-20250514', 'anthropic'],
      ['gpt-5.3-codex', 'openai'],
      ['gemini-2.5-pro', 'google'],
    ];
    let checked = 0;
    for (let i = 0; i < 600; i++) {
      const [model, provider] = models[i % models.length]!;
      const big = r() < 0.3;
      const t: TokenCounts = {
        input: Math.floor(r() * (big ? 300_000 : 20_000)),
        output: Math.floor(r() * 5_000),
        cacheWrite5m: provider === 'anthropic' ? Math.floor(r() * 30_000) : 0,
        cacheWrite1h: provider === 'anthropic' && r() < 0.3 ? Math.floor(r() * 10_000) : 0,
        cacheRead: Math.floor(r() * (big ? 200_000 : 50_000)),
      };
      const fast = pb.price(model, provider, t, ts)?.usd;
      const usage: Record<string, number> = {
        input_tokens: t.input + t.cacheWrite5m + t.cacheWrite1h + t.cacheRead,
        output_tokens: t.output,
        cache_read_tokens: t.cacheRead,
        cache_write_tokens: t.cacheWrite5m + t.cacheWrite1h,
        cache_write_1h_tokens: t.cacheWrite1h,
      };
      const exact = calcPrice(usage, model, { providerId: provider, timestamp: new Date(ts) })?.total_price;
      assert.ok(fast !== undefined && exact !== undefined, model);
      assert.ok(Math.abs(fast - exact) <= 1e-9 * Math.max(1, exact), `${model} ${JSON.stringify(t)}: ${fast} vs ${exact}`);
      checked++;
    }
    assert.equal(checked, 600);
  });

  it('prices each request in its own price period, whatever order requests of one model come in', () => {
    // claude-opus-4-6 changed price on 2026-03-13 (in the bundled table): requests on both sides
    // must each get their own period's price.
    const pb = new PriceBook();
    const change = Date.parse('2026-03-13T00:00:00Z');
    const t: TokenCounts = { input: 1_000_000, output: 1_000_000, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
    const exact = (model: string, at: number): number | undefined => calcPrice({ input_tokens: 1_000_000, output_tokens: 1_000_000 }, model, { providerId: 'anthropic', timestamp: new Date(at) })?.total_price;
    assert.notEqual(exact('claude-opus-4-6', change - 1), exact('claude-opus-4-6', change), 'the table still has the price change');
    const times = [change - 86_400_000, change + 1, change - 1, change, change + 86_400_000, change - 2, change + 2];
    const check = (model: string, at: number): void => {
      const want = exact(model, at);
      const got = pb.price(model, 'anthropic', t, at)?.usd;
      assert.ok(want !== undefined && got !== undefined && Math.abs(got - want) <= 1e-9 * want, `${model} at ${new Date(at).toISOString()}: ${got} vs ${want}`);
    };
    // One model's requests back to back across the change, both ways; then interleaved with another.
    for (const at of [...times, ...[...times].reverse()]) check('claude-opus-4-6', at);
    for (const at of [...times, ...[...times].reverse()]) for (const model of ['claude-opus-4-6', 'claude-opus-4-6', 'claude-sonnet-4-5']) check(model, at);
  });

  it('returns null (unpriced) for a model nobody prices, never 0', () => {
    const pb = new PriceBook();
    const t: TokenCounts = { input: 10, output: 10, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
    assert.equal(pb.price('claude-haiku-5-5', 'anthropic', t, ts), null);
    assert.equal(pb.price('totally-made-up-model', undefined, t, ts), null);
  });

  it('applies overrides, which add or replace a model (globs allowed)', () => {
    const pb = new PriceBook([
      { model: 'claude-haiku-5-5', input: 0.1, output: 0.5, cacheWrite5m: 0.125, cacheWrite1h: 0.2, cacheRead: 0.01 },
      { model: 'claude-sonnet-4-*', input: 1, output: 1, cacheRead: 1, cacheWrite5m: 1 },
    ]);
    const t: TokenCounts = { input: 11, output: 52, cacheWrite5m: 1705, cacheWrite1h: 0, cacheRead: 15327 };
    const r = pb.price('claude-haiku-5-5', 'anthropic', t, ts);
    assert.equal(r?.source, 'override');
    // The client's own cost for exactly these tokens in the subagent_models fixture.
    assert.ok(Math.abs((r?.usd ?? 0) - 0.000393495) < 1e-12);
    const s = pb.price('claude-sonnet-4-5', 'anthropic', { input: 1e6, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 }, ts);
    assert.equal(s?.source, 'override');
    assert.ok(Math.abs((s?.usd ?? 0) - 1) < 1e-12);
  });
});

describe('PriceBook, as V8 sees it', () => {
  it("a model's list prices do not share the hidden class of token counts (their fractions would turn every token count into boxed doubles)", () => {
    // V8 widens a field for every object of a hidden class: a price literal with the keys of
    // TokenCounts, in their order, made every token sum of the report allocate a heap number (a
    // cold 1.1 GB report allocated 10 MB more, and its report phase took 20% longer). Asked of V8
    // itself, in a process that may use its test intrinsics.
    const src = path.join(__dirname, '..', '..', 'src');
    const script = `const { PriceBook } = require(${JSON.stringify(path.join(src, 'core', 'pricing.js'))});
      const { toTokenCounts } = require(${JSON.stringify(path.join(src, 'sources', 'claude-code', 'parse.js'))});
      const info = new PriceBook().describe('claude-sonnet-4-5', 'anthropic', ${ts});
      const t = toTokenCounts({ input_tokens: 3, output_tokens: 200, cache_read_input_tokens: 19617 });
      process.stdout.write(JSON.stringify({ priced: info !== null && info.perMTok.input > 0 && !Number.isInteger(info.perMTok.cacheRead), sameClass: %HaveSameMap(info.perMTok, t) }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' })) as { priced: boolean; sameClass: boolean };
    assert.deepEqual(out, { priced: true, sameClass: false });
  });
});
