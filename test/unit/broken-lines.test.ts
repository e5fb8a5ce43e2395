import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCalendar } from '../../src/core/calendar';
import { buildReport } from '../../src/core/report';
import { Engine } from '../../src/engine/engine';
import { claudeFixture, copyTree, referenceClaudeTotals, tempDir } from '../helpers';

const sid = '1fadfc77-936f-4016-8c24-3f754c1f34ce';

function engineFor(root: string): Engine {
  return new Engine({ agents: ['claude-code'], claude: { onlyDirs: [root] }, idleMs: 300_000, priceOverrides: [], keepPromptText: true });
}

function tokensOf(e: Engine): number {
  return buildReport(e.meter, { range: { from: -Infinity, to: Infinity }, idleMs: 300_000, calendar: createCalendar('UTC') }).totals.tokens.total;
}

function sessionTokens(e: Engine, id: string): number {
  return buildReport(e.meter, { range: { from: -Infinity, to: Infinity }, idleMs: 300_000, calendar: createCalendar('UTC') }).sessions.find((x) => x.id.endsWith(id))?.tokens.total ?? 0;
}

describe('broken and half-written lines', () => {
  it('skips and counts malformed and invalid lines, and loses nothing else', () => {
    const root = tempDir();
    copyTree(claudeFixture('compact_manual'), root);
    const file = path.join(root, 'projects', '-home-user-proj', `${sid}.jsonl`);
    const ref = referenceClaudeTotals(root).get(sid)!;
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const broken = [
      '{"type":"assistant","message":{"id":"x"', // truncated JSON
      'not json at all',
      '{"type":"assistant","sessionId":"s","timestamp":"2026-11-22T19:16:31.263Z","message":{"id":"m-neg","model":"claude-sonnet-4-5","usage":{"input_tokens":-5,"output_tokens":1}}}',
      '{"type":"assistant","sessionId":"s","timestamp":"2026-11-22T19:16:31.263Z","message":{"id":"m-str","model":"claude-sonnet-4-5","usage":{"input_tokens":"5","output_tokens":1}}}',
      '\u0000\u0000{"type":"user"}',
    ];
    const mixed = [...lines.slice(0, 10), ...broken, ...lines.slice(10)];
    fs.writeFileSync(file, `${mixed.join('\n')}\n`);
    const e = engineFor(root);
    e.scan();
    const h = e.health().byAgent['claude-code'];
    assert.equal(h?.malformed, 3, 'truncated JSON, text, NUL bytes');
    assert.equal(h?.rejected, 2, 'negative count, count as a string');
    assert.equal(tokensOf(e), ref.input + ref.output + ref.cacheWrite + ref.cacheRead);
    assert.ok(e.health().problems.length > 0, 'problems are logged');
  });

  it('a transcript written in arbitrary pieces gives the same totals as one read', () => {
    const root = tempDir();
    copyTree(claudeFixture('compact_manual'), root);
    const file = path.join(root, 'projects', '-home-user-proj', `${sid}.jsonl`);
    const full = fs.readFileSync(file);
    const ref = referenceClaudeTotals(claudeFixture('compact_manual')).get(sid)!;
    fs.writeFileSync(file, '');
    const e = engineFor(root);
    e.scan();
    let pos = 0;
    let step = 1;
    while (pos < full.length) {
      const n = Math.min(full.length - pos, 1 + ((step * 7919) % 40_000));
      fs.appendFileSync(file, full.subarray(pos, pos + n));
      pos += n;
      step++;
      e.refresh([file]);
    }
    assert.equal(tokensOf(e), ref.input + ref.output + ref.cacheWrite + ref.cacheRead);
    const h = e.health().byAgent['claude-code'];
    assert.equal(h?.malformed, 0, 'no half line was ever parsed');
    assert.ok(step > 20);
  });

  it('a file removed between its discovery and its first read is missing, as if its stat had failed: not unreadable, no problem logged', () => {
    const root = tempDir();
    copyTree(claudeFixture('compact_manual'), root);
    const file = path.join(root, 'projects', '-home-user-proj', `${sid}.jsonl`);
    const e = engineFor(root);
    assert.deepEqual(e.discover().map((f) => f.file.path), [file]);
    fs.rmSync(file);
    e.scan();
    assert.equal(e.health().byAgent['claude-code']?.unreadableFiles, 0);
    assert.deepEqual(e.health().problems, []);
    assert.equal(sessionTokens(e, sid), 0);
  });

  it('bytes appended between a file\'s discovery and its first read are read next time, once', () => {
    const root = tempDir();
    copyTree(claudeFixture('compact_manual'), root);
    const file = path.join(root, 'projects', '-home-user-proj', `${sid}.jsonl`);
    const ref = referenceClaudeTotals(claudeFixture('compact_manual')).get(sid)!;
    const fullTokens = ref.input + ref.output + ref.cacheWrite + ref.cacheRead;
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const half = Math.floor(lines.length / 2);
    const firstHalf = `${lines.slice(0, half).join('\n')}\n`;
    fs.writeFileSync(file, firstHalf);
    const e = engineFor(root);
    // Discovery stats the file; the scan after it reads it (no second stat for that first read).
    assert.deepEqual(e.discover().map((f) => f.file.path), [file]);
    fs.appendFileSync(file, `${lines.slice(half).join('\n')}\n`);
    e.scan();
    assert.equal(e.fileStates().find(([p]) => p === file)?.[1], Buffer.byteLength(firstHalf), 'the first read stops at the size found');
    const afterScan = sessionTokens(e, sid);
    assert.ok(afterScan > 0 && afterScan < fullTokens, 'the appended half is not read yet');
    const before = e.meter.health.duplicateResponses;
    e.poll();
    assert.equal(sessionTokens(e, sid), fullTokens, 'read next time');
    assert.equal(e.meter.health.duplicateResponses, before, 'nothing read twice');
  });
});
