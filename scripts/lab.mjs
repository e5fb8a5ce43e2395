// Installs the real agent CLIs the end-to-end tests drive (from the npm registry, cached outside
// the repository) and says where they and the fake model servers are.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function labCache() {
  return process.env.TAXIMETER_LAB_CACHE || path.join(os.homedir(), '.cache', 'taximeter-lab');
}

export function sharedDir(root) {
  return process.env.TAXIMETER_SHARED_DIR || path.resolve(root, '..', 'shared');
}

/**
 * Install (once; cached after) the real VS Code host of ../shared/vscode-host, printing its output;
 * false when it is not there or its install failed. It runs without npm's own variables (`npm test`
 * and `npm run bench` run us): the npm that install.sh runs would take them as its settings, and
 * code-server's install reads the Node version from npm_config_user_agent — the outer npm's Node,
 * not the Node 24 it runs under — and stops.
 */
export function installVscodeHost(root, stdio = 'inherit') {
  const host = path.join(sharedDir(root), 'vscode-host', 'install.sh');
  if (!fs.existsSync(host)) return { ok: false, out: `${host} not found` };
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const r = spawnSync('bash', [host], { cwd: root, env, stdio, encoding: 'utf8', timeout: 1_200_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/**
 * Path of an npm-installed CLI (`bin` relative to the install folder), installing `spec` once into
 * the lab cache; undefined when npm cannot.
 */
function ensureNpmCli(folder, spec, bin) {
  const dir = path.join(labCache(), folder);
  const file = path.join(dir, bin);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', spec], { cwd: dir, stdio: 'inherit', timeout: 600_000 });
    if (r.status !== 0) return undefined;
  }
  return fs.existsSync(file) ? file : undefined;
}

/** The real Codex CLI (its npm package brings the native binary for this platform). */
export function ensureCodex(version = '0.169.0') {
  return ensureNpmCli(`codex-${version}`, `@openai/codex@${version}`, path.join('node_modules', '.bin', 'codex'));
}

/** The real Gemini CLI. */
export function ensureGemini(version = '0.61.0') {
  return ensureNpmCli(`gemini-${version}`, `@google/gemini-cli@${version}`, path.join('node_modules', '.bin', 'gemini'));
}

/** Path of the Claude Code binary of `version`, installing it once; undefined when npm cannot. */
export function ensureClaudeCode(version = '2.1.330') {
  const dir = path.join(labCache(), `cc-${version}`);
  const pkg = path.join(dir, 'node_modules', '@anthropic-ai', 'claude-code');
  const bin = () => {
    const native = path.join(pkg, 'bin', 'claude.exe');
    if (fs.existsSync(native)) return native;
    const js = path.join(pkg, 'cli.js');
    return fs.existsSync(js) ? js : undefined;
  };
  if (!bin()) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `@anthropic-ai/claude-code@${version}`], { cwd: dir, stdio: 'inherit', timeout: 600_000 });
    if (r.status !== 0) return undefined;
  }
  return bin();
}
