import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectLines, emptyCursor, headBytes, replayLines, tailFile } from '../../src/sources/tail';
import { tempDir } from '../helpers';

function collect(file: string, cursor = emptyCursor(), opts = {}): { lines: string[]; res: ReturnType<typeof tailFile> } {
  const lines: string[] = [];
  const res = tailFile(file, cursor, (l) => lines.push(l), opts);
  return { lines, res };
}

describe('tailFile', () => {
  it('reads only appended bytes and keeps a half-written line for the next read', () => {
    const dir = tempDir();
    const f = path.join(dir, 'a.jsonl');
    fs.writeFileSync(f, '{"a":1}\n{"b":');
    const first = collect(f);
    assert.deepEqual(first.lines, ['{"a":1}']);
    assert.equal(first.res.cursor.offset, 8);
    fs.appendFileSync(f, '2}\n{"c":3}\n');
    const second = collect(f, first.res.cursor);
    assert.deepEqual(second.lines, ['{"b":2}', '{"c":3}']);
    const third = collect(f, second.res.cursor);
    assert.deepEqual(third.lines, []);
    assert.equal(third.res.status, 'unchanged');
  });

  it('takes an unterminated tail that is already a whole JSON object, and only once', () => {
    const dir = tempDir();
    const f = path.join(dir, 'a.jsonl');
    fs.writeFileSync(f, '{"a":1}\n{"b":2}');
    const first = collect(f);
    assert.deepEqual(first.lines, ['{"a":1}', '{"b":2}']);
    fs.appendFileSync(f, '\n{"c":3}\n');
    const second = collect(f, first.res.cursor);
    assert.deepEqual(second.lines, ['{"c":3}']);
  });

  it('reads a shrunk or replaced file again from the start', () => {
    const dir = tempDir();
    const f = path.join(dir, 'a.jsonl');
    fs.writeFileSync(f, '{"a":1}\n{"b":2}\n');
    const first = collect(f);
    fs.writeFileSync(f, '{"x":1}\n');
    const second = collect(f, first.res.cursor);
    assert.equal(second.res.status, 'rewritten');
    assert.deepEqual(second.lines, ['{"x":1}']);
    // replaced by a new file (new inode) of the same size
    const g = path.join(dir, 'b.jsonl');
    fs.writeFileSync(g, '{"y":1}\n');
    fs.renameSync(g, f);
    const third = collect(f, second.res.cursor);
    assert.equal(third.res.status, 'rewritten');
    assert.deepEqual(third.lines, ['{"y":1}']);
  });

  it('reports a missing file without throwing', () => {
    const r = collect(path.join(tempDir(), 'nope.jsonl'));
    assert.equal(r.res.status, 'missing');
  });

  it('handles lines longer than its read buffer, and skips (and counts) oversized ones', () => {
    const dir = tempDir();
    const f = path.join(dir, 'big.jsonl');
    const big = JSON.stringify({ t: 'x'.repeat(10 * 1024 * 1024) });
    fs.writeFileSync(f, `{"a":1}\n${big}\n{"b":2}\n`);
    const r = collect(f);
    assert.equal(r.lines.length, 3);
    assert.equal(r.lines[1]?.length, big.length);
    const small = collect(f, emptyCursor(), { maxLineBytes: 1024 });
    assert.deepEqual(small.lines, ['{"a":1}', '{"b":2}']);
    assert.equal(small.res.oversized, 1);
  });

  it('lets the byte filter skip lines without decoding them', () => {
    const dir = tempDir();
    const f = path.join(dir, 'a.jsonl');
    fs.writeFileSync(f, '{"type":"keep"}\n{"type":"drop"}\n');
    const r = collect(f, emptyCursor(), { filter: (b: Buffer, s: number, e: number) => b.subarray(s, e).includes('keep') });
    assert.deepEqual(r.lines, ['{"type":"keep"}']);
    assert.equal(r.res.filtered, 1);
  });

  it('stops at a byte budget on a line boundary and continues later', () => {
    const dir = tempDir();
    const f = path.join(dir, 'a.jsonl');
    fs.writeFileSync(f, '{"a":1}\n{"b":2}\n{"c":3}\n');
    const first = collect(f, emptyCursor(), { budgetBytes: 12 });
    assert.deepEqual(first.lines, ['{"a":1}']);
    const second = collect(f, first.res.cursor);
    assert.deepEqual(second.lines, ['{"b":2}', '{"c":3}']);
  });

  it('collects lines as bytes, stops after a number of bytes at a line end, and the rest follows from its cursor', () => {
    const dir = tempDir();
    const f = path.join(dir, 'a.jsonl');
    const small = Array.from({ length: 50 }, (_, i) => `{"i":${i},"pad":"${'p'.repeat(i * 37)}"}`);
    const long = `{"long":"${'l'.repeat(2 * 1024 * 1024)}"}`; // spans read chunks
    const all = [...small.slice(0, 20), long, ...small.slice(20), 'not json', '{"last":true}'];
    fs.writeFileSync(f, `${all.join('\n')}\n`);
    const whole = collect(f);
    for (const limit of [1, 500, 5_000, 2 * 1024 * 1024, 10 * 1024 * 1024]) {
      const got: string[] = [];
      let cursor = emptyCursor();
      let rounds = 0;
      let read = 0;
      for (;;) {
        const part = collectLines(f, cursor, { stopAfterBytes: limit });
        replayLines(part, { onBytes: (b, s, e) => got.push(b.toString('utf8', s, e)) });
        read += part.tail.bytesRead;
        assert.ok(part.tail.stopped || part.tail.cursor.offset === fs.statSync(f).size, `limit ${limit}`);
        cursor = part.tail.cursor;
        rounds++;
        if (!part.tail.stopped) break;
      }
      assert.deepEqual(got, whole.lines, `limit ${limit}: the parts add up to one read`);
      assert.equal(read, fs.statSync(f).size, `limit ${limit}: every byte counted once`);
      if (limit === 1) assert.equal(rounds, whole.lines.length + 1, 'one line per part, then the rest');
    }
  });

  it('hands over each file in buffers of its own, exactly its lines long, that later reads leave alone', () => {
    const dir = tempDir();
    const files = [
      ['small.jsonl', ['{"a":1}', '{"b":"two"}']],
      ['empty.jsonl', []],
      ['big.jsonl', Array.from({ length: 3000 }, (_, i) => `{"i":${i},"pad":"${'q'.repeat(100 + (i % 50))}"}`)], // grows the gathering buffer
      ['after.jsonl', ['{"c":3}']],
    ] as const;
    const parts = files.map(([name, lines]) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, lines.map((l) => `${l}\n`).join(''));
      return collectLines(f, emptyCursor());
    });
    const buffers = new Set<ArrayBufferLike>();
    files.forEach(([name, lines], i) => {
      const part = parts[i];
      assert.ok(part);
      const got: string[] = [];
      replayLines(part, { onBytes: (b, s, e) => got.push(b.toString('utf8', s, e)) });
      assert.deepEqual(got, lines, `${name}: still its own lines after the reads that followed`);
      const used = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
      assert.equal(part.bytes.byteLength, used, name);
      assert.equal(part.bytes.buffer.byteLength, used, `${name}: no spare room is handed over`);
      assert.equal(part.ends.buffer.byteLength, 4 * lines.length, `${name}: line ends exactly`);
      for (const b of [part.bytes.buffer, part.ends.buffer]) {
        assert.ok(b.byteLength === 0 || !buffers.has(b), `${name}: a buffer of its own`);
        buffers.add(b);
      }
    });
  });

  it('passes over long lines its head says to drop, keeping nothing, and resumes at a cut one', () => {
    const dir = tempDir();
    const f = path.join(dir, 'a.jsonl');
    const drop = `{"type":"drop","blob":"${'d'.repeat(3 * 1024 * 1024)}"}`;
    const keep = `{"type":"keep","blob":"${'k'.repeat(3 * 1024 * 1024)}"}`;
    let heads = 0;
    const opts = {
      filter: (b: Buffer, s: number, e: number) => b.subarray(s, Math.min(e, s + 20)).includes('keep'),
      skipHead: (b: Buffer, s: number, e: number) => {
        assert.ok(e - s >= headBytes, 'shown at least headBytes');
        const skip = b.subarray(s, s + 20).includes('drop');
        heads += skip ? 1 : 0;
        return skip;
      },
    };
    fs.writeFileSync(f, `{"a":1}
${drop}
${keep}
${drop.slice(0, 2_000_000)}`);
    const first = collect(f, emptyCursor(), opts);
    assert.deepEqual(first.lines.map((l) => l.length), [keep.length]);
    assert.equal(first.res.filtered, 2, '{"a":1} and the dropped line');
    assert.equal(heads, 2, 'both long dropped lines were passed over by their head');
    const cutAt = 8 + drop.length + 1 + keep.length + 1;
    assert.equal(first.res.cursor.offset, cutAt, 'the cut line is read again when it is finished');
    fs.appendFileSync(f, `${drop.slice(2_000_000)}
{"type":"keep","n":2}
`);
    const second = collect(f, first.res.cursor, opts);
    assert.deepEqual(second.lines, ['{"type":"keep","n":2}']);
    assert.equal(second.res.filtered, 1);
    // Without the head check the same lines come out.
    const plain = collect(f, emptyCursor(), { filter: opts.filter });
    assert.deepEqual(plain.lines.map((l) => l.length), [keep.length, '{"type":"keep","n":2}'.length]);
  });
});
