import * as assert from 'node:assert/strict';
import { groupThousands, roundTo } from '../../src/core/format';
import { rng } from '../helpers';

describe('number formatting', () => {
  it('groupThousands writes what Intl en-US writes (whole numbers by hand, the rest through Intl)', () => {
    const intl = new Intl.NumberFormat('en-US');
    const samples = [0, -0, 1, -1, 12, 999, 1000, -1000, 12345, 999_999, 1_000_000, 21_609, 123_456_789, -987_654_321, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 60, 1.5, -2.25, 1234.5678, 0.0001, Number.NaN, Infinity, -Infinity];
    let seed = 5;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      samples.push(Math.floor((seed / 2147483648) * 10 ** (1 + (i % 15))) * (i % 2 ? -1 : 1));
    }
    for (const n of samples) assert.equal(groupThousands(n), intl.format(n), String(n));
  });

  it('roundTo(n, d) is Number(n.toFixed(d)) exactly: random values of every size, exact ties and their neighbours, -0, NaN, ±Infinity', () => {
    const r = rng(21);
    const bits = new Float64Array(1);
    const asInt = new BigInt64Array(bits.buffer);
    /** The doubles just below and above x. */
    const neighbours = (x: number): number[] => {
      bits[0] = x;
      const i = asInt[0] ?? 0n;
      asInt[0] = i - 1n;
      const down = bits[0];
      asInt[0] = i + 1n;
      return [down, bits[0]];
    };
    const samples: number[] = [0, -0, 0.5, -0.5, 1.5, 2.5, 0.05, 0.0005, 1e-11, -1e-11, 123.456, Number.NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, 1e21, 2 ** 40, 2 ** 40 + 0.5, 0.1 + 0.2];
    let fast = 0;
    for (let i = 0; i < 60_000; i++) {
      const d = [0, 1, 3, 6, 10, 12][i % 6] ?? 10;
      const scale = 10 ** Math.floor(r() * 16 - 6);
      const x = (r() - 0.3) * scale;
      samples.push(x);
      // A tie at d digits, and the doubles around it.
      const tie = (Math.floor(r() * 1e6) + 0.5) / 10 ** d;
      samples.push(tie, ...neighbours(tie), -tie);
    }
    for (const [i, n] of samples.entries()) {
      for (const d of i < 19 ? [0, 1, 3, 6, 10, 12] : [[0, 1, 3, 6, 10, 12][Math.floor(i / 5) % 6] ?? 10]) {
        const want = Number(n.toFixed(d));
        const got = roundTo(n, d);
        assert.ok(Object.is(got, want), `roundTo(${n}, ${d}) = ${got}, toFixed gives ${want}`);
        if (!Number.isInteger(n) && Math.abs(n * 10 ** d) < 2 ** 40) fast++;
      }
    }
    assert.ok(fast > 100_000, `most values take the fast path (${fast})`);
  });
});
