import * as assert from 'node:assert/strict';
import { groupThousands } from '../../src/core/format';

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
});
