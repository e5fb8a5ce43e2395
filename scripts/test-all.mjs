#!/usr/bin/env node
// `npm test`: type-check, lint, unit tests (plain Node), build, integration tests (real VS Code
// extension host) and the webview tests (real Chromium). Prints one last line: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureClaudeCode, ensureCodex, ensureGemini, installVscodeHost, sharedDir } from './lab.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const results = fs.mkdtempSync(path.join(os.tmpdir(), 'taximeter-results-'));
let passed = 0;
let failed = 0;
let pending = 0;
const problems = [];

function run(label, cmd, args, env = {}) {
  process.stdout.write(`\n=== ${label}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, TAXIMETER_TEST_RESULTS: results }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  return { code: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** A gate (types, lint, build) counts as one check. */
function gate(label, cmd, args) {
  const r = run(label, cmd, args);
  if (r.code === 0) passed++;
  else {
    failed++;
    problems.push(label);
  }
  return r.code === 0;
}

/** A mocha run: its own counts. */
function mochaCounts(label, out, code) {
  const p = Number(/(\d+) passing/.exec(out)?.[1] ?? 0);
  const f = Number(/(\d+) failing/.exec(out)?.[1] ?? 0);
  const s = Number(/(\d+) pending/.exec(out)?.[1] ?? 0);
  passed += p;
  failed += f;
  pending += s;
  if (code !== 0 && f === 0) {
    failed++;
    problems.push(`${label} (exit ${code})`);
  } else if (f > 0) problems.push(`${label} (${f} failing)`);
}

const npx = (bin) => path.join(root, 'node_modules', '.bin', bin);

gate('check-types', npx('tsc'), ['--noEmit', '-p', '.']);
if (fs.existsSync(path.join(root, 'webview', 'tsconfig.json'))) gate('check-types (webview)', npx('tsc'), ['--noEmit', '-p', 'webview']);
gate('lint', npx('eslint'), ['.']);
gate('check-types (webview tests)', npx('tsc'), ['--noEmit', '-p', 'test/webview']);
const compiled = gate('compile tests', npx('tsc'), ['-p', '.']) && gate('compile webview tests', npx('tsc'), ['-p', 'test/webview']);
if (compiled) {
  const unit = run('unit tests', npx('mocha'), []);
  mochaCounts('unit tests', unit.out, unit.code);
}
const built = gate('build', process.execPath, ['esbuild.js']);
if (built) {
  // What would ship (`vsce ls`): the bundles, the icon, the Connect scripts and the docs — never
  // sources, tests, fixtures or source maps.
  const ls = run('package contents (vsce ls)', npx('vsce'), ['ls', '--no-dependencies']);
  const files = ls.out.split('\n').map((l) => l.trim()).filter((l) => /^[\w.-]+(\/[\w.@-]+)*$/.test(l));
  const bad = files.filter((f) => /^(src|test|webview|scripts|node_modules)\/|\.map$|\.ts$/.test(f));
  const needed = ['dist/extension.js', 'dist/worker.js', 'dist/cli.js', 'dist/cli-main.js', 'dist/parse-worker.js', 'dist/helper-sources.js', 'dist/webview/main.js', 'dist/webview/main.css', 'media/icon.png'];
  const missing = needed.filter((f) => !files.includes(f));
  if (ls.code === 0 && bad.length === 0 && missing.length === 0) passed++;
  else {
    failed++;
    problems.push(`package contents (ships: ${bad.join(', ') || '-'}; missing: ${missing.join(', ') || '-'})`);
  }
}
if (built && compiled) {
  const wv = run('webview tests (real Chromium)', npx('mocha'), ['--no-config', '--timeout', '60000', 'out/test/webview/**/*.test.js']);
  mochaCounts('webview tests', wv.out, wv.code);
}
if (built && compiled) {
  // The real VS Code host (cached after the first install) and the real Claude Code client.
  process.stdout.write(`\n=== VS Code host install (cached): ${path.join(sharedDir(root), 'vscode-host', 'install.sh')}\n`);
  const host = installVscodeHost(root, ['ignore', 'pipe', 'pipe']);
  process.stdout.write(host.out);
  const claudeBin = ensureClaudeCode('2.1.330') ?? '';
  const codexBin = ensureCodex('0.169.0') ?? '';
  const geminiBin = ensureGemini('0.61.0') ?? '';
  const it = run('integration tests (VS Code extension host)', process.execPath, ['out/test/integration/run.js'], {
    TAXIMETER_CLAUDE_BIN: claudeBin,
    TAXIMETER_CODEX_BIN: codexBin,
    TAXIMETER_GEMINI_BIN: geminiBin,
    TAXIMETER_SHARED_DIR: sharedDir(root),
  });
  const file = path.join(results, 'integration.json');
  if (fs.existsSync(file)) {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    passed += r.passed;
    failed += r.failed;
    pending += r.pending ?? 0;
    if (r.failed > 0) problems.push(`integration (${r.failed} failing)`);
    if (it.code !== 0 && r.failed === 0) {
      failed++;
      problems.push(`integration (exit ${it.code})`);
    }
  } else {
    failed++;
    problems.push(`integration (no results, exit ${it.code})`);
  }
}
if (built) {
  const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'taximeter-shots-'));
  const r = run('cost panel in the real workbench, light and dark (screenshots)', process.execPath, ['scripts/screenshots.mjs'], { TAXIMETER_SHOTS_DIR: shots });
  if (r.code === 0) passed++;
  else {
    failed++;
    problems.push('panel screenshots');
  }
}
if (problems.length > 0) console.log(`\nFailed: ${problems.join('; ')}`);
if (pending > 0) console.log(`(${pending} pending test(s) not counted as passed)`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
