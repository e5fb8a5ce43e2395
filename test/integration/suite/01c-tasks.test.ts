/**
 * Tasks in the real VS Code host: start a task, append transcript lines, stop it, export the
 * report to a file and read it back.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseCsv, csvColumns } from '../../../src/core/export';
import type { TaximeterApi } from '../../../src/extension';

const sessionId = '1fadfc77-936f-4016-8c24-3f754c1f34ce';

async function api(): Promise<TaximeterApi> {
  const ext = vscode.extensions.getExtension<TaximeterApi>('taximeter.taximeter');
  assert.ok(ext);
  return ext.isActive ? ext.exports : await ext.activate();
}

describe('Tasks in the VS Code host', function () {
  this.timeout(60_000);
  const configDir = process.env.CLAUDE_CONFIG_DIR ?? '';
  const workspace = process.env.TAXIMETER_IT_WORKSPACE ?? '';
  const transcript = (): string => path.join(configDir, 'projects', '-home-user-proj', `${sessionId}.jsonl`);

  it('attributes appended work to a running task, shows it, and exports it', async () => {
    const a = await api();
    // The fixture session ran in /home/user/proj; this workspace is elsewhere. Lines appended here
    // carry this workspace as their cwd, as an agent working in it would write them.
    const start = await vscode.commands.executeCommand('taximeter.startTask', { label: 'Fix <the> "login", now', ref: '#42' });
    assert.ok(start, 'task started');
    assert.equal(a.tasks.running()?.label, 'Fix <the> "login", now');
    const line = (id: string, input: number, output: number): string =>
      JSON.stringify({ type: 'assistant', uuid: `it-task-${id}`, timestamp: new Date().toISOString(), sessionId: 'it-task-session', cwd: workspace, message: { id: `msg_it_task_${id}`, model: 'claude-sonnet-4-5', usage: { input_tokens: input, output_tokens: output } } });
    const file = path.join(configDir, 'projects', 'it-task-project', 'it-task-session.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, `${JSON.stringify({ type: 'user', uuid: 'it-task-prompt', timestamp: new Date().toISOString(), sessionId: 'it-task-session', cwd: workspace, message: { content: 'Please fix the login' } })}\n`);
    fs.appendFileSync(file, `${line('1', 1000, 100)}\n${line('2', 3000, 300)}\n`);
    const expected = (4000 * 3 + 400 * 15) / 1e6;
    const s = await a.waitForStatus((m) => m.summary.task !== undefined && Math.abs(m.summary.task.costUSD - expected) < 1e-12, 15_000);
    assert.equal(s.summary.task?.ref, '#42');
    assert.ok(a.statusText().includes('Fix <the> "login"'), a.statusText());
    // Work elsewhere (the fixture project) is not the task's.
    fs.appendFileSync(transcript(), `${JSON.stringify({ type: 'assistant', uuid: 'it-task-other', timestamp: new Date().toISOString(), sessionId, cwd: '/home/user/proj', message: { id: 'msg_it_task_other', model: 'claude-sonnet-4-5', usage: { input_tokens: 50_000, output_tokens: 0 } } })}\n`);
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(Math.abs((a.lastStatus()?.summary.task?.costUSD ?? 0) - expected) < 1e-12, 'other folders do not count');

    await vscode.commands.executeCommand('taximeter.stopTask');
    await a.waitForStatus((m) => m.summary.task === undefined, 10_000);
    fs.appendFileSync(file, `${line('3', 9999, 9999)}\n`);

    const target = path.join(process.env.TAXIMETER_IT_SCRATCH ?? '', 'task-report.csv');
    const written = await vscode.commands.executeCommand<string | undefined>('taximeter.exportReport', { by: 'task', format: 'csv', target });
    assert.equal(written, target);
    const rows = parseCsv(fs.readFileSync(target, 'utf8'));
    const col = (name: (typeof csvColumns)[number]): number => csvColumns.indexOf(name);
    const row = rows.find((r) => r[col('label')] === 'Fix <the> "login", now');
    assert.ok(row, 'the task is in the report');
    assert.equal(row[col('ref')], '#42');
    assert.equal(row[col('inputTokens')], '4000');
    assert.equal(row[col('outputTokens')], '400');
    assert.ok(Math.abs(Number(row[col('apiUSD')]) - expected) < 1e-9);
    assert.equal(row[col('running')], 'false');
    assert.equal(row[col('turns')], '1');
  });
});
