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
