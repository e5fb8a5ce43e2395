import * as assert from 'node:assert/strict';
import { runCli } from '../../src/cli/main';
import { PieceWriter, stringifyInPieces } from '../../src/core/json-pieces';
import { claudeFixture, rng, tempDir } from '../helpers';

function pieces(value: unknown, depth?: number): { text: string; count: number; returned: boolean } {
  const out: string[] = [];
  const returned = stringifyInPieces(value, (p) => out.push(p), depth);
  return { text: out.join(''), count: out.length, returned };
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('JSON in pieces', () => {
  it('is JSON.stringify, at every depth, for the values JSON treats specially', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.a = 1;
    bare.b = [bare.a, 'x'];
    const holes = [1, , 3]; // eslint-disable-line no-sparse-arrays
    const values: unknown[] = [
      { a: 1, b: 'two', c: [3, 4, { d: 5 }], e: { f: { g: { h: [6] } } } },
      { skipped: undefined, fn: () => 1, sym: Symbol('s'), kept: null, after: 1 },
      { first: undefined, second: 2 },
      { only: undefined },
      [undefined, () => 1, Symbol('s'), null, NaN, Infinity, -0, 1e21, 0.1 + 0.2],
      holes,
      [],
      {},
      [[], {}, [[]], { a: {} }],
      { when: new Date(Date.UTC(2026, 10, 23)), point: new Point(1, 2), boxed: new Number(3), text: new String('t') },
      { hidden: { toJSON: () => undefined }, shown: { toJSON: () => ({ x: 1 }) }, list: [{ toJSON: () => undefined }] },
      new Date(0),
      { toJSON: () => [1, 2] },
      bare,
      { '2': 'integer keys first', b: 1, '1': 0, 'quote"and\\slash': '\u2028 — 😀 \ud800 \n\t' },
      'a string',
      42,
      null,
      true,
    ];
    for (const v of values)
      for (const depth of [0, 1, 2, 3, 5]) assert.equal(pieces(v, depth).text, JSON.stringify(v), `${JSON.stringify(v)} at depth ${depth}`);
  });

  it('puts nothing and says so where JSON.stringify gives undefined', () => {
    for (const v of [undefined, () => 1, Symbol('s'), { toJSON: () => undefined }]) assert.deepEqual(pieces(v), { text: '', count: 0, returned: false });
  });

  it('opens containers only down to the depth asked: below it a value is one piece', () => {
    const report = { sessions: Array.from({ length: 50 }, (_, i) => ({ id: `s${i}`, tokens: { input: i, output: 2 * i } })), totals: { tokens: 1 } };
    // Depth 1: `{`, `"sessions":[…]`, `,"totals":{…}`, `}`.
    assert.equal(pieces(report, 1).count, 4);
    // Depth 2 (the default): `{`, `"sessions":`, `[`, each session and a comma between two, `]`,
    // `,"totals":`, `{`, `"tokens":1`, `}`, `}`.
    assert.equal(pieces(report).count, 3 + 50 + 49 + 1 + 5);
    assert.equal(pieces(report).text, JSON.stringify(report));
  });

  it('a report through the CLI is the same bytes as JSON.stringify of the same report, as text or as bytes, by every key', async () => {
    const run = async (extra: string[]): Promise<string> => {
      let out = '';
      const chunks: Buffer[] = [];
      const env = { HOME: tempDir() };
      const now = Date.parse('2026-11-23T00:00:00Z');
      const args = ['report', '--json', '--no-cache', '--claude-dir', claudeFixture('compact_manual'), '--claude-dir', claudeFixture('subagent_models'), '--tz', 'UTC', ...extra];
      assert.equal(await runCli(args, { out: (t) => (out += t), err: () => undefined, env, now }), 0);
      // With a byte writer (what bin.ts gives), the text comes as bytes.
      assert.equal(await runCli(args, { out: () => assert.fail('bytes expected'), outBytes: (b) => chunks.push(Buffer.from(b)), err: () => undefined, env, now }), 0);
      assert.equal(Buffer.concat(chunks).toString('utf8'), out);
      return out;
    };
    const compact = await run([]);
    assert.ok(compact.includes('—'), 'the report has text beyond ASCII (dead weight details)');
    const doc: unknown = JSON.parse(compact);
    assert.equal(compact, `${JSON.stringify(doc)}\n`);
    for (const by of ['day', 'model', 'project', 'agent']) {
      const text = await run(['--by', by]);
      assert.equal(text, `${JSON.stringify(JSON.parse(text))}\n`, by);
    }
  });
});

describe('PieceWriter', () => {
  it('hands on every byte in order, each hand-over whole characters, through a buffer smaller than some pieces', () => {
    const next = rng(8);
    const alphabet = ['a', 'é', '—', '😀', '"', '\n', 'z', '\u2028'];
    for (const size of [8, 16, 64, 1024]) {
      const all: string[] = [];
      const got: Buffer[] = [];
      const writer = new PieceWriter((bytes) => {
        const copy = Buffer.from(bytes);
        assert.ok(!copy.toString('utf8').includes('\ufffd'), 'no character cut in two');
        got.push(copy);
      }, size);
      for (let i = 0; i < 400; i++) {
        const piece = Array.from({ length: Math.floor(next() * 12) }, () => alphabet[Math.floor(next() * alphabet.length)] ?? '').join('');
        all.push(piece);
        writer.put(piece);
      }
      writer.end();
      assert.equal(Buffer.concat(got).toString('utf8'), all.join(''), `buffer of ${size}`);
    }
  });
});
