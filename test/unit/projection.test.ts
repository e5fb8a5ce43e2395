/**
 * The JSON projection (src/wasm): a line it accepts is valid JSON, each value it finds equals
 * JSON.parse's, and the Claude Code parser gives the same outcome from bytes as from text — on
 * every fixture line, fuzzed lines, random bytes and hand-made edge cases of the JSON grammar.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initialClaudeFileState, parseClaudeBytes, parseClaudeLine, type ClaudeParseContext } from '../../src/sources/claude-code/parse';
import { createProjector, keyTree, type KeyTree, type Projector } from '../../src/wasm/project';
import { linesSourceSha256 } from '../../src/wasm/lines-wasm';
import { projectSourceSha256 } from '../../src/wasm/project-wasm';
import { claudeFixture, listJsonl, repoRoot, rng } from '../helpers';

/** Lines as the reader hands them over: pure ASCII as latin1, the rest as UTF-8. */
function decode(bytes: Buffer): string {
  return bytes.every((b) => b < 0x80) ? bytes.toString('latin1') : bytes.toString('utf8');
}

const scenarios = ['tools_resume', 'subagent_models', 'compact_manual', 'errors', 'otel', 'tools_resume-cc1.0.128', 'compact_manual-cc1.0.128', 'errors-cc1.0.128'];
const fixtureFiles = scenarios.flatMap((s) => listJsonl(path.join(claudeFixture(s), 'projects')));
const fixtureLines = fixtureFiles.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean));

const paths = ['type', 'sessionId', 'n', 'message', 'message.id', 'message.model', 'message.content', 'message.usage', 'message.usage.input_tokens', 'message.usage.cache_creation', 'message.usage.cache_creation.ephemeral_1h_input_tokens', 'flag'];
const tree: KeyTree = keyTree(paths);
const containers = new Set(['message', 'message.usage', 'message.usage.cache_creation']);

function at(value: unknown, p: string): unknown {
  let v: unknown = value;
  for (const k of p.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = Object.prototype.hasOwnProperty.call(v, k) ? (v as Record<string, unknown>)[k] : undefined;
  }
  return v;
}

/** Scan `bytes`; when accepted, every registered path must equal JSON.parse's value. Returns whether accepted. */
function checkAgainstJsonParse(p: Projector, bytes: Buffer): boolean {
  const accepted = p.scan(bytes, 0, bytes.length);
  let parsed: unknown;
  let valid = true;
  try {
    parsed = JSON.parse(decode(bytes));
  } catch {
    valid = false;
  }
  if (!accepted) return false;
  const shown = bytes.toString('latin1').slice(0, 200);
  assert.ok(valid, `accepted a line JSON.parse rejects: ${shown}`);
  assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed), `accepted a non-object: ${shown}`);
  // Inside a container reached through a non-object (or absent) value, nothing may be reported.
  for (const path of paths) {
    const expected = at(parsed, path);
    const parent = path.includes('.') ? at(parsed, path.slice(0, path.lastIndexOf('.'))) : parsed;
    const parentIsObject = typeof parent === 'object' && parent !== null && !Array.isArray(parent);
    const slot = p.slot(path);
    if (containers.has(path) && typeof expected === 'object' && expected !== null && !Array.isArray(expected)) {
      assert.ok(p.isObject(slot), `${path} is an object: ${shown}`);
      continue;
    }
    if (!parentIsObject) continue;
    assert.deepEqual(p.get(slot), expected, `${path} of ${shown}`);
  }
  return true;
}

describe('JSON projection (wasm)', () => {
  it('the committed modules (projection, line scanner) are built from the committed sources (and rebuild byte for byte where clang is installed)', function () {
    for (const [name, sha] of [
      ['project', projectSourceSha256],
      ['lines', linesSourceSha256],
    ]) {
      const source = fs.readFileSync(path.join(repoRoot, 'src', 'wasm', `${name}.c`));
      assert.equal(createHash('sha256').update(source).digest('hex'), sha, `src/wasm/${name}.c changed: run npm run build:wasm`);
    }
    const clang = spawnSync('clang', ['--version']);
    const lld = spawnSync('wasm-ld', ['--version']);
    if (clang.status !== 0 || lld.status !== 0) this.skip(); // .ci/run installs clang and lld
    const check = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-wasm.mjs'), '--check'], { encoding: 'utf8' });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
  });

  it('accepts only valid JSON objects, and finds what JSON.parse finds (fixture lines, edge cases, fuzz)', () => {
    assert.deepEqual(tree, { type: true, sessionId: true, n: true, message: { id: true, model: true, content: true, usage: { input_tokens: true, cache_creation: { ephemeral_1h_input_tokens: true } } }, flag: true });
    const p = createProjector(tree);
    assert.ok(p, 'WebAssembly is available here');
    const edge = [
      '{}',
      ' \t{ "type" : "user" , "n" : 1 }\r\n',
      '{"type":"user","type":"assistant"}',
      '{"message":{"id":"a","usage":{"input_tokens":5}},"message":{"model":"m"}}',
      '{"message":{"id":"a"},"message":"text"}',
      '{"message":{"usage":{"cache_creation":{"ephemeral_1h_input_tokens":7}},"usage":null}}',
      '{"typ\\u0065":"user"}',
      '{"sessionId":"caf\\u00e9 \\"quoted\\" \\\\ \\/ \\b\\f\\n\\r\\t"}',
      '{"sessionId":"héllo ✓ 𝄞"}',
      '{"sessionId":"\\ud800 lone"}',
      '{"n":1e3}',
      '{"n":1.0}',
      '{"n":-0}',
      '{"n":123456789012345}',
      '{"n":1234567890123456789}',
      '{"n":0.1e-2}',
      '{"n":1E+2}',
      '{"flag":true,"n":null}',
      '{"flag":false}',
      '{"message":{"content":[{"type":"text","text":"a"},{"type":"tool_result"}]}}',
      '{"message":{"content":"plain"}}',
      '{"message":[1,2]}',
      '{"other":{"type":"nested","message":{"id":"not top"}},"type":"top"}',
      '{"x":' + '['.repeat(60) + ']'.repeat(60) + ',"type":"deep"}',
      '{"x":' + '{"a":'.repeat(47) + '1' + '}'.repeat(47) + ',"type":"deep enough"}',
      // invalid: each must be declined (JSON.parse rejects them)
      '{"type":"user",}',
      "{'type':'user'}",
      '{"n":01}',
      '{"n":1.}',
      '{"n":.5}',
      '{"n":+1}',
      '{"n":-}',
      '{"type":"unterminated}',
      '{"type":"ctrl\u0001char"}',
      '{"type":"bad \\x escape"}',
      '{"type":"short \\u12 escape"}',
      '\ufeff{"type":"bom"}',
      '{"type":"user"} trailing',
      '{}{}',
      '{"a" "b"}',
      '{"a":tru}',
      '{"a":nul}',
      '[{"type":"user"}]',
      '"string"',
      '{"type":"user"',
      '',
    ];
    const r = rng(3);
    const bytes: Buffer[] = [...fixtureLines, ...edge].map((l) => Buffer.from(l, 'utf8'));
    // Fuzz: byte edits, truncations and splices of fixture lines; random bytes.
    for (let i = 0; i < 6000; i++) {
      const base = Buffer.from(fixtureLines[Math.floor(r() * fixtureLines.length)] ?? '{}', 'utf8');
      const b = Buffer.from(base);
      const kind = i % 4;
      const glyphs = '{}[]",:\\0123456789eE.-+ tfnu\u0001';
      const anyByte = (): number => (r() < 0.1 ? 0x80 + Math.floor(r() * 128) : glyphs.charCodeAt(Math.floor(r() * glyphs.length)));
      if (kind === 0) for (let k = 0; k < 1 + Math.floor(r() * 3); k++) b[Math.floor(r() * b.length)] = anyByte();
      if (kind === 1) bytes.push(b.subarray(0, Math.floor(r() * b.length)));
      else if (kind === 2) {
        const cut = Math.floor(r() * b.length);
        const other = Buffer.from(fixtureLines[Math.floor(r() * fixtureLines.length)] ?? '', 'utf8');
        bytes.push(Buffer.concat([b.subarray(0, cut), other.subarray(Math.floor(r() * other.length))]));
      } else if (kind === 3) bytes.push(Buffer.from(Array.from({ length: 1 + Math.floor(r() * 300) }, anyByte)));
      if (kind === 0) bytes.push(b);
    }
    let accepted = 0;
    let realDeclined = 0;
    for (const [i, b] of bytes.entries()) {
      const ok = checkAgainstJsonParse(p, b);
      if (ok) accepted++;
      if (i < fixtureLines.length && !ok) realDeclined++;
    }
    assert.equal(realDeclined, 0, 'every real fixture line is projected');
    // The edge cases: valid ones accepted (but for escaped keys and over-deep nesting), invalid ones declined.
    const declined = edge.filter((l) => !p.scan(Buffer.from(l, 'utf8'), 0, Buffer.byteLength(l)));
    assert.deepEqual(declined, edge.filter((_, i) => i === 6 || i === 23 || i >= 25));
    // Whole numbers around the small-integer bounds (get() makes those below 2^30 small integers).
    for (const n of [0, 1, 1073741823, 1073741824, 2147483647, 2147483648, 4294967296, 999999999999999]) {
      const line = Buffer.from(`{"n":${n}}`);
      assert.ok(p.scan(line, 0, line.length));
      assert.equal(p.get(p.slot('n')), n);
    }
    console.log(`      ${bytes.length} lines: ${accepted} projected and equal to JSON.parse, ${bytes.length - accepted} declined (JSON.parse decides)`);
  });

  it('a string reused from the line before is the one JSON.parse gives (repeats, changes, absences, declined lines, long and escaped values)', () => {
    const p = createProjector(tree);
    assert.ok(p);
    const long = 'x'.repeat(65);
    const sequence = [
      '{"sessionId":"a","message":{"model":"m"}}',
      '{"sessionId":"a","message":{"model":"m"}}',
      '{"sessionId":"b"}',
      '{"sessionId":"a"}',
      '{"type":"no session"}',
      '{"sessionId":"a"}',
      '{"sessionId":"c","type":"declined",}',
      '{"sessionId":"c"}',
      '{"sessionId":"a","x":' + '['.repeat(60) + ']'.repeat(60) + '}',
      '{"sessionId":"a"}',
      `{"sessionId":"${long}"}`,
      `{"sessionId":"${long}"}`,
      `{"sessionId":"${long.slice(1)}y"}`,
      '{"sessionId":"\\u0061"}',
      '{"sessionId":"a","sessionId":"b"}',
      '{"sessionId":"b"}',
      '{"message":{"model":"m2"},"message":{"id":"i"}}',
      '{"message":{"model":"m"}}',
      '{"sessionId":""}',
      '{"sessionId":"a"}',
    ];
    let accepted = 0;
    for (let round = 0; round < 3; round++) for (const line of round === 1 ? [...sequence].reverse() : sequence) if (checkAgainstJsonParse(p, Buffer.from(line))) accepted++;
    assert.equal(accepted, 3 * (sequence.length - 2));
  });

  it('the Claude Code parser gives the same outcome from bytes as from text (every fixture file, in order; fuzzed lines)', () => {
    const ctxOf = (): ClaudeParseContext => ({ fileId: 1, state: initialClaudeFileState(), projectHint: '/hint', keepPromptText: true });
    let lines = 0;
    for (const file of fixtureFiles) {
      const a = ctxOf();
      const b = ctxOf();
      for (const line of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
        const bytes = Buffer.from(line, 'utf8');
        assert.deepEqual(parseClaudeBytes(bytes, 0, bytes.length, a), parseClaudeLine(decode(bytes), b), `${file}: ${line.slice(0, 120)}`);
        assert.deepEqual(a.state, b.state);
        lines++;
      }
    }
    const r = rng(11);
    const mutations: ((l: string) => string)[] = [
      (l) => l.replace(/"input_tokens":\d+/, '"input_tokens":"12"'),
      (l) => l.replace(/"output_tokens":\d+/, '"output_tokens":-5'),
      (l) => l.replace(/"output_tokens":\d+/, '"output_tokens":1e3'),
      (l) => l.replace(/"output_tokens":\d+/, '"output_tokens":9007199254740993'),
      (l) => l.replace(/"message":\{/, '"message":{"extra":{"x":1},'),
      (l) => l.replace(/"sessionId":"[^"]*",?/, ''),
      (l) => l.replace(/"sessionId":"[^"]*"/, '"sessionId":"caf\\u00e9"'),
      (l) => l.replace(/"cwd":"[^"]*"/, '"cwd":"/home/ü/プロジェクト"'),
      (l) => l.replace(/"model":"[^"]*"/, '"model":"\\ud800bad"'),
      (l) => l.replace(/"timestamp":"[^"]*"/, '"timestamp":"not a date"'),
      (l) => l.replace(/"type":"(\w+)"/, '"type":"$1","type":"assistant"'),
      (l) => l.replace(/"message":\{/, '"message":null,"message":{'),
      (l) => l.replace(/"usage":\{/, '"usage":{"cache_creation":{"ephemeral_1h_input_tokens":3},'),
      (l) => l.replace(/"isSidechain":false/, '"isSidechain":"no"'),
      (l) => l.replace(/"content":"/, '"content":"<command-name>/clear</command-name>'),
      (l) => l.replace(/"isCompactSummary":true/, '"isCompactSummary":1'),
      (l) => l.replace(/"compactMetadata":\{/, '"compactMetadata":{"preTokens":1.5,'),
      (l) => l.slice(0, Math.floor(r() * l.length)),
      (l) => l.replace(/,/, ' , '),
      (l) => l.replace(/"uuid":/, '"uu\\u0069d":'),
      (l) => l.replace(/"modelUsage":\{/, '"modelUsage":{"x":1,'),
      (l) => l.replace(/"totalCostUSD":[\d.e-]+/, '"totalCostUSD":"1"'),
      (l) => l.replace(/"modelUsage":/, '"modelUsage":null,"modelUsage":'),
      (l) => l.replace(/"modelUsage":\{"/, '"modelUsage":{"__proto__":{"inputTokens":1},"'),
    ];
    for (let i = 0; i < 4000; i++) {
      const m = mutations[i % mutations.length];
      const line = m ? m(fixtureLines[Math.floor(r() * fixtureLines.length)] ?? '') : '';
      const bytes = Buffer.from(line, 'utf8');
      const a = ctxOf();
      const b = ctxOf();
      assert.deepEqual(parseClaudeBytes(bytes, 0, bytes.length, a), parseClaudeLine(decode(bytes), b), line.slice(0, 200));
      assert.deepEqual(a.state, b.state);
      lines++;
    }
    // A user message's content blocks: the projection builds only their `type` and `text` and steps
    // over the rest (a tool's output); every shape of block must give JSON.parse's outcome.
    const userLines = fixtureLines.filter((l) => l.includes('"type":"user"') && l.includes('"content":['));
    assert.ok(userLines.length >= 20, 'fixtures hold user lines with content blocks');
    const blocks = [
      '{"type":"text","typ\\u0065":"tool_result"}',
      '{"typ\\u0065":"tool_result","type":"text","text":"x"}',
      '{"type":"tool_result","type":"text","text":"hi"}',
      '{"text":"a","type":"text","text":"b"}',
      '1',
      'null',
      '"a"',
      '[]',
      '{"type":"text","text":5}',
      '{"type":"text","text":null}',
      `{"type":"${'x'.repeat(101)}"}`,
      `{"type":"${'x'.repeat(100)}"}`,
      '{"type":"tool_result","content":[{"type":"text","text":"a \\"quoted\\" ]}{ \\\\"}],"x":{"y":[1,2,{"z":"]\\\\\\""}]},"n":-1.5e3,"t":true,"f":false,"z":null}',
      '{"type":"tool\\u005fresult"}',
      ' { "type" : "text" ,\t"text" : "a\\nb" } ',
      '{}',
      '{"text":"no type"}',
      '{"type":"text","text":"héllo ✓ 𝄞"}',
      '{"type":"téxt","text":"x"}',
      '{"type":"text","text":"\\ud800 lone"}',
      '{"type":"text","text":"\\\\"}',
      '{"type":"text","text":"<command-name>/clear</command-name>"}',
      '{"tëxt":"x","type":"text"}',
      '{"type":"image","source":{"data":"' + 'A'.repeat(5000) + '"}}',
      '{"type":"tool_result","content":"' + 'long output \\" '.repeat(2000) + '"}',
    ];
    let blockLines = 0;
    for (const [k, line] of userLines.entries())
      for (const [j, block] of blocks.entries()) {
        if ((k + j) % 3 !== 0) continue;
        const record = JSON.parse(line) as { message: { content: unknown } };
        record.message.content = '__content__';
        const whole = JSON.stringify(record).replace('"__content__"', `[${block}]`);
        for (const variant of [line.replace('"content":[', `"content":[${block},`), whole, whole.replace(`[${block}]`, `[ ${block} , ${block} ]`)]) {
          const bytes = Buffer.from(variant, 'utf8');
          const a = ctxOf();
          const b = ctxOf();
          assert.deepEqual(parseClaudeBytes(bytes, 0, bytes.length, a), parseClaudeLine(decode(bytes), b), `${block.slice(0, 80)} in ${variant.slice(0, 120)}`);
          assert.deepEqual(a.state, b.state);
          blockLines++;
        }
      }
    console.log(`      ${blockLines} user lines with edited content blocks: the same outcome`);
    lines += blockLines;
    // Longer than the scanner takes (4 MB): JSON.parse reads it, the same way.
    const huge = JSON.stringify({ type: 'assistant', message: { id: 'x', model: 'm', usage: { input_tokens: 1, output_tokens: 1 }, content: 'y'.repeat(5 * 1024 * 1024) }, sessionId: 's', timestamp: '2026-11-22T00:00:00Z' });
    const hugeBytes = Buffer.from(huge);
    assert.deepEqual(parseClaudeBytes(hugeBytes, 0, hugeBytes.length, ctxOf()), parseClaudeLine(huge, ctxOf()));
    // Invalid UTF-8 inside strings: the same replacement characters either way.
    for (const raw of [Buffer.from('{"type":"user","sessionId":"a\xff\xfeb","timestamp":"2026-11-22T00:00:00Z","message":{"content":"x\xc3"}}', 'latin1')]) {
      assert.deepEqual(parseClaudeBytes(raw, 0, raw.length, ctxOf()), parseClaudeLine(decode(raw), ctxOf()));
      lines++;
    }
    console.log(`      ${lines} lines: the same outcome and parser state from bytes and from text`);
  });
});
