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
