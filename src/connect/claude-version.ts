/**
 * The installed Claude Code version: `claude --version`, else the `version` field of the newest
 * transcript under the config roots. Node I/O, no 'vscode'.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseVersion } from './hook-events';

export interface DetectedVersion {
  version?: string;
  source: string;
}

function fromExecutable(exe: string): string | undefined {
  try {
    const out = execFileSync(exe, ['--version'], { timeout: 10_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, DISABLE_AUTOUPDATER: '1' } });
    const v = parseVersion(out);
    return v ? v.join('.') : undefined;
  } catch {
    return undefined;
  }
}

/** The newest transcript (by mtime) under `<root>/projects/*`, its last `"version":"x.y.z"`. */
function fromTranscripts(roots: readonly string[]): { version: string; file: string } | undefined {
  let newest: { file: string; mtime: number } | undefined;
  for (const root of roots) {
    const projects = path.join(root, 'projects');
    let dirs: string[];
    try {
      dirs = fs.readdirSync(projects);
    } catch {
      continue;
    }
    for (const d of dirs) {
      let names: string[];
      try {
        names = fs.readdirSync(path.join(projects, d));
      } catch {
        continue;
      }
      for (const n of names) {
        if (!n.endsWith('.jsonl')) continue;
        const file = path.join(projects, d, n);
        try {
          const m = fs.statSync(file).mtimeMs;
          if (!newest || m > newest.mtime) newest = { file, mtime: m };
        } catch {
          // vanished
        }
      }
    }
  }
  if (!newest) return undefined;
  try {
    const fd = fs.openSync(newest.file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 256 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      const all = [...buf.toString('utf8').matchAll(/"version":"(\d+\.\d+\.\d+)"/g)];
      const last = all[all.length - 1]?.[1];
      return last ? { version: last, file: newest.file } : undefined;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

export function detectClaudeVersion(options: { executables: readonly string[]; configRoots: readonly string[] }): DetectedVersion {
  for (const exe of options.executables) {
    const v = fromExecutable(exe);
    if (v) return { version: v, source: `${exe} --version` };
  }
  const t = fromTranscripts(options.configRoots);
  if (t) return { version: t.version, source: `the newest transcript (${t.file})` };
  return { source: 'unknown (no `claude` on PATH, no transcript)' };
}
