#!/usr/bin/env node
// Screenshots of the status bar and the cost panel in the real workbench (VS Code host +
// headless Chromium), light and dark, on a fixture history. Writes test/screenshots/<theme>/ and
// checks that the panel shows the expected figures; exits non-zero if not.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sharedDir } from './lab.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const shot = path.join(sharedDir(root), 'vscode-host', 'screenshot.sh');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taximeter-shots-'));
const claude = path.join(scratch, 'claude');
fs.cpSync(path.join(root, 'test', 'fixtures', 'claude-code', 'compact_manual'), claude, { recursive: true });
fs.cpSync(path.join(root, 'test', 'fixtures', 'claude-code', 'subagent_models'), claude, { recursive: true });
let failures = 0;
for (const [theme, colorTheme] of [['light', 'Default Light Modern'], ['dark', 'Default Dark Modern']]) {
  const out = path.join(process.env.TAXIMETER_SHOTS_DIR || path.join(root, 'test', 'screenshots'), theme);
  fs.mkdirSync(out, { recursive: true });
  const settings = path.join(scratch, `${theme}.json`);
  fs.writeFileSync(settings, JSON.stringify({ 'workbench.colorTheme': colorTheme, 'taximeter.plan': 'claude-max-5x', 'taximeter.timeZone': 'UTC' }));
  const r = spawnSync('bash', [shot, `--extensionDevelopmentPath=${root}`, `--out=${out}`, '--status-text=$', '--command=Taximeter: Open Cost Panel', '--webview-text=Three prices for the same work', `--settings=${settings}`, '--width=1400', '--height=1000'], {
    env: { ...process.env, CLAUDE_CONFIG_DIR: claude, TAXIMETER_DATA_DIR: path.join(scratch, 'data') },
    encoding: 'utf8',
  });
  process.stdout.write(r.stderr.split('\n').filter((l) => /status bar item|screenshots in|ERROR/.test(l)).join('\n') + '\n');
  const text = fs.existsSync(path.join(out, 'webview.txt')) ? fs.readFileSync(path.join(out, 'webview.txt'), 'utf8') : '';
  for (const expected of ['API (per token)', 'Subscription: Claude Max 5x', 'Session-hour (runtime)', 'claude-sonnet-4-5', 'Cheapest', 'Prompt caching saved']) {
    if (!text.includes(expected)) {
      console.error(`${theme}: the panel does not show "${expected}"`);
      failures++;
    }
  }
  if (r.status !== 0) {
    console.error(`${theme}: screenshot.sh exited ${r.status}`);
    failures++;
  }
}
console.log(failures === 0 ? 'screenshots: panel checked in light and dark themes' : `screenshots: ${failures} problem(s)`);
process.exitCode = failures === 0 ? 0 : 1;
