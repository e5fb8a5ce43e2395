import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { claudeLineFilter, claudeLineSkippable, transcriptFilter } from '../../src/sources/claude-code/filter';
import { emptyCursor, tailRaw, type TailOptions, type TailResult } from '../../src/sources/tail';
import { LineFilterId, lineScanner, type LineScanner } from '../../src/wasm/lines';
import { fixtureLines, rng, tempDir } from '../helpers';

/** tail.ts's verdict on one line (the specification the scanner must match). */
function jsVerdict(line: Buffer, maxLine: number): 'kept' | 'filtered' | 'malformed' | 'oversized' | 'none' {
  if (line.length === 0) return 'none';
  if (line.length > maxLine) return 'oversized';
  const s = line.toString('latin1');
  const t = s.replace(/^[ \t]*/, '').replace(/[ \t\r]*$/, '');
  if (!(t.length >= 2 && t.startsWith('{') && t.endsWith('}'))) return /^[ \t\r]*$/.test(s) ? 'none' : 'malformed';
  return claudeLineFilter(line, 0, line.length) ? 'kept' : 'filtered';
}

/** The scanner's verdict on one line, alone in a chunk. */
function wasmVerdict(scanner: LineScanner, line: Buffer, maxLine: number): string {
  line.copy(scanner.chunk, 0);
  scanner.chunk[line.length] = 10;
  const kept = scanner.scan(0, line.length + 1, maxLine, Infinity, LineFilterId.Claude);
  assert.equal(scanner.next, line.length + 1);
  if (kept === 1) {
    assert.deepEqual([scanner.keptStart[0], scanner.keptEnd[0]], [0, line.length]);
    return 'kept';
  }
  return scanner.filtered ? 'filtered' : scanner.malformed ? 'malformed' : scanner.oversized ? 'oversized' : 'none';
}

/** Fixture lines and variants of them made to hit the filter's edges. */
function trickyLines(seed: number): Buffer[] {
  const r = rng(seed);
  const base = fixtureLines().map((f) => f.line);
  const made = [
    '',
    ' ',
    '\r',
    ' \t\r',
    '{}',
    '{',
    '}',
    '{ }',
    'not json',
    '  {"type":"assistant"}  \r',
    '\t{"type":"user"}',
    '{"type":"assistant"',
    '{"type":"assistan"}',
    '{"type":"queue-operation","operation":"enqueue","content":"/clear"}',
    '{"type":"queue-operation","operation":"enqueue","content":"/compact"}',
    '{"type":"queue-operation"}',
    '{"type":"cost-state","x":1}',
    '{"type":"file-history-snapshot","snapshot":{"type":"assistant"}}',
    '{"parentUuid":null,"isSidechain":true,"agentId":"a1","attachment":{"type":"x"}}',
    '{"parentUuid":"p","isSidechain":false,"attachment":{}}',
    '{"parentUuid":"p\\"x","isSidechain":false,"attachment":{}}',
    '{"parentUuid":"p","isSidechain":false,"attachment":"text"}',
    '{"parentUuid":"p","isSidechain":maybe,"attachment":{}}',
    '{"parentUuid":"p","isSidechain":false,"agentId":"a\\"b","attachment":{}}',
    '{"parentUuid":"p","isSidechain":false,"message":{"attachment":{}}}',
    '{"parentUuid":"p","isSidechain":false,"attach}',
    '{"parentUuid":}',
    '{"uuid":"u","type":"system"}',
    '{"uuid":"u","x":"\\"type\\":\\"user\\""}',
    '{"uuid":"u","type":"summary"}',
    '{"uuid":"u","y":"type","type":"x","z":{"type":"cost-state"}}',
    '{"a":"type":"user"}',
    '{"a":1,"type":"',
    '{"a":1,"type":"}',
    '{"a":1,"type":"user}',
    '{"a":1,"type":"user"}',
    `{"a":"${'é'.repeat(40)}","type":"assistant"}`,
  ].map((s) => Buffer.from(s));
  const variants: Buffer[] = [];
  for (const line of base) {
    variants.push(Buffer.from(line));
    const b = Buffer.from(line);
    const cut = Math.floor(r() * b.length);
    variants.push(b.subarray(0, cut));
    variants.push(Buffer.concat([Buffer.from(' \t'.slice(0, 1 + Math.floor(r() * 2))), b, Buffer.from(r() < 0.5 ? '\r' : ' ')]));
    // The pattern the filter searches for, moved to the very end or cut short there.
    variants.push(Buffer.from(`${line.slice(0, -1)},"z":{"type":"${['user"', 'assistant"', 'us', 'system', ''][Math.floor(r() * 5)]}}`));
    const flipped = Buffer.from(b);
    for (let k = 0; k < 3; k++) flipped[Math.floor(r() * flipped.length)] = [0x22, 0x7b, 0x7d, 0x3a, 0x5c, 0x20, 0xc3][Math.floor(r() * 7)] ?? 0x20;
    variants.push(flipped);
  }
  return [...made, ...variants];
}

describe('the wasm line scanner', () => {
  it('judges every line as tail.ts and the Claude Code byte filter do: fixture lines, their variants and edge cases', () => {
    const scanner = lineScanner();
    assert.ok(scanner, 'WebAssembly is available here');
    const counts = new Map<string, number>();
    for (const seed of [1, 2, 3]) {
      for (const line of trickyLines(seed)) {
        for (const maxLine of [1 << 30, 40]) {
          const want = jsVerdict(line, maxLine);
          assert.equal(wasmVerdict(scanner, line, maxLine), want, `${line.toString('latin1').slice(0, 160)} (maxLine ${maxLine})`);
          counts.set(want, (counts.get(want) ?? 0) + 1);
        }
      }
    }
    for (const v of ['kept', 'filtered', 'malformed', 'oversized', 'none']) assert.ok((counts.get(v) ?? 0) > 5, `${v}: ${counts.get(v)}`);
  });

  it('reads a file to the same lines, counts and cursor as the JavaScript path: chunk edges, budgets, limits and a full list', () => {
    const dir = tempDir();
    const r = rng(7);
    const lines = trickyLines(11);
    // ~3 MB: lines across 512 KB chunk edges, long ones, a run of short kept lines (more than one call's list).
    const parts: Buffer[] = [];
    for (let i = 0; i < 4000; i++) parts.push(lines[Math.floor(r() * lines.length)] ?? Buffer.alloc(0), Buffer.from('\n'));
    parts.push(Buffer.from(`{"type":"user","blob":"${'x'.repeat(700 * 1024)}"}\n`));
    for (let i = 0; i < 30_000; i++) parts.push(Buffer.from('{"type":"user"}\n'));
    parts.push(Buffer.from(`{"type":"snapshot","blob":"${'s'.repeat(600 * 1024)}"}\n`));
    for (let i = 0; i < 2000; i++) parts.push(lines[Math.floor(r() * lines.length)] ?? Buffer.alloc(0), Buffer.from('\n'));
    parts.push(Buffer.from('{"type":"assistant","unterminated":true}'));
    const file = path.join(dir, 't.jsonl');
    fs.writeFileSync(file, Buffer.concat(parts));
    const size = fs.statSync(file).size;
    assert.ok(size > 3 * 512 * 1024);

    const js: TailOptions = { filter: claudeLineFilter, skipHead: claudeLineSkippable };
    const read = (options: TailOptions): { lines: string[]; results: TailResult[] } => {
      const got: string[] = [];
      const results: TailResult[] = [];
      let cursor = emptyCursor();
      for (let round = 0; round < 100_000; round++) {
        const res = tailRaw(file, cursor, (b, s, e) => got.push(b.toString('latin1', s, e)), options);
        results.push(res);
        if (res.cursor.offset === cursor.offset && res.status !== 'rewritten') break;
        cursor = res.cursor;
        if (!res.stopped && options.budgetBytes === undefined) break;
      }
      return { lines: got, results };
    };
    let kept = 0;
    for (const extra of [{}, { maxLineBytes: 5000 }, { stopAfterBytes: 300_000 }, { stopAfterBytes: 20_000 }, { budgetBytes: 700_000 }, { budgetBytes: 100_000, stopAfterBytes: 50_000 }]) {
      const a = read({ ...js, ...extra });
      const b = read({ ...transcriptFilter, ...extra });
      assert.deepEqual(b.lines, a.lines, JSON.stringify(extra));
      assert.deepEqual(b.results, a.results, JSON.stringify(extra));
      kept = Math.max(kept, a.lines.length);
    }
    assert.ok(kept > 30_000, `${kept} lines`);
  });
});
