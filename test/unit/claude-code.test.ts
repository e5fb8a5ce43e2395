import * as assert from 'node:assert/strict';
import { createCalendar } from '../../src/core/calendar';
import { buildReport, type ReportSession } from '../../src/core/report';
import { Engine } from '../../src/engine/engine';
import { claudeLineFilter, claudeLineSkippable, isAttachmentHead } from '../../src/sources/claude-code/filter';
import { parseTs } from '../../src/sources/claude-code/parse';
import { headBytes } from '../../src/sources/tail';
import { claudeFixture, claudeScenarios, fixtureLines, lastCostStates, referenceClaudeTotals, rng } from '../helpers';

const calendar = createCalendar('UTC');

function reportFor(scenario: string): Map<string, ReportSession> {
  const engine = new Engine({ agents: ['claude-code'], claude: { onlyDirs: [claudeFixture(scenario)] }, idleMs: 300_000, priceOverrides: [], keepPromptText: true });
  engine.scan();
  const report = buildReport(engine.meter, { range: { from: -Infinity, to: Infinity }, idleMs: 300_000, calendar });
  return new Map(report.sessions.map((s) => [s.id, s]));
}

const scenarios = claudeScenarios;

describe('Claude Code source on the real fixtures', () => {
  for (const scenario of scenarios) {
    it(`${scenario}: deduped transcript tokens per session equal the reference reading`, () => {
      const ref = referenceClaudeTotals(claudeFixture(scenario));
      const got = reportFor(scenario);
      assert.ok(ref.size > 0, 'fixture has usage');
      for (const [sid, t] of ref) {
        const s = got.get(sid);
        assert.ok(s, `session ${sid} missing`);
        assert.deepEqual(
          { input: s.tokens.input, output: s.tokens.output, cacheWrite: s.tokens.cacheWrite, cacheRead: s.tokens.cacheRead },
          { input: t.input, output: t.output, cacheWrite: t.cacheWrite, cacheRead: t.cacheRead },
          `${scenario} ${sid}`,
        );
      }
      for (const [sid, s] of got) if (!ref.has(sid)) assert.equal(s.tokens.total, 0, `unexpected tokens for ${sid}`);
    });
  }

  it('counts each response once, not once per content block (compact_manual: 6 responses, not 8 lines)', () => {
    const s = reportFor('compact_manual').get('1fadfc77-936f-4016-8c24-3f754c1f34ce');
    assert.equal(s?.requests, 6);
  });

  it('attributes a fork’s copied history to the session that made the calls (tools_resume: 10 responses, not 22)', () => {
    const got = reportFor('tools_resume');
    const total = [...got.values()].reduce((n, s) => n + s.requests, 0);
    assert.equal(total, 10);
    assert.equal(got.get('eb875d34-6f01-4077-bde2-b7e9ee0cd794')?.requests, 1, 'the fork made one call of its own');
  });

  it('1.0.128: a fork’s copies (rewritten to the fork time) stay with the original session', () => {
    const got = reportFor('tools_resume-cc1.0.128');
    assert.equal(got.get('d9a4ba56-9412-4138-bd48-868bd475a1bd')?.requests, 1);
    // 7 in its file, 1 in the --continue file, 1 after /clear (1.0.x continues under the old id)
    assert.equal(got.get('365a7c1b-3461-4199-95d7-7bd653ca7926')?.requests, 9);
  });

  it('for sessions without compaction, transcript tokens equal the client’s cost-state (all four kinds)', () => {
    for (const scenario of ['subagent_models', 'errors']) {
      const got = reportFor(scenario);
      for (const [sid, cs] of lastCostStates(claudeFixture(scenario))) {
        const s = got.get(sid);
        assert.ok(s);
        let input = 0, output = 0, write = 0, read = 0;
        for (const m of Object.values<any>(cs.modelUsage)) {
          input += m.inputTokens; output += m.outputTokens; write += m.cacheCreationInputTokens; read += m.cacheReadInputTokens;
        }
        assert.deepEqual([s.tokens.input, s.tokens.output, s.tokens.cacheWrite, s.tokens.cacheRead], [input, output, write, read], `${scenario} ${sid}`);
        assert.deepEqual([s.auxiliaryTokens.total], [0]);
      }
    }
  });

  it('finds the compaction call only cost-state shows (compact_manual: input 9, output 56, read 21609, write 2402)', () => {
    const s = reportFor('compact_manual').get('1fadfc77-936f-4016-8c24-3f754c1f34ce');
    assert.ok(s);
    assert.deepEqual(
      [s.auxiliaryTokens.input, s.auxiliaryTokens.output, s.auxiliaryTokens.cacheRead, s.auxiliaryTokens.cacheWrite],
      [9, 56, 21609, 2402],
    );
  });

  it('costUSD.api equals the client’s own session total where our price table agrees with it', () => {
    // compact_manual (sonnet 4.5, with its compaction call) and otel main session.
    for (const [scenario, sid] of [
      ['compact_manual', '1fadfc77-936f-4016-8c24-3f754c1f34ce'],
      ['otel', '53a424b4-9196-41ee-8188-c87b5adb5a1b'],
      ['tools_resume', '3262d0b4-802a-4512-a3b4-cd88a7c9661b'],
    ] as const) {
      const s = reportFor(scenario).get(sid);
      const cs = lastCostStates(claudeFixture(scenario)).get(sid);
      assert.ok(s && cs);
      assert.ok(Math.abs(s.costUSD.api - cs.totalCostUSD) < 1e-9, `${scenario}: ${s.costUSD.api} vs ${cs.totalCostUSD}`);
      assert.equal(s.costUSD.lowerBound, false);
    }
  });

  it('a fork’s cost-state inherits the parent’s totals: the fork is not charged for them', () => {
    const got = reportFor('tools_resume');
    const fork = got.get('eb875d34-6f01-4077-bde2-b7e9ee0cd794');
    const parent = got.get('3262d0b4-802a-4512-a3b4-cd88a7c9661b');
    const cs = lastCostStates(claudeFixture('tools_resume'));
    assert.ok(fork && parent);
    // fork cost-state = parent's cost-state + the fork's own call
    const own = cs.get('eb875d34-6f01-4077-bde2-b7e9ee0cd794').totalCostUSD - cs.get('3262d0b4-802a-4512-a3b4-cd88a7c9661b').totalCostUSD;
    assert.ok(Math.abs(fork.costUSD.api - own) < 1e-9, `${fork.costUSD.api} vs ${own}`);
    assert.equal(fork.auxiliaryTokens.total, 0);
  });

  it('uses the client-reported cost for a model the table lacks (claude-haiku-5-5), labelled', () => {
    const s = reportFor('subagent_models').get('dd302fc7-64cf-4006-9cb8-87e693927b59');
    const cs = lastCostStates(claudeFixture('subagent_models')).get('dd302fc7-64cf-4006-9cb8-87e693927b59');
    assert.ok(s && cs);
    const haiku = s.byModel.find((m) => m.model === 'claude-haiku-5-5');
    assert.equal(haiku?.provenance, 'client-reported');
    assert.ok(Math.abs((haiku?.costUSD ?? 0) - cs.modelUsage['claude-haiku-5-5'].costUSD) < 1e-12);
    assert.ok(Math.abs(s.costUSD.clientReported - cs.modelUsage['claude-haiku-5-5'].costUSD) < 1e-12);
    assert.ok(Math.abs(s.costUSD.api - cs.totalCostUSD) < 1e-9);
    assert.equal(s.costUSD.lowerBound, false);
    assert.deepEqual(s.unpriced, { tokens: 0, models: [] });
  });

  it('1.0.128 has no cost-state: all its models are priced from the table', () => {
    const got = reportFor('compact_manual-cc1.0.128');
    const s = got.get('11198418-2fc0-42a2-8d7b-7696ae170d08');
    assert.ok(s && s.costUSD.api > 0);
    assert.equal(s.costUSD.clientReported, 0);
    assert.equal(s.costUSD.lowerBound, false);
  });

  it('measures busy, active and wall time from the timestamps', () => {
    const s = reportFor('errors').get('1ee66272-a6e0-48b5-b023-528267435be6');
    assert.ok(s);
    // prompt 19:16:36.135 … stop hook 19:16:40.204 (retries in between)
    assert.equal(s.time.wallSeconds, 4.069);
    assert.equal(s.time.busySeconds, 4.069);
    assert.equal(s.time.activeSeconds, 4.069);
  });
});


describe('the Claude Code byte filter', () => {
  it('keeps every record that can hold usage, prompts, compactions or cost, and drops attachments', () => {
    let kept = 0;
    for (const { scenario, line } of fixtureLines()) {
      const o = JSON.parse(line);
      const buf = Buffer.from(line);
      const pass = claudeLineFilter(buf, 0, buf.length);
      const needed = ['assistant', 'user', 'system', 'cost-state'].includes(o.type) || (o.type === 'queue-operation' && typeof o.content === 'string' && o.content.startsWith('/clear'));
      assert.ok(pass || !needed, `${scenario}: a ${o.type} line was filtered out`);
      assert.ok(!pass || o.type !== 'attachment', 'attachments are dropped');
      kept += pass ? 1 : 0;
    }
    assert.ok(kept > 100 && fixtureLines().length - kept > 100);
  });
});

describe('the attachment head check', () => {
  const head = (s: string): boolean => {
    const b = Buffer.from(s);
    return isAttachmentHead(b, 0, b.length);
  };
  it('recognises every attachment record of the fixtures (subagents\' too) and no other record', () => {
    let attachments = 0;
    for (const { scenario, line } of fixtureLines()) {
      const o = JSON.parse(line);
      attachments += o.type === 'attachment' ? 1 : 0;
      assert.equal(head(line), o.type === 'attachment', `${scenario}: ${line.slice(0, 120)}`);
    }
    assert.ok(attachments > 20);
  });
  it('decides from depth-1 keys only, and refuses what it cannot be sure of', () => {
    assert.equal(head('{"parentUuid":null,"isSidechain":true,"agentId":"a1","attachment":{"type":"x"}}'), true);
    assert.equal(head('{"parentUuid":"p","isSidechain":false,"attachment":{}}'), true);
    assert.equal(head('{"parentUuid":"p\\"x","isSidechain":false,"attachment":{}}'), false, 'escaped quote');
    assert.equal(head('{"parentUuid":"p","isSidechain":false,"attachment":"text"}'), false, 'not an object');
    assert.equal(head('{"parentUuid":"p","isSidechain":maybe,"attachment":{}}'), false);
    assert.equal(head('{"parentUuid":"p","isSidechain":false,"agentId":"a\\"b","attachment":{}}'), false);
    assert.equal(head('{"parentUuid":"p","isSidechain":false,"message":{"attachment":{}}}'), false, 'nested');
    assert.equal(head('{"parentUuid":"p","isSidechain":false,"attach'), false, 'cut short');
    assert.equal(head('{"parentUuid":'), false);
  });
});

describe('the head check for long lines', () => {
  it('drops only what the full filter drops, whatever the line continues with', () => {
    let skipped = 0;
    const lines = fixtureLines();
    for (const { scenario, line } of lines) {
      const buf = Buffer.from(line);
      // Every cut from headBytes on: a "skip" must hold for the whole line.
      for (const cut of [headBytes, headBytes + 7, 1000, buf.length].filter((c) => c <= buf.length)) {
        const skip = claudeLineSkippable(buf, 0, cut);
        assert.ok(!skip || !claudeLineFilter(buf, 0, buf.length), `${scenario}: ${line.slice(0, 100)}`);
        skipped += skip ? 1 : 0;
      }
    }
    assert.ok(skipped > 100 && lines.length > 300, `${skipped} of ${lines.length}`);
    const head = (s: string): boolean => claudeLineSkippable(Buffer.from(s), 0, Buffer.byteLength(s));
    assert.equal(head('{"type":"assis'), false, 'a type name cut short decides nothing');
    assert.equal(head('{"type":"queue-operation","operation":"enqueue","content":"/cl'), false, 'a queue-operation may be /clear');
    assert.equal(head('{"type":"assistant","message":{'), false);
    assert.equal(head('{"type":"file-history-snapshot","snapshot":{'), true);
  });
});

describe('transcript timestamps', () => {
  it('parseTs is Date.parse: every month and day 0–32, hours/minutes/seconds at and past their limits, other forms, and mutations', () => {
    const pad = (n: number, w: number): string => String(n).padStart(w, '0');
    const samples: string[] = [];
    for (const year of [999, 1000, 1970, 2000, 2023, 2024, 2100, 9999])
      for (let month = 0; month <= 13; month++) for (let day = 0; day <= 32; day++) samples.push(`${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T12:34:56.789Z`);
    for (const [h, m, s] of [[0, 0, 0], [23, 59, 59], [24, 0, 0], [24, 0, 1], [23, 60, 0], [23, 59, 60], [99, 99, 99]]) samples.push(`2025-06-15T${pad(h ?? 0, 2)}:${pad(m ?? 0, 2)}:${pad(s ?? 0, 2)}.000Z`);
    samples.push('2025-06-15T12:34:56Z', '2025-06-15T12:34:56.7Z', '2025-06-15T12:34:56.789+02:00', '2025-06-15T12:34:56.789z', '2025-06-15 12:34:56.789Z', '2025-06-15', '+002025-06-15T12:34:56.789Z', '', 'not a date', '2025-06-15T12:34:56.789Z ');
    const r = rng(8);
    const glyphs = '0123456789-:.TZ +x';
    for (let i = 0; i < 20_000; i++) {
      const t = new Date(Math.floor(r() * 8e12) - 1e12).toISOString();
      const chars = [...t];
      if (i % 2) chars[Math.floor(r() * chars.length)] = glyphs[Math.floor(r() * glyphs.length)] ?? 'x';
      samples.push(chars.join(''));
    }
    for (const s of samples) assert.ok(Object.is(parseTs(s), Date.parse(s)), `${s}: ${parseTs(s)} vs Date.parse ${Date.parse(s)}`);
  });
});

