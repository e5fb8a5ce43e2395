/**
 * Connect / Disconnect on real files: byte-identical round trips, other hooks and a custom status
 * line kept working, version-dependent hook names, refusals, Codex's config.toml.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import { detectClaudeVersion } from '../../src/connect/claude-version';
import { hookEvents, supportedHookEvents } from '../../src/connect/hook-events';
import { connectClaude, connectCodex, connectedFiles, disconnect, previewClaudeConnect } from '../../src/connect/installer';
import { connectLayout, spoolFiles } from '../../src/connect/layout';
import { fixturesDir, repoRoot, tempDir } from '../helpers';

const media = path.join(repoRoot, 'media', 'connect');
const all = [...hookEvents];

function setup(original: Buffer | string | undefined): { file: string; layout: ReturnType<typeof connectLayout>; home: string } {
  const home = tempDir('taximeter-connect-');
  const file = path.join(home, '.claude', 'settings.json');
  if (original !== undefined) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, original);
  }
  return { file, layout: connectLayout(path.join(home, 'storage')), home };
}

const withOtherHooks = `{
  "model": "opus",
  "hooks": {
    "Stop": [
      {
        "matcher": "",
        "hooks": [{ "type": "command", "command": "echo my-stop-hook >> \\"$HOME/stops.log\\"" }]
      }
    ],
    "PreToolUse": [{ "matcher": "Bash", "hooks": [{ "type": "command", "command": "true" }] }]
  },
  "statusLine": { "type": "command", "command": "printf 'my status %s' \\"$(cat | wc -c)\\"", "padding": 2 },
  "permissions": { "allow": ["Bash(ls:*)"] }
}
`;

const originals: Record<string, string | Buffer | undefined> = {
  'no file': undefined,
  'an empty file': '',
  'whitespace only': '  \n',
  'other hooks and a custom status line': withOtherHooks,
  'tabs and CRLF': '{\r\n\t"env": {\r\n\t\t"FOO": "1"\r\n\t},\r\n\t"hooks": {\r\n\t\t"SessionStart": []\r\n\t}\r\n}',
  'one compact line, no final newline': '{"theme":"dark","hooks":{"Stop":[{"hooks":[{"type":"command","command":"true"}]}]}}',
  'four spaces and unicode': '{\n    "note": "caf\u00e9 \u2014 \ud83d\ude95",\n    "statusLine": {\n        "type": "command",\n        "command": "echo \'quoted\' \\"double\\""\n    }\n}\n',
};

describe('Connect Claude Code: settings.json', () => {
  for (const [name, original] of Object.entries(originals)) {
    it(`connect then disconnect leaves ${name} byte-identical`, () => {
      const { file, layout, home } = setup(original);
      const r = connectClaude(layout, media, file, all);
      assert.equal(r.ok, true, r.message);
      const installed = fs.readFileSync(file, 'utf8');
      assert.notEqual(installed, original === undefined ? undefined : String(original));
      const parsed = JSON.parse(installed) as { hooks: Record<string, unknown[]>; statusLine: { command: string } };
      assert.deepEqual(Object.keys(parsed.hooks).filter((k) => (all as string[]).includes(k)).sort(), [...all].sort());
      assert.ok(parsed.statusLine.command.includes(layout.bin));
      const out = disconnect(layout, 'claude-settings');
      assert.equal(out.length, 1);
      assert.equal(out[0]?.ok, true, out[0]?.message);
      if (original === undefined) {
        assert.equal(fs.existsSync(file), false, 'the file Connect created is gone');
        assert.equal(fs.existsSync(path.join(home, '.claude')), false, 'and the folder it created');
      } else assert.ok(fs.readFileSync(file).equals(Buffer.from(original)), 'byte-identical');
      assert.deepEqual(connectedFiles(layout, 'claude-settings'), []);
    });
  }

  it('keeps other hooks and the custom status line, which still prints through the wrapper', () => {
    const { file, layout, home } = setup(withOtherHooks);
    assert.equal(connectClaude(layout, media, file, all).ok, true);
    const s = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(s.model, 'opus');
    assert.deepEqual(s.permissions, { allow: ['Bash(ls:*)'] });
    assert.equal(s.statusLine.padding, 2);
    assert.equal(s.hooks.PreToolUse.length, 1);
    assert.equal(s.hooks.Stop.length, 2, 'the user’s Stop hook and ours');
    assert.equal(s.hooks.Stop[0].hooks[0].command, 'echo my-stop-hook >> "$HOME/stops.log"');
    // Run both Stop hooks the way the client does (sh -c, payload on stdin).
    const payload = '{"session_id":"s1","hook_event_name":"Stop","stop_hook_active":false}';
    for (const g of s.hooks.Stop) {
      const r = spawnSync('/bin/sh', ['-c', g.hooks[0].command], { input: payload, env: { ...process.env, HOME: home } });
      assert.equal(r.status, 0);
      assert.equal(r.stdout.toString(), '', 'hooks print nothing');
    }
    assert.equal(fs.readFileSync(path.join(home, 'stops.log'), 'utf8'), 'my-stop-hook\n');
    const spool = fs.readFileSync(path.join(layout.spool, spoolFiles.hooks), 'utf8').trim().split('\n');
    assert.equal(spool.length, 1);
    const line = JSON.parse(spool[0] ?? '');
    assert.equal(line.k, 'hook');
    assert.deepEqual(line.p, JSON.parse(payload));
    assert.ok(Math.abs(line.t - Date.now()) < 60_000, 'receive time in ms');
    // The status line: the wrapper records the input and prints exactly what the user's command prints.
    const input = '{"session_id":"s1","model":{"id":"claude-sonnet-4-5"}}\n';
    const mine = spawnSync('/bin/sh', ['-c', `printf 'my status %s' "$(cat | wc -c)"`], { input });
    const wrapped = spawnSync('/bin/sh', ['-c', s.statusLine.command], { input });
    assert.equal(wrapped.status, 0);
    assert.equal(wrapped.stdout.toString(), mine.stdout.toString());
    assert.equal(wrapped.stdout.toString().trim(), `my status ${Buffer.byteLength(input)}`);
    const sl = JSON.parse(fs.readFileSync(path.join(layout.spool, spoolFiles.statusLine), 'utf8').trim());
    assert.deepEqual(sl.p, JSON.parse(input));
  });

  it('passes the previous status line’s exit status and stdin through unchanged', () => {
    const { file, layout } = setup('{"statusLine":{"type":"command","command":"cat; exit 3"}}');
    assert.equal(connectClaude(layout, media, file, all).ok, true);
    const cmd = JSON.parse(fs.readFileSync(file, 'utf8')).statusLine.command as string;
    const input = '{"a":"x\\ny"}';
    const r = spawnSync('/bin/sh', ['-c', cmd], { input });
    assert.equal(r.status, 3);
    assert.equal(r.stdout.toString(), input, 'byte for byte, no newline added');
  });

  it('a hook never fails the chain: unwritable spool, garbage stdin, no stdin', () => {
    const { file, layout } = setup(undefined);
    assert.equal(connectClaude(layout, media, file, all).ok, true);
    const hook = JSON.parse(fs.readFileSync(file, 'utf8')).hooks.Stop[0].hooks[0].command as string;
    for (const input of ['not json', '', '{"truncated":']) {
      const r = spawnSync('/bin/sh', ['-c', hook], { input });
      assert.equal(r.status, 0);
      assert.equal(r.stdout.toString(), '');
    }
    fs.rmSync(layout.spool, { recursive: true });
    fs.writeFileSync(layout.spool, 'a file where the folder was');
    const r = spawnSync('/bin/sh', ['-c', hook], { input: '{"session_id":"s"}' });
    assert.equal(r.status, 0);
    assert.equal(r.stderr.toString(), '', 'and quietly');
  });

  it('writes only the hook names the installed version supports', () => {
    assert.deepEqual(supportedHookEvents('2.1.330 (Claude Code)'), ['SessionStart', 'SessionEnd', 'UserPromptSubmit', 'Stop', 'SubagentStop', 'PreCompact', 'PostCompact']);
    assert.deepEqual(supportedHookEvents('1.0.128 (Claude Code)'), ['SessionStart', 'SessionEnd', 'UserPromptSubmit', 'Stop', 'SubagentStop', 'PreCompact']);
    assert.equal(supportedHookEvents('2.0.14').includes('PostCompact'), false, 'not seen before 2.1.330');
    assert.equal(supportedHookEvents(undefined).includes('PostCompact'), false, 'unknown: the safe set');
    const { file, layout } = setup(undefined);
    assert.equal(connectClaude(layout, media, file, supportedHookEvents('1.0.128')).ok, true);
    const names = Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).hooks);
    assert.deepEqual(names.sort(), ['PreCompact', 'SessionEnd', 'SessionStart', 'Stop', 'SubagentStop', 'UserPromptSubmit']);
  });

  it('detects the version from `claude --version`, else from the newest transcript', () => {
    const dir = tempDir();
    const exe = path.join(dir, 'claude');
    fs.writeFileSync(exe, '#!/bin/sh\necho "1.0.128 (Claude Code)"\n', { mode: 0o755 });
    assert.deepEqual(detectClaudeVersion({ executables: [path.join(dir, 'missing'), exe], configRoots: [] }), { version: '1.0.128', source: `${exe} --version` });
    const root = path.join(fixturesDir, 'claude-code', 'hooks', 'interactive', 'home-user', '.claude');
    const d = detectClaudeVersion({ executables: [path.join(dir, 'missing')], configRoots: [root] });
    assert.equal(d.version, '2.1.330');
    assert.match(d.source, /newest transcript/);
    assert.equal(detectClaudeVersion({ executables: [], configRoots: [dir] }).version, undefined);
  });

  it('refuses a file that is not JSON, and changes nothing', () => {
    const bad = '{ "hooks": { oops } }\n';
    const { file, layout } = setup(bad);
    const r = connectClaude(layout, media, file, all);
    assert.equal(r.ok, false);
    assert.match(r.message, /not valid JSON/);
    assert.equal(fs.readFileSync(file, 'utf8'), bad);
    assert.equal(fs.existsSync(layout.stateFile), false);
  });

  it('refuses shapes it does not know (hooks not an object of lists, a status line that is not a command)', () => {
    for (const [text, why] of [
      ['{"hooks":[]}', /"hooks" is not an object of lists/],
      ['{"hooks":{"Stop":{}}}', /"hooks" is not an object of lists \(Stop\)/],
      ['{"statusLine":"echo hi"}', /not a \{"type":"command"/],
      ['{"statusLine":{"type":"static","command":"x"}}', /not a \{"type":"command"/],
      ['[1,2]', /top level is not a JSON object/],
    ] as const) {
      const { file, layout } = setup(text);
      const r = connectClaude(layout, media, file, all);
      assert.equal(r.ok, false, text);
      assert.match(r.message, why);
      assert.equal(fs.readFileSync(file, 'utf8'), text);
    }
  });

  it('refuses to connect twice', () => {
    const { file, layout } = setup('{}');
    assert.equal(connectClaude(layout, media, file, all).ok, true);
    const r = previewClaudeConnect(layout, file, all);
    assert.equal(r.ok, false);
    assert.equal(r.alreadyConnected, true);
  });

  it('refuses to disconnect when Taximeter’s entry was edited, and leaves the file alone', () => {
    const { file, layout } = setup(withOtherHooks);
    assert.equal(connectClaude(layout, media, file, all).ok, true);
    const edited = fs.readFileSync(file, 'utf8').replace('hook.sh', 'hook.sh --verbose');
    fs.writeFileSync(file, edited);
    const [r] = disconnect(layout, 'claude-settings');
    assert.equal(r?.ok, false);
    assert.match(r?.message ?? '', /was edited since Connect/);
    assert.equal(fs.readFileSync(file, 'utf8'), edited);
    assert.equal(connectedFiles(layout, 'claude-settings').length, 1, 'still recorded, to retry');
    fs.writeFileSync(file, '{ broken');
    const [r2] = disconnect(layout, 'claude-settings');
    assert.equal(r2?.ok, false);
    assert.match(r2?.message ?? '', /not valid JSON.*backup/s);
  });

  it('refuses to apply when the file changed after the preview', () => {
    const { file, layout } = setup('{}');
    const p = previewClaudeConnect(layout, file, all);
    fs.writeFileSync(file, '{"model":"haiku"}');
    const r = connectClaude(layout, media, file, all, { expectedBefore: p.before });
    assert.equal(r.ok, false);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"model":"haiku"}');
  });

  it('merges: changes made while connected are kept, only Taximeter’s entries go', () => {
    const { file, layout } = setup(withOtherHooks);
    assert.equal(connectClaude(layout, media, file, all).ok, true);
    const fo = { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } };
    const connected = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, applyEdits(connected, modify(connected, ['model'], 'sonnet', fo)));
    const [r] = disconnect(layout, 'claude-settings');
    assert.equal(r?.ok, true, r?.message);
    assert.match(r?.message ?? '', /changes made since Connect were kept/);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { ...JSON.parse(withOtherHooks), model: 'sonnet' });
  });

  it('edits the target of a symlinked settings file and keeps its mode', () => {
    const { file, layout, home } = setup(undefined);
    const real = path.join(home, 'dotfiles', 'claude-settings.json');
    fs.mkdirSync(path.dirname(real), { recursive: true });
    fs.writeFileSync(real, '{"theme":"light"}\n', { mode: 0o640 });
    fs.chmodSync(real, 0o640);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.symlinkSync(real, file);
    assert.equal(connectClaude(layout, media, file, all).ok, true);
    assert.ok(fs.lstatSync(file).isSymbolicLink(), 'still a link');
    assert.equal(fs.statSync(real).mode & 0o777, 0o640);
    assert.ok(fs.readFileSync(real, 'utf8').includes(layout.bin));
    assert.equal(disconnect(layout, 'claude-settings', file)[0]?.ok, true);
    assert.equal(fs.readFileSync(real, 'utf8'), '{"theme":"light"}\n');
    assert.equal(fs.statSync(real).mode & 0o777, 0o640);
  });
});

describe('Connect Codex CLI: config.toml notify', () => {
  const cases: Record<string, string | undefined> = {
    'no file': undefined,
    'a config with tables': '# my codex\nmodel = "gpt-5"\n\n[mcp_servers.x]\ncommand = "y"\n',
    'a previous notify': 'model = "o3"\nnotify = ["notify-send", \'Codex\']\n[otel]\nenvironment = "dev"\n',
  };
  for (const [name, original] of Object.entries(cases)) {
    it(`connect then disconnect leaves ${name} byte-identical`, () => {
      const home = tempDir();
      const file = path.join(home, '.codex', 'config.toml');
      if (original !== undefined) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, original);
      }
      const layout = connectLayout(path.join(home, 'storage'));
      const r = connectCodex(layout, media, file);
      assert.equal(r.ok, true, r.message);
      const text = fs.readFileSync(file, 'utf8');
      const notify = /^notify = (.*)$/m.exec(text)?.[1];
      assert.ok(notify);
      const argv = JSON.parse(notify) as string[];
      assert.equal(argv[0], '/bin/sh');
      assert.ok(argv[1]?.endsWith('codex-notify.sh'));
      const firstTable = text.search(/^\[/m);
      assert.ok(firstTable < 0 || text.indexOf('notify =') < firstTable, 'top level');
      // Run it as Codex does: argv + the turn's JSON.
      const turn = '{"type":"agent-turn-complete","thread-id":"01a2049e-5723","turn-id":"t-1","input-messages":["secret prompt"]}';
      const out = execFileSync(argv[0] ?? '', [...argv.slice(1).map((a) => (a === 'notify-send' ? 'echo' : a)), turn]).toString();
      const spooled = JSON.parse(fs.readFileSync(path.join(layout.spool, spoolFiles.codexNotify), 'utf8').trim());
      assert.deepEqual(spooled.p, { thread: '01a2049e-5723', turn: 't-1' }, 'no prompt text kept');
      assert.equal(out, original?.includes('notify-send') ? `Codex ${turn}\n` : '');
      assert.equal(disconnect(layout, 'codex-config')[0]?.ok, true);
      if (original === undefined) assert.equal(fs.existsSync(file), false);
      else assert.equal(fs.readFileSync(file, 'utf8'), original);
    });
  }
});
