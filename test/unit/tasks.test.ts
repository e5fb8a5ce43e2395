import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../src/cli/main';
import { createCalendar } from '../../src/core/calendar';
import { buildExport, csvColumns, exportReport, parseCsv, toCsv } from '../../src/core/export';
import { buildReport } from '../../src/core/report';
import { statusSummary } from '../../src/core/status';
import { sessionTurns, taskFigures, workFigures, type TaskRecord, type WorkOptions } from '../../src/core/tasks';
import { viewSession } from '../../src/core/session-view';
import { Engine } from '../../src/engine/engine';
import { loadTasks, runningTask, saveTasks, startTask } from '../../src/engine/task-store';
import { claudeFixture, copyTree, fixturesDir, tempDir } from '../helpers';

const calendar = createCalendar('UTC');
const now = Date.parse('2026-11-22T20:00:00Z');
const work: WorkOptions = { now, idleMs: 300_000, calendar, plan: { id: 'claude-max-5x' }, sessionHourRate: 0.08, prematureShare: 0.5, includePrompts: true };
const all = { from: -Infinity, to: Infinity };

function engineFor(...scenarios: string[]): { engine: Engine; root: string } {
  const root = tempDir();
  for (const s of scenarios) copyTree(claudeFixture(s), root);
  const engine = new Engine({ agents: ['claude-code'], claude: { onlyDirs: [root] }, idleMs: 300_000, priceOverrides: [], keepPromptText: true });
  engine.scan();
  return { engine, root };
}

function assistantLine(sessionId: string, id: string, ts: number, input: number, output: number): string {
  return JSON.stringify({ type: 'assistant', uuid: `u-${id}`, timestamp: new Date(ts).toISOString(), sessionId, cwd: '/home/user/proj', message: { id, model: 'claude-sonnet-4-5', usage: { input_tokens: input, output_tokens: output } } });
}

describe('tasks and turns', () => {
  it('a task started and stopped around appended lines gets exactly those lines', () => {
    const { engine, root } = engineFor('compact_manual');
    const sid = '1fadfc77-936f-4016-8c24-3f754c1f34ce';
    const file = path.join(root, 'projects', '-home-user-proj', `${sid}.jsonl`);
    const t = Date.parse('2026-11-22T21:00:00Z');
    fs.appendFileSync(file, `${assistantLine(sid, 'before', t - 1000, 7, 7)}\n`);
    engine.refresh([file]);
    const task: TaskRecord = { id: 't1', label: 'Fix it', folders: ['/home/user/proj'], start: t };
    fs.appendFileSync(file, `${assistantLine(sid, 'in1', t + 1000, 1000, 100)}\n${assistantLine(sid, 'in2', t + 2000, 2000, 200)}\n`);
    engine.refresh([file]);
    task.end = t + 3000;
    fs.appendFileSync(file, `${assistantLine(sid, 'after', t + 4000, 9, 9)}\n`);
    engine.refresh([file]);
    const f = taskFigures(engine.meter, task, work);
    assert.deepEqual([f.tokens.input, f.tokens.output, f.tokens.cacheRead, f.tokens.cacheWrite5m], [3000, 300, 0, 0]);
    assert.equal(f.requests, 2);
    assert.ok(Math.abs(f.apiUSD - (3000 * 3 + 300 * 15) / 1e6) < 1e-12);
    // A task for another folder sees none of it.
    assert.equal(taskFigures(engine.meter, { ...task, folders: ['/elsewhere'] }, work).requests, 0);
  });

  it('turns partition every session’s cost exactly', () => {
    const { engine } = engineFor('tools_resume', 'compact_manual', 'subagent_models', 'errors', 'otel');
    let checked = 0;
    for (const s of engine.meter.sessions.values()) {
      const v = viewSession(s, engine.meter.getPriceBook(), 300_000);
      const turns = sessionTurns(engine.meter, v, true);
      const sum = turns.reduce((n, t) => n + t.items.reduce((m, it) => m + (it.usd ?? 0), 0), 0);
      assert.ok(Math.abs(sum - v.cost.api) < 1e-12, `${v.id}: ${sum} vs ${v.cost.api}`);
      assert.equal(turns.reduce((n, t) => n + t.items.length, 0), v.items.length);
      checked++;
    }
    assert.ok(checked >= 8);
    const byTurn = workFigures(engine.meter, 'turn', all, work);
    const bySession = workFigures(engine.meter, 'session', all, work);
    const total = (xs: { apiUSD: number }[]): number => xs.reduce((n, x) => n + x.apiUSD, 0);
    assert.ok(Math.abs(total(byTurn) - total(bySession)) < 1e-9);
  });

  it('lists the most expensive turns with the first line of their prompt, or none under privacy', () => {
    const { engine } = engineFor('tools_resume');
    const [s] = workFigures(engine.meter, 'session', all, work).filter((x) => x.key.includes('3262d0b4'));
    assert.ok(s);
    assert.equal(s.turns, 3);
    assert.equal(s.topTurns[0]?.prompt, 'Please work on notes.txt [[script:tools]]');
    const [p] = workFigures(engine.meter, 'session', all, { ...work, includePrompts: false }).filter((x) => x.key.includes('3262d0b4'));
    assert.ok(p?.topTurns.every((t) => t.prompt === ''));
  });

  it('groups by git branch', () => {
    const { engine } = engineFor('compact_manual');
    const branches = workFigures(engine.meter, 'branch', all, work);
    assert.deepEqual(branches.map((b) => b.key), ['HEAD']);
  });
});

describe('exports', () => {
  it('CSV parsed back equals the JSON, column by column (RFC 4180 quoting)', () => {
    const { engine } = engineFor('tools_resume', 'subagent_models');
    const tasks: TaskRecord[] = [{ id: 'a', label: 'Quote " comma , and\nnewline', ref: '#1', folders: ['/home/user/proj'], start: 0 }];
    const res = exportReport(engine.meter, { by: 'session', format: 'json', range: all, tasks, work });
    const doc = res.document;
    const csv = toCsv(doc);
    const parsed = parseCsv(csv);
    assert.deepEqual(parsed[0], [...csvColumns]);
    assert.equal(parsed.length - 1, doc.rows.length);
    doc.rows.forEach((row, i) => {
      csvColumns.forEach((c, j) => assert.equal(parsed[i + 1]?.[j], row[c] === null ? '' : String(row[c]), `${c}`));
    });
    const taskDoc = buildExport(workFigures(engine.meter, 'task', all, work, tasks), { by: 'task', since: -Infinity, until: Infinity, timeZone: 'UTC', priceTable: 'x', now, includePrompts: true });
    const back = parseCsv(toCsv(taskDoc));
    assert.equal(back[1]?.[csvColumns.indexOf('label')], 'Quote " comma , and\nnewline');
    assert.equal(JSON.parse(JSON.stringify(taskDoc)).schemaVersion, 1);
  });

  it('the Markdown of a fixture history matches the reviewed expected file', () => {
    const { engine } = engineFor('tools_resume', 'compact_manual', 'subagent_models');
    const md = exportReport(engine.meter, { by: 'session', format: 'md', range: all, tasks: [], work }).content;
    const expectedFile = path.join(fixturesDir, 'expected', 'report-by-session.md');
    if (process.env.TAXIMETER_UPDATE_EXPECTED) fs.writeFileSync(expectedFile, md);
    assert.equal(md, fs.readFileSync(expectedFile, 'utf8'));
  });

  it('the CLI exports atomically and never replaces a file without --force', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'report.csv');
    const io = (): { out: (t: string) => void; err: (t: string) => void; env: NodeJS.ProcessEnv; now: number; errText: string[] } => {
      const errText: string[] = [];
      return { out: () => undefined, err: (t: string) => errText.push(t), env: { HOME: dir, TAXIMETER_DATA_DIR: dir }, now, errText };
    };
    const args = ['export', '--format', 'csv', '--by', 'day', '--no-cache', '--claude-dir', claudeFixture('compact_manual'), '--tz', 'UTC', '--out', out];
    assert.equal(await runCli(args, io()), 0);
    const first = fs.readFileSync(out, 'utf8');
    assert.match(first, /^key,kind,label/);
    assert.equal(fs.statSync(out).mode & 0o777, 0o600);
    fs.writeFileSync(out, 'mine');
    const second = io();
    assert.equal(await runCli(args, second), 1);
    assert.equal(fs.readFileSync(out, 'utf8'), 'mine');
    assert.match(second.errText.join(''), /--force/);
    assert.equal(await runCli([...args, '--force'], io()), 0);
    assert.equal(fs.readFileSync(out, 'utf8'), first);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temporary file left');
  });

  it('report --json adds session-hour and subscription figures (--plan, --session-hour-rate)', async () => {
    let text = '';
    const code = await runCli(['report', '--json', '--no-cache', '--claude-dir', claudeFixture('compact_manual'), '--plan', 'claude-max-20x', '--session-hour-rate', '0.5'], { out: (t) => (text += t), err: () => undefined, env: { HOME: tempDir() }, now });
    assert.equal(code, 0);
    const r = JSON.parse(text);
    const s = r.sessions[0];
    assert.ok(Math.abs(s.costUSD.sessionHour - (s.costUSD.api + (s.time.busySeconds / 3600) * 0.5)) < 1e-9);
    assert.deepEqual([s.costUSD.subscription.plan, s.costUSD.subscription.marginal], ['claude-max-20x', 0]);
    assert.ok(Math.abs(s.costUSD.subscription.allocated - 200) < 1e-9, 'the only work of its month takes the whole fee');
  });
});

describe('task store and budgets', () => {
  it('starts, stops (one running task per workspace) and keeps a corrupt file aside', () => {
    const dir = tempDir();
    const file = path.join(dir, 'tasks.json');
    let tasks = startTask([], 'A', undefined, ['/w'], 1000);
    tasks = startTask(tasks, 'B', '#2', ['/w'], 2000);
    assert.equal(tasks[0]?.end, 2000, 'starting B stopped A');
    assert.equal(runningTask(tasks, ['/w'])?.label, 'B');
    saveTasks(file, tasks);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(loadTasks(file).tasks, tasks);
    fs.writeFileSync(file, '{"version":1,"tasks":[{"id":');
    const bad = loadTasks(file);
    assert.deepEqual(bad.tasks, []);
    assert.match(bad.problem ?? '', /kept aside/);
    assert.ok(fs.readdirSync(dir).some((f) => f.startsWith('tasks.json.corrupt-')));
  });

  it('puts budgets in warning at 80% and exceeded at 100%, per task, day and month', () => {
    const { engine } = engineFor('compact_manual');
    const api = buildReport(engine.meter, { range: all, idleMs: 300_000, calendar }).totals.costUSD.api;
    const status = (limit: number): string[] =>
      statusSummary(engine.meter, {
        now: Date.parse('2026-11-22T23:00:00Z'),
        idleMs: 300_000,
        calendar,
        workspaceFolders: [],
        task: { id: 't', label: 't', folders: ['/home/user/proj'], start: 0 },
        budgets: { taskUSD: limit, dayUSD: limit, monthUSD: limit, basis: 'api' },
      }).budgets.map((b) => `${b.kind}:${b.level}`);
    assert.deepEqual(status(api * 2), ['task:ok', 'day:ok', 'month:ok']);
    assert.deepEqual(status(api / 0.9), ['task:warning', 'day:warning', 'month:warning']);
    assert.deepEqual(status(api / 1.01), ['task:exceeded', 'day:exceeded', 'month:exceeded']);
  });
});
