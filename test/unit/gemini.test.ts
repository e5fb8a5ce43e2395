import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { createCalendar } from '../../src/core/calendar';
import { buildReport, type ReportSession } from '../../src/core/report';
import { Engine } from '../../src/engine/engine';
import { otherFixture, referenceGeminiTotals, telemetryTotals } from '../agent-references';
import { copyTree, tempDir } from '../helpers';

const calendar = createCalendar('UTC');
const compressed = '70e7f33e-d0e5-4724-9d7a-c113da9a3561';

function home(scenario: string): string {
  return otherFixture('gemini', scenario, 'dot-gemini');
}

function engineFor(geminiHome: string): Engine {
  return new Engine({ agents: ['gemini'], gemini: { onlyDirs: [geminiHome] }, idleMs: 300_000, priceOverrides: [], keepPromptText: true });
}

function sessions(e: Engine): Map<string, ReportSession> {
  const report = buildReport(e.meter, { range: { from: -Infinity, to: Infinity }, idleMs: 300_000, calendar });
  return new Map(report.sessions.map((s) => [s.id, s]));
}

function reportFor(geminiHome: string): Map<string, ReportSession> {
  const e = engineFor(geminiHome);
  e.scan();
  return sessions(e);
}

function buckets(s: ReportSession | undefined): unknown {
  return s && { input: s.tokens.input, output: s.tokens.output, cacheWrite: s.tokens.cacheWrite, cacheRead: s.tokens.cacheRead };
}

describe('Gemini CLI source on the real fixtures', () => {
  for (const scenario of ['single-turn-tool-call', 'resume-and-auto-compression']) {
    it(`${scenario}: tokens per session equal the reference reading`, () => {
      const ref = referenceGeminiTotals(home(scenario));
      const got = reportFor(home(scenario));
      assert.ok(ref.size > 0);
      assert.deepEqual([...got.keys()].sort(), [...ref.keys()].sort());
      for (const [sid, t] of ref) assert.deepEqual(buckets(got.get(sid)), t, `${scenario} ${sid}`);
    });

    it(`${scenario}: the chat's responses are exactly the CLI's own main-role telemetry calls`, () => {
      const tele = telemetryTotals(otherFixture('gemini', scenario, 'telemetry.events.jsonl'), 'main');
      const got = reportFor(home(scenario));
      for (const [sid, t] of tele) {
        const s = got.get(sid);
        assert.deepEqual(buckets(s), { input: t.input, output: t.output, cacheWrite: t.cacheWrite, cacheRead: t.cacheRead }, sid);
        assert.equal(s?.requests, t.calls);
      }
    });
  }

  it('counts a message id written several times once (single turn: 2 responses in 3 writes)', () => {
    const s = reportFor(home('single-turn-tool-call')).get('b50e7be0-7c18-40b8-9749-eb6e7e85359c');
    assert.equal(s?.requests, 2);
    assert.deepEqual(s?.models, ['gemini-2.5-pro']);
    assert.equal(s?.project, '/home/dev/lab/work', 'project root from projects.json');
    assert.equal(s?.costUSD.lowerBound, false);
  });

  it('keeps usage that a compression rewrite ($set.messages) or a rewind drops from the list', () => {
    const copy = tempDir();
    copyTree(home('resume-and-auto-compression'), copy);
    const file = path.join(copy, 'tmp', 'work', 'chats', 'session-2026-11-22T20-18-70e7f33e.jsonl');
    fs.appendFileSync(file, `${JSON.stringify({ $rewindTo: 'd04923d38bb0f6017037e74183378ef4' })}\n${JSON.stringify({ $set: { messages: [] } })}\n`);
    const ref = referenceGeminiTotals(home('resume-and-auto-compression')).get(compressed);
    assert.deepEqual(buckets(reportFor(copy).get(compressed)), ref);
    assert.equal(reportFor(copy).get(compressed)?.requests, 6);
  });

  it('marks each compression as estimated dead weight: two calls of about the prior context each', () => {
    const e = engineFor(home('resume-and-auto-compression'));
    e.scan();
    const s = e.meter.sessions.get(`gemini:${compressed}`);
    assert.ok(s);
    assert.equal(s.compactions.length, 2, 'two compressions, each counted once across the rewrites that repeat it');
    for (const c of s.compactions) {
      assert.equal(c.estimated, true);
      assert.equal(c.preTokens, 900000);
      // The telemetry (not read here) shows each call read 900000 tokens, 450000 of them cached.
      assert.deepEqual([c.extraTokens?.input, c.extraTokens?.cacheRead], [900000, 900000]);
    }
    const report = sessions(e).get(compressed);
    assert.ok(report && report.auxiliaryTokens.total > 0 && report.costUSD.estimated > 0);
  });

  it('with the local telemetry file enabled, the compressions are measured from it (also when it grows mid-record)', () => {
    const copy = tempDir();
    copyTree(home('resume-and-auto-compression'), copy);
    const outfile = path.join(tempDir(), 'telemetry.log');
    const settings = JSON.parse(fs.readFileSync(path.join(copy, 'settings.json'), 'utf8'));
    fs.writeFileSync(path.join(copy, 'settings.json'), JSON.stringify({ ...settings, telemetry: { ...settings.telemetry, outfile } }));
    const raw = zlib.gunzipSync(fs.readFileSync(otherFixture('gemini', 'resume-and-auto-compression', 'telemetry.outfile.raw.gz')));
    const cut = raw.indexOf('"gemini_cli.chat_compression"') + 10;
    fs.writeFileSync(outfile, raw.subarray(0, cut));
    const e = engineFor(copy);
    e.scan();
    fs.appendFileSync(outfile, raw.subarray(cut));
    e.scan();
    const s = e.meter.sessions.get(`gemini:${compressed}`);
    assert.ok(s);
    assert.equal(s.compactions.length, 2);
    assert.deepEqual(s.compactions.map((c) => [c.estimated ?? false, c.preTokens, c.postTokens]), [[false, 900000, 226], [false, 900000, 225]]);
    const tele = telemetryTotals(otherFixture('gemini', 'resume-and-auto-compression', 'telemetry.events.jsonl'), 'utility_compressor').get(compressed)!;
    const report = sessions(e).get(compressed)!;
    assert.deepEqual([report.auxiliaryTokens.input, report.auxiliaryTokens.output, report.auxiliaryTokens.cacheRead], [tele.input, tele.output, tele.cacheRead]);
    assert.equal(report.costUSD.estimated, 0);
    assert.deepEqual(buckets(report), referenceGeminiTotals(home('resume-and-auto-compression')).get(compressed), 'the main calls in the telemetry are not counted twice');
    assert.equal(report.requests, 6);
  });

  it('a subagent’s chat (chats/<parent>/<id>.jsonl) belongs to the parent session, as sidechain work', () => {
    const copy = tempDir();
    copyTree(home('single-turn-tool-call'), copy);
    const chats = path.join(copy, 'tmp', 'work', 'chats');
    const parent = 'b50e7be0-7c18-40b8-9749-eb6e7e85359c';
    const sub = fs
      .readFileSync(path.join(chats, 'session-2026-11-22T18-59-b50e7be0.jsonl'), 'utf8')
      .replaceAll(parent, 'c0ffee00-0000-4000-8000-000000000001')
      .replaceAll('"id":"', '"id":"sub-');
    fs.mkdirSync(path.join(chats, parent));
    fs.writeFileSync(path.join(chats, parent, 'c0ffee00-0000-4000-8000-000000000001.jsonl'), sub);
    const e = engineFor(copy);
    e.scan();
    const got = sessions(e);
    assert.deepEqual([...got.keys()], [parent]);
    const one = referenceGeminiTotals(home('single-turn-tool-call')).get(parent)!;
    assert.deepEqual(buckets(got.get(parent)), { input: 2 * one.input, output: 2 * one.output, cacheWrite: 0, cacheRead: 2 * one.cacheRead });
    assert.equal(got.get(parent)?.requests, 4);
    assert.equal(e.meter.sessions.get(`gemini:${parent}`)?.prompts.length, 1, 'the subagent’s task is not a user prompt');
  });

  it('groups the stray file a resume leaves behind into the same session', () => {
    const got = reportFor(home('resume-and-auto-compression'));
    assert.deepEqual([...got.keys()], [compressed]);
  });

  it('reads an older one-document session (session-*.json) and re-reads it when it is rewritten', () => {
    const root = tempDir();
    const chats = path.join(root, 'tmp', 'proj', 'chats');
    fs.mkdirSync(chats, { recursive: true });
    const lines = fs
      .readFileSync(path.join(home('single-turn-tool-call'), 'tmp', 'work', 'chats', 'session-2026-11-22T18-59-b50e7be0.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown> & { id?: string; sessionId: string });
    const header = lines[0]!;
    const messages = lines.filter((l) => l.id);
    const doc = path.join(chats, 'session-2026-11-22T18-59-b50e7be0.json');
    fs.writeFileSync(doc, JSON.stringify({ ...header, messages: messages.slice(0, 3) }));
    const e = engineFor(root);
    e.scan();
    fs.writeFileSync(doc, JSON.stringify({ ...header, messages, extra: 'rewritten' }));
    e.scan();
    const ref = referenceGeminiTotals(home('single-turn-tool-call')).get(header.sessionId);
    assert.deepEqual(buckets(sessions(e).get(header.sessionId)), ref);
    assert.equal(sessions(e).get(header.sessionId)?.requests, 2);
  });

  it('skips and counts broken lines without losing the rest', () => {
    const copy = tempDir();
    copyTree(home('single-turn-tool-call'), copy);
    const file = path.join(copy, 'tmp', 'work', 'chats', 'session-2026-11-22T18-59-b50e7be0.jsonl');
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const broken = ['{"id":"x","timestamp":"2026-11-22T18:59:27.300Z","type":"gemini","tokens":{"input":"12","output":1}}', '{"truncated":', '{"what":"unknown"}'];
    fs.writeFileSync(file, `${[...lines.slice(0, 4), ...broken, ...lines.slice(4)].join('\n')}\n`);
    const e = engineFor(copy);
    e.scan();
    const h = e.health().byAgent.gemini;
    assert.equal(h?.malformed, 1);
    assert.equal(h?.rejected, 2);
    assert.deepEqual(buckets(sessions(e).get('b50e7be0-7c18-40b8-9749-eb6e7e85359c')), referenceGeminiTotals(home('single-turn-tool-call')).get('b50e7be0-7c18-40b8-9749-eb6e7e85359c'));
  });
});
