import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCalendar } from '../../src/core/calendar';
import { buildReport, type ReportSession } from '../../src/core/report';
import { Engine } from '../../src/engine/engine';
import { codexThreads, otherFixture, referenceCodexTotals } from '../agent-references';
import { copyTree, listJsonl, tempDir } from '../helpers';

const calendar = createCalendar('UTC');
const scenarios = ['otel-single-turn', 'resume-3-turns', 'auto-compaction'];

function engineFor(codexHome: string): Engine {
  return new Engine({ agents: ['codex'], codex: { onlyDirs: [codexHome] }, idleMs: 300_000, priceOverrides: [], keepPromptText: true });
}

function sessions(e: Engine): Map<string, ReportSession> {
  const report = buildReport(e.meter, { range: { from: -Infinity, to: Infinity }, idleMs: 300_000, calendar });
  return new Map(report.sessions.map((s) => [s.id, s]));
}

function reportFor(codexHome: string): Map<string, ReportSession> {
  const e = engineFor(codexHome);
  e.scan();
  return sessions(e);
}

function buckets(s: ReportSession | undefined): unknown {
  return s && { input: s.tokens.input, output: s.tokens.output, cacheWrite: s.tokens.cacheWrite, cacheRead: s.tokens.cacheRead };
}

function rollout(dir: string): string {
  const [file] = listJsonl(path.join(dir, 'sessions'));
  assert.ok(file);
  return file;
}

describe('Codex CLI source on the real fixtures', () => {
  for (const scenario of scenarios) {
    it(`${scenario}: tokens per session equal the reference reading, and the client's own tokens_used`, () => {
      const dir = otherFixture('codex', scenario);
      const ref = referenceCodexTotals(dir);
      const got = reportFor(dir);
      assert.ok(ref.size > 0);
      assert.deepEqual([...got.keys()].sort(), [...ref.keys()].sort());
      for (const [sid, t] of ref) assert.deepEqual(buckets(got.get(sid)), t, `${scenario} ${sid}`);
      // threads.tokens_used (state_5.sqlite) is the session's cumulative input + output.
      for (const thread of codexThreads(dir)) assert.equal(got.get(thread.id)?.tokens.total, thread.tokens_used, thread.id);
    });
  }

  it('counts one request per response, not per token_count event (auto-compaction: 9 responses, 15 token_count lines)', () => {
    const dir = otherFixture('codex', 'auto-compaction');
    const lines = fs.readFileSync(rollout(dir), 'utf8').split('\n');
    assert.equal(lines.filter((l) => l.includes('"type":"token_count"')).length, 15);
    const [s] = [...reportFor(dir).values()];
    assert.equal(s?.requests, 9);
  });

  it('without token_usage_record lines (older versions) bills the growth of the running total: same tokens, no phantom context estimate', () => {
    const dir = otherFixture('codex', 'auto-compaction');
    const copy = tempDir();
    copyTree(dir, copy);
    const file = rollout(copy);
    const kept = fs.readFileSync(file, 'utf8').split('\n').filter((l) => !l.includes('"type":"token_usage_record"'));
    fs.writeFileSync(file, kept.join('\n'));
    const ref = referenceCodexTotals(dir);
    const got = reportFor(copy);
    for (const [sid, t] of ref) assert.deepEqual(buckets(got.get(sid)), t, sid);
    assert.equal([...got.values()][0]?.requests, 9, 'duplicated and phantom token_count events bill nothing');
  });

  it('records the three compactions, each pointing at the summarisation call it counted', () => {
    const dir = otherFixture('codex', 'auto-compaction');
    const e = engineFor(dir);
    e.scan();
    const [s] = [...e.meter.sessions.values()];
    assert.ok(s);
    assert.equal(s.compactions.length, 3);
    const compacted = fs
      .readFileSync(rollout(dir), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"compacted"'))
      .map((l) => JSON.parse(l).payload.compaction_response_id as string);
    assert.deepEqual(
      s.compactions.map((c) => c.callDedupeKey),
      compacted.map((id) => `codex:${s.id}:${id}`),
    );
    for (const c of s.compactions) assert.ok(c.callDedupeKey && e.meter.hasResponse(c.callDedupeKey), 'the summarisation call is a counted response');
    assert.equal(s.compactions[0]?.preTokens, 240000);
    // What follows each compacted record in the file: Codex's estimate of the new context (a
    // token_count without input) and the ContextCompaction item with its times.
    const records = fs.readFileSync(rollout(dir), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; payload?: any });
    const expected = records.flatMap((r, i) => {
      if (r.type !== 'compacted') return [];
      const after = records.slice(i + 1);
      const estimate = after.find((x) => x.payload?.type === 'token_count' && x.payload.info?.last_token_usage?.input_tokens === 0);
      const item = after.find((x) => x.payload?.type === 'item_completed' && x.payload.item?.type === 'ContextCompaction');
      return [[estimate!.payload.info.last_token_usage.total_tokens, item!.payload.completed_at_ms - item!.payload.started_at_ms]];
    });
    assert.deepEqual(s.compactions.map((c) => [c.postTokens, c.durationMs]), expected);
  });

  it('resume-3-turns: three prompts, one session, model from turn_context, priced as OpenAI', () => {
    const dir = otherFixture('codex', 'resume-3-turns');
    const got = reportFor(dir);
    const s = got.get('01a2049e-4347-7f70-9964-cb18b11e0ad4');
    assert.ok(s);
    assert.deepEqual(s.models, ['gpt-5.1-codex']);
    assert.equal(s.project, '/home/dev/lab/work');
    assert.equal(s.requests, 6);
    assert.equal(s.costUSD.lowerBound, false);
    assert.ok(s.costUSD.api > 0);
    assert.ok(s.time.busySeconds > 0 && s.time.busySeconds <= s.time.wallSeconds);
  });

  it('reads a rollout as it grows (a half-written line waits), and skips and counts broken lines', () => {
    const dir = otherFixture('codex', 'resume-3-turns');
    const copy = tempDir();
    copyTree(dir, copy);
    const file = rollout(copy);
    const text = fs.readFileSync(rollout(dir), 'utf8');
    const e = engineFor(copy);
    const cut = Math.floor(text.length / 2);
    fs.writeFileSync(file, text.slice(0, cut));
    e.scan();
    const endOfLine = text.indexOf('\n', cut) + 1;
    const broken = ['{"timestamp":"2026-11-22T18:56:51Z","type":"token_usage_record","payload":{"response_id":"r","usage":{"input_tokens":-1,"output_tokens":1}}}', 'not json'];
    fs.appendFileSync(file, `${text.slice(cut, endOfLine)}${broken.join('\n')}\n${text.slice(endOfLine)}`);
    e.scan();
    e.scan();
    const ref = referenceCodexTotals(dir);
    const got = sessions(e);
    for (const [sid, t] of ref) assert.deepEqual(buckets(got.get(sid)), t, sid);
    const h = e.health().byAgent.codex;
    assert.equal(h?.malformed, 1);
    assert.equal(h?.rejected, 1);
  });
});
