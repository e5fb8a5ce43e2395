/**
 * Connect with the real Claude Code client (2.1.330) against the fake model server, in the real
 * VS Code host: nothing before Connect; Connect on a settings file (in the test's own
 * CLAUDE_CONFIG_DIR, never ~/.claude) that has its own hook and status line; hooks fire, the
 * status line still prints the user's own line, the meter gets the exact /clear link; with the
 * telemetry receiver, a /compact is an exact dead-weight event; Disconnect restores the file.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TaximeterApi } from '../../../src/extension';
import type { Outcome } from '../../../src/connect/installer';
import { spoolFiles } from '../../../src/connect/layout';
import type { ReportSession } from '../../../src/core/report';
import { fixturesDir, lastCostStates } from '../../helpers';
import { claudeBin, runClaude, startFakeAnthropic, type FakeServer } from '../lab';

async function api(): Promise<TaximeterApi> {
  const ext = vscode.extensions.getExtension<TaximeterApi>('taximeter.taximeter');
  assert.ok(ext);
  return ext.isActive ? ext.exports : await ext.activate();
}

/** TCP ports this process listens on (Linux: /proc/net/tcp{,6} inodes ∩ this process's socket fds). */
function listeningPorts(): number[] {
  const mine = new Set<string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
      if (m?.[1]) mine.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; st 0A = LISTEN; inode is column 9.
      if (cols[3] === '0A' && mine.has(cols[9] ?? '')) ports.push(parseInt(cols[1]?.split(':')[1] ?? '0', 16));
    }
  }
  return ports.sort();
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const spoolLines = (file: string): any[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

describe('Connect with the real Claude Code client', function () {
  this.timeout(240_000);
  let server: FakeServer | undefined;
  const scratch = process.env.TAXIMETER_IT_SCRATCH ?? '';
  const workspace = process.env.TAXIMETER_IT_WORKSPACE ?? '';
  const configDir = process.env.CLAUDE_CONFIG_DIR ?? '';
  const home = path.join(scratch, 'cc-home-connect');
  const settings = path.join(configDir, 'settings.json');
  const stopLog = path.join(scratch, 'user-stop-hook.log');
  // It prints the first 8 characters of the session id it reads on stdin.
  const userStatus = `printf 'user-status:%s' "$(sed -n 's/.*"session_id":"\\([0-9a-f-]*\\)".*/\\1/p' | cut -c1-8)"`;
  // The user's own settings: a Stop hook and a status line, odd formatting on purpose.
  const original = `{\n    "hooks": {\n        "Stop": [ { "matcher": "", "hooks": [ { "type": "command", "command": ${JSON.stringify(`echo stop >> '${stopLog}'`)} } ] } ]\n    },\n    "statusLine": { "type": "command", "command": ${JSON.stringify(userStatus)} }\n}\n`;
  let sessionId: string | undefined;

  before(async function () {
    if (!claudeBin()) this.skip(); // reported as pending, never as passed
    fs.mkdirSync(home, { recursive: true });
    server = await startFakeAnthropic(scratch);
  });

  after(async () => {
    server?.stop();
    await vscode.commands.executeCommand('taximeter.stopTelemetryReceiver');
  });

  it('installs nothing and opens no port until the user connects', async () => {
    const a = await api();
    assert.equal(fs.existsSync(a.connect.layout.root), false, 'no Connect folder');
    assert.equal(fs.existsSync(settings) && fs.readFileSync(settings, 'utf8').includes('taximeter'), false, 'no Taximeter entry in the settings');
    assert.equal(a.connect.receiver, undefined);
    assert.deepEqual(listeningPorts(), [], 'the extension host listens on no TCP port');
  });

  it('connects: shows the version it detected, adds only supported hooks, keeps the user’s own', async () => {
    fs.writeFileSync(settings, original);
    const a = await api();
    const o = await vscode.commands.executeCommand<Outcome>('taximeter.connectClaudeCode', { target: 'user', assumeYes: true, claudeExecutable: claudeBin() });
    assert.ok(o?.ok, o?.message);
    assert.equal(o.file, fs.realpathSync(settings));
    const s = JSON.parse(fs.readFileSync(settings, 'utf8'));
    assert.deepEqual(Object.keys(s.hooks).sort(), ['PostCompact', 'PreCompact', 'SessionEnd', 'SessionStart', 'Stop', 'SubagentStop', 'UserPromptSubmit'], '2.1.330 gets all seven');
    assert.equal(s.hooks.Stop.length, 2, 'the user’s Stop hook is kept');
    assert.ok(s.statusLine.command.includes(a.connect.layout.bin));
    assert.deepEqual(listeningPorts(), [], 'Connect opens no port');
  });

  it('hooks fire in the real client; the scanner gets the exact /clear link', async () => {
    const a = await api();
    const bin = claudeBin();
    assert.ok(bin && server);
    const opts = { cwd: workspace, configDir, home, port: server.port };
    const r1 = await runClaude(bin, ['-p', 'Hello [[script:chat]]', '--output-format', 'json'], opts);
    assert.equal(r1.code, 0, r1.stderr.slice(0, 500));
    sessionId = r1.result?.session_id;
    assert.ok(sessionId);
    const r2 = await runClaude(bin, ['--resume', sessionId, '-p', '/clear', '--output-format', 'json'], opts);
    assert.equal(r2.code, 0, r2.stderr.slice(0, 500));
    const hooks = spoolLines(path.join(a.connect.layout.spool, spoolFiles.hooks));
    const names = hooks.map((h) => `${h.p.hook_event_name}${h.p.source ? `:${h.p.source}` : ''}${h.p.reason ? `:${h.p.reason}` : ''}`);
    for (const n of ['SessionStart:startup', 'UserPromptSubmit', 'Stop', 'SessionEnd:other', 'SessionStart:resume', 'SessionEnd:clear', 'SessionStart:clear']) assert.ok(names.includes(n), `${n} fired (${names.join(', ')})`);
    assert.ok(fs.readFileSync(stopLog, 'utf8').includes('stop'), 'the user’s own Stop hook still ran');
    const cleared = hooks.find((h) => h.p.hook_event_name === 'SessionStart' && h.p.source === 'clear')?.p.session_id as string;
    const report = await until('the /clear link in the meter', async () => {
      const rep = await a.engine.report();
      const s = rep.sessions.find((x: ReportSession) => x.id === cleared);
      return s?.deadWeight.events.some((e) => e.kind === 'clear' && e.provenance.includes('hooks')) ? s : undefined;
    });
    const clear = report.deadWeight.events.find((e) => e.kind === 'clear');
    assert.match(clear?.provenance ?? '', new RegExp(`continues session ${sessionId.slice(0, 8)}`));
  });

  it('the status line wrapper prints the user’s own status line (the wrapper run directly on a captured payload)', () => {
    const s = JSON.parse(fs.readFileSync(settings, 'utf8'));
    const payload = fs.readFileSync(path.join(fixturesDir, 'claude-code', 'hooks', 'interactive', 'home-user', '.lab', 'statusline.jsonl'), 'utf8').split('\n')[0] ?? '';
    const r = spawnSync('/bin/sh', ['-c', s.statusLine.command], { input: payload });
    const expected = spawnSync('/bin/sh', ['-c', userStatus], { input: payload });
    assert.equal(r.status, 0);
    assert.equal(r.stdout.toString(), expected.stdout.toString());
    assert.equal(r.stdout.toString(), `user-status:${String(JSON.parse(payload).session_id).slice(0, 8)}`);
  });

  it('the status line wrapper prints the user’s own status line in the real TUI (tmux)', async function () {
    const tmux = spawnSync('tmux', ['-V']);
    if (tmux.status !== 0) this.skip(); // no tmux: pending, the direct run above still covers the wrapper
    const a = await api();
    const bin = claudeBin();
    assert.ok(bin && server);
    // Pre-accept onboarding, the API key and the folder's trust, as ../shared/agent-lab drive.sh does.
    for (const f of [path.join(home, '.claude.json'), path.join(configDir, '.claude.json')]) {
      const cfg = fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : {};
      cfg.hasCompletedOnboarding = true;
      cfg.theme = 'dark';
      cfg.customApiKeyResponses = { approved: ['dummy-key-for-lab-0000000000'.slice(-20)], rejected: [] };
      cfg.projects = { ...(cfg.projects ?? {}), [workspace]: { ...(cfg.projects?.[workspace] ?? {}), hasTrustDialogAccepted: true, allowedTools: [] } };
      fs.writeFileSync(f, JSON.stringify(cfg, null, 2));
    }
    const sock = `taximeter-it-${process.pid}`;
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const cmd = `cd ${q(workspace)} && HOME=${q(home)} CLAUDE_CONFIG_DIR=${q(configDir)} ANTHROPIC_BASE_URL=http://127.0.0.1:${server.port} ANTHROPIC_API_KEY=dummy-key-for-lab-0000000000 DISABLE_TELEMETRY=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 timeout --foreground 120 ${q(bin)} --model claude-sonnet-4-5; sleep 2`;
    const before = spoolLines(path.join(a.connect.layout.spool, spoolFiles.statusLine)).length;
    execFileSync('tmux', ['-L', sock, 'new-session', '-d', '-s', 'cc', '-x', '160', '-y', '50', cmd]);
    try {
      const pane = (): string => execFileSync('tmux', ['-L', sock, 'capture-pane', '-p', '-t', 'cc']).toString();
      await until('the TUI', () => (/user-status:/.test(pane()) ? true : undefined), 60_000).catch(() => undefined);
      execFileSync('tmux', ['-L', sock, 'send-keys', '-t', 'cc', 'Hello [[script:chat]]']);
      await new Promise((r) => setTimeout(r, 1000));
      execFileSync('tmux', ['-L', sock, 'send-keys', '-t', 'cc', 'Enter']);
      const recorded = await until('status line payloads in the spool', () => {
        const l = spoolLines(path.join(a.connect.layout.spool, spoolFiles.statusLine));
        return l.length > before ? l : undefined;
      });
      const last = recorded[recorded.length - 1];
      assert.equal(last.k, 'statusline');
      const sid = String(last.p.session_id).slice(0, 8);
      assert.match(sid, /^[0-9a-f-]{8}$/);
      // The user's own command, run by the wrapper on the same stdin, shows the same session.
      const screen = await until('the user’s status line on screen', () => (pane().includes(`user-status:${sid}`) ? pane() : undefined), 60_000);
      assert.ok(screen.includes(`user-status:${sid}`));
    } finally {
      spawnSync('tmux', ['-L', sock, 'kill-server']);
    }
  });

  it('with the telemetry receiver, a real /compact is an exact (not estimated) dead-weight event', async () => {
    const a = await api();
    const bin = claudeBin();
    assert.ok(bin && server && sessionId);
    const rec = await vscode.commands.executeCommand<{ port: number; endpoint: string; env: Record<string, string> }>('taximeter.startTelemetryReceiver', { quiet: true });
    assert.ok(rec);
    assert.match(rec.endpoint, /^http:\/\/127\.0\.0\.1:\d+\/[a-f0-9]{48}$/);
    assert.deepEqual(listeningPorts(), [rec.port], 'exactly the receiver, on loopback');
    const opts = { cwd: workspace, configDir, home, port: server.port, env: { ...rec.env, OTEL_LOGS_EXPORT_INTERVAL: '500' }, unsetEnv: ['DISABLE_TELEMETRY', 'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC'] };
    const r1 = await runClaude(bin, ['-p', 'Work [[script:tools]]', '--output-format', 'json'], opts);
    assert.equal(r1.code, 0, r1.stderr.slice(0, 500));
    const sid = r1.result?.session_id;
    assert.ok(sid);
    const before = lastCostStates(configDir).get(sid)?.totalCostUSD ?? 0;
    const r2 = await runClaude(bin, ['--resume', sid, '-p', '/compact', '--output-format', 'json'], opts);
    assert.equal(r2.code, 0, r2.stderr.slice(0, 500));
    const after = lastCostStates(configDir).get(sid)?.totalCostUSD ?? 0;
    const otel = await until('the compact call in the telemetry spool', () => {
      const c = spoolLines(path.join(a.connect.layout.spool, spoolFiles.otel)).find((l) => l.p.sessionId === sid && l.p.querySource === 'compact');
      return c ? c.p : undefined;
    });
    const s = await until('the exact compaction in the meter', async () => {
      const rep = await a.engine.report();
      const x = rep.sessions.find((y: ReportSession) => y.id === sid);
      return x?.deadWeight.events.some((e) => e.kind.endsWith('compaction') && e.provenance.includes('telemetry')) ? x : undefined;
    });
    const e = s.deadWeight.events.find((x) => x.kind.endsWith('compaction'));
    assert.ok(e);
    assert.equal(e.estimated, false);
    assert.equal(e.tokens, otel.inputTokens + otel.outputTokens + otel.cacheReadTokens + otel.cacheCreationTokens);
    assert.ok(Math.abs((e.costUSD ?? 0) - otel.costUSD) < 1e-6, `${e.costUSD} vs the client's ${otel.costUSD}`);
    assert.ok(Math.abs((e.costUSD ?? 0) - (after - before)) < 1e-6, `${e.costUSD} vs the cost-state delta ${after - before}`);
    assert.ok(Math.abs(s.costUSD.api - after) < 1e-6, `no double counting: ${s.costUSD.api} vs the client's ${after}`);
    await vscode.commands.executeCommand('taximeter.stopTelemetryReceiver');
    assert.deepEqual(listeningPorts(), [], 'the port is closed again');
  });

  it('disconnects: the settings file is byte-identical to the user’s original', async () => {
    const out = await vscode.commands.executeCommand<Outcome[]>('taximeter.disconnectClaudeCode');
    assert.equal(out?.length, 1);
    assert.ok(out?.[0]?.ok, out?.[0]?.message);
    assert.equal(fs.readFileSync(settings, 'utf8'), original);
  });
});
