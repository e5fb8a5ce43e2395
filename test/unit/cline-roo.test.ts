import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCalendar } from '../../src/core/calendar';
import { buildReport, type ReportSession } from '../../src/core/report';
import { Engine } from '../../src/engine/engine';
import { globalStorageDirs } from '../../src/sources/editor-storage';
import { otherFixture, referenceClineSdkTotals, referenceUiTotals } from '../agent-references';
import { copyTree, tempDir } from '../helpers';

const calendar = createCalendar('UTC');
const clineStorage = otherFixture('handmade', 'cline-classic-3.x', 'globalStorage', 'saoudrizwan.claude-dev');
const clineSessions = otherFixture('handmade', 'cline-4.x-sdk', 'dot-cline', 'data', 'sessions');
const rooStorage = otherFixture('handmade', 'roo-code-3.5x', 'globalStorage', 'rooveterinaryinc.roo-cline');
const clineTask = '1763831096000';
const rooTask = '019aab3c-5e10-7c41-9a3e-2f5b8c1d0e7a';

function engineFor(agent: 'cline' | 'roo', roots: string[]): Engine {
  return new Engine({ agents: [agent], [agent]: { onlyDirs: roots }, idleMs: 300_000, priceOverrides: [], keepPromptText: true });
}

function sessions(e: Engine): Map<string, ReportSession> {
  const report = buildReport(e.meter, { range: { from: -Infinity, to: Infinity }, idleMs: 300_000, calendar });
  return new Map(report.sessions.map((s) => [s.id, s]));
}

function reportFor(agent: 'cline' | 'roo', roots: string[]): Map<string, ReportSession> {
  const e = engineFor(agent, roots);
  e.scan();
  return sessions(e);
}

function buckets(s: { tokens: { input: number; output: number; cacheWrite: number; cacheRead: number } } | undefined): unknown {
  return s && { input: s.tokens.input, output: s.tokens.output, cacheWrite: s.tokens.cacheWrite, cacheRead: s.tokens.cacheRead };
}

function json(file: string): any {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

describe('Cline source (hand-made samples from its source)', () => {
  it('classic task: tokens equal the reference reading and Cline’s own task totals (tokensIn = uncached input)', () => {
    const got = reportFor('cline', [clineStorage]);
    const ref = referenceUiTotals(clineStorage, 'cline').get(clineTask)!;
    const s = got.get(clineTask);
    assert.deepEqual(buckets(s), { input: ref.input, output: ref.output, cacheWrite: ref.cacheWrite, cacheRead: ref.cacheRead });
    const history = json(path.join(clineStorage, 'state', 'taskHistory.json'))[0];
    assert.deepEqual(buckets(s), { input: history.tokensIn, output: history.tokensOut, cacheWrite: history.cacheWrites, cacheRead: history.cacheReads });
    assert.equal(s?.requests, 5, 'four finished requests and one that failed after being billed');
    assert.equal(s?.project, '/home/dev/project');
    assert.deepEqual(s?.models, ['claude-sonnet-4-5'], 'model from task_metadata.json');
    assert.equal(s?.costUSD.lowerBound, false);
  });

  it('the auto-condense request before the summarizeTask row is the compaction’s counted call', () => {
    const e = engineFor('cline', [clineStorage]);
    e.scan();
    const s = e.meter.sessions.get(`cline:${clineTask}`);
    assert.ok(s);
    assert.equal(s.compactions.length, 1);
    assert.equal(s.compactions[0]?.callDedupeKey, `cline:${clineTask}:1763831108000`);
    assert.ok(e.meter.hasResponse(`cline:${clineTask}:1763831108000`));
    assert.equal(s.prompts.length, 1);
  });

  it('4.x SDK session: metrics.inputTokens includes cache; tokens equal the manifest’s totals', () => {
    const got = reportFor('cline', [clineSessions]);
    const id = '1779400000000_a1b2c';
    const meta = json(path.join(clineSessions, id, `${id}.json`)).metadata;
    assert.deepEqual(buckets(got.get(id)), referenceClineSdkTotals(clineSessions).get(id));
    assert.deepEqual(buckets(got.get(id)), { input: meta.tokensIn, output: meta.tokensOut, cacheWrite: meta.cacheWrites, cacheRead: meta.cacheReads });
    assert.deepEqual(got.get(id)?.models, ['gpt-5.1']);
  });

  it('follows a ui_messages.json rewritten in place: an in-flight row waits, its finished version counts once', () => {
    const root = tempDir();
    copyTree(clineStorage, root);
    const file = path.join(root, 'tasks', clineTask, 'ui_messages.json');
    const rows = json(file);
    const e = engineFor('cline', [root]);
    e.scan();
    const before = sessions(e).get(clineTask)!;
    rows.push({ ts: 1763831130000, type: 'say', say: 'api_req_started', text: JSON.stringify({ request: '…' }) });
    fs.writeFileSync(file, JSON.stringify(rows));
    e.poll();
    assert.equal(sessions(e).get(clineTask)?.requests, before.requests, 'in flight: not a request yet');
    rows[rows.length - 1].text = JSON.stringify({ request: '…', tokensIn: 7, tokensOut: 30, cacheWrites: 100, cacheReads: 1000, cost: 0.001 });
    fs.writeFileSync(file, JSON.stringify(rows).slice(0, 200)); // half-written
    e.poll();
    fs.writeFileSync(file, JSON.stringify(rows));
    e.poll();
    e.poll();
    const after = sessions(e).get(clineTask)!;
    assert.equal(after.requests, before.requests + 1);
    assert.deepEqual(buckets(after), { input: before.tokens.input + 7, output: before.tokens.output + 30, cacheWrite: before.tokens.cacheWrite + 100, cacheRead: before.tokens.cacheRead + 1000 });
    assert.equal(e.health().byAgent.cline?.malformed, 1, 'the half-written document was counted, not fatal');
  });
});

describe('Roo Code source (hand-made samples from its source)', () => {
  it('tokens equal the reference reading; tokensIn (with apiProtocol) is the whole prompt', () => {
    const got = reportFor('roo', [rooStorage]);
    const ref = referenceUiTotals(rooStorage, 'roo').get(rooTask)!;
    const s = got.get(rooTask);
    assert.deepEqual(buckets(s), { input: ref.input, output: ref.output, cacheWrite: ref.cacheWrite, cacheRead: ref.cacheRead });
    const history = json(path.join(rooStorage, 'tasks', rooTask, 'history_item.json'));
    assert.equal(s!.tokens.input + s!.tokens.cacheRead + s!.tokens.cacheWrite, history.tokensIn);
    assert.equal(s!.tokens.output, history.tokensOut);
    assert.equal(s?.project, '/home/dev/project');
  });

  it('prices with Roo’s own costs (its rows name no model), the condensing call included: equals the task total', () => {
    const s = reportFor('roo', [rooStorage]).get(rooTask)!;
    const history = json(path.join(rooStorage, 'tasks', rooTask, 'history_item.json'));
    assert.ok(Math.abs(s.costUSD.api - history.totalCost) < 1e-12, `${s.costUSD.api} vs ${history.totalCost}`);
    assert.ok(Math.abs(s.costUSD.auxiliary - 0.041) < 1e-12);
    assert.equal(s.costUSD.clientReported, s.costUSD.api);
    // The user-cancelled request has tokens but no cost: its tokens count, unpriced.
    assert.equal(s.costUSD.lowerBound, true);
  });

  it('records the condensing (with its cost) and the sliding-window truncation as compactions', () => {
    const e = engineFor('roo', [rooStorage]);
    e.scan();
    const s = e.meter.sessions.get(`roo:${rooTask}`)!;
    assert.equal(s.compactions.length, 2);
    const condense = s.compactions.find((c) => c.extraCostUSD !== undefined)!;
    assert.deepEqual([condense.extraCostUSD, condense.preTokens, condense.postTokens, condense.estimated], [0.041, 152300, 9800, true]);
    const truncation = s.compactions.find((c) => c.extraCostUSD === undefined)!;
    assert.equal(truncation.droppedTokens, 70000);
  });

  it('skips and counts a broken row without losing the rest; a Cline 4.x compaction row is a compaction', () => {
    const root = tempDir();
    copyTree(rooStorage, root);
    const file = path.join(root, 'tasks', rooTask, 'ui_messages.json');
    const rows = json(file) as unknown[];
    const extra = [
      { ts: '1763831600000', type: 'say', say: 'api_req_started', text: '{"tokensIn":1}' },
      { ts: 1763831600001, type: 'say', say: 'api_req_started', text: '{"tokensIn":' },
      { ts: 1763831600002, type: 'say', say: 'compaction', text: JSON.stringify({ status: 'completed', mode: 'auto', tokensBefore: 150000, tokensAfter: 12000 }) },
      { ts: 1763831600003, type: 'say', say: 'compaction', text: JSON.stringify({ status: 'started', mode: 'auto' }) },
    ];
    fs.writeFileSync(file, JSON.stringify([...rows, ...extra]));
    const e = engineFor('roo', [root]);
    e.scan();
    assert.equal(e.health().byAgent.roo?.rejected, 2);
    const ref = referenceUiTotals(rooStorage, 'roo').get(rooTask)!;
    assert.deepEqual(buckets(sessions(e).get(rooTask)), { input: ref.input, output: ref.output, cacheWrite: ref.cacheWrite, cacheRead: ref.cacheRead });
    const s = e.meter.sessions.get(`roo:${rooTask}`)!;
    assert.equal(s.compactions.length, 3);
    assert.ok(s.compactions.some((c) => c.preTokens === 150000 && c.postTokens === 12000 && c.trigger === 'auto'));
  });

  it('older Roo rows without apiProtocol keep the raw tokensIn (Cline semantics)', () => {
    const root = tempDir();
    copyTree(rooStorage, root);
    const file = path.join(root, 'tasks', rooTask, 'ui_messages.json');
    const rows = (json(file) as Record<string, unknown>[]).map((r): Record<string, unknown> => (r.say === 'api_req_started' ? { ...r, text: JSON.stringify({ ...JSON.parse(String(r.text)), apiProtocol: undefined }) } : r));
    fs.writeFileSync(file, JSON.stringify(rows));
    const s = reportFor('roo', [root]).get(rooTask)!;
    assert.equal(s.tokens.input, 12803 + 13704 + 10240 + 120500);
  });
});

describe('editor storage roots', () => {
  it('covers VS Code and its forks on Linux, macOS and Windows', () => {
    const linux = globalStorageDirs({ home: '/home/u', env: {}, platform: 'linux' });
    assert.ok(linux.includes('/home/u/.config/Code/User/globalStorage'));
    assert.ok(linux.includes('/home/u/.config/Cursor/User/globalStorage'));
    assert.ok(linux.includes('/home/u/.config/VSCodium/User/globalStorage'));
    const mac = globalStorageDirs({ home: '/Users/u', env: {}, platform: 'darwin' });
    assert.ok(mac.includes('/Users/u/Library/Application Support/Windsurf/User/globalStorage'));
    const win = globalStorageDirs({ home: 'C:\\Users\\u', env: { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, platform: 'win32' });
    assert.equal(win.length, 5);
    assert.ok(win.every((d) => d.startsWith('C:\\Users\\u\\AppData\\Roaming')));
  });
});
