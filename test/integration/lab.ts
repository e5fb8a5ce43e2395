/**
 * Drives the real Claude Code client against the loopback fake Anthropic server
 * (../shared/agent-lab/claude-code) from inside the extension host, for end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export interface FakeServer {
  port: number;
  log: string;
  stop(): void;
}

export function sharedDir(): string {
  const d = process.env.TAXIMETER_SHARED_DIR;
  if (!d) throw new Error('TAXIMETER_SHARED_DIR is not set');
  return d;
}

export function claudeBin(): string | undefined {
  const b = process.env.TAXIMETER_CLAUDE_BIN;
  return b && fs.existsSync(b) ? b : undefined;
}

export async function startFakeAnthropic(scratch: string, env: Record<string, string> = {}): Promise<FakeServer> {
  const portFile = path.join(scratch, `port-${Date.now()}`);
  const log = path.join(scratch, 'fake-requests.jsonl');
  const child: ChildProcess = spawn(process.execPath, [path.join(sharedDir(), 'agent-lab', 'claude-code', 'fake-anthropic-server.mjs'), '0'], {
    env: { ...process.env, MAX_SECONDS: '300', FAKE_LOG: log, FAKE_PORT_FILE: portFile, FAKE_OTEL_LOG: path.join(scratch, 'otel.jsonl'), ...env },
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    if (fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim()) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const port = Number(fs.readFileSync(portFile, 'utf8').trim());
  return { port, log, stop: () => void child.kill() };
}

export interface ClaudeRun {
  code: number;
  stdout: string;
  stderr: string;
  result?: { session_id?: string; total_cost_usd?: number };
}

/** Run `claude` headless in `cwd`, writing transcripts under `configDir`. */
export async function runClaude(bin: string, args: string[], opts: { cwd: string; configDir: string; home: string; port: number; env?: Record<string, string>; unsetEnv?: string[] }): Promise<ClaudeRun> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: opts.home,
    CLAUDE_CONFIG_DIR: opts.configDir,
    ANTHROPIC_BASE_URL: `http://127.0.0.1:${opts.port}`,
    ANTHROPIC_API_KEY: 'dummy-key-for-lab-0000000000',
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    ...opts.env,
  };
  for (const k of opts.unsetEnv ?? []) delete env[k];
  const run = await spawnHeadless(bin, [...args, '--allowedTools', 'Bash Read Write Edit Agent'], opts.cwd, env);
  let result: ClaudeRun['result'];
  try {
    result = JSON.parse(run.stdout) as ClaudeRun['result'];
  } catch {
    result = undefined;
  }
  return { code: run.code, stdout: run.stdout, stderr: run.stderr, result };
}

/** Run a CLI with stdin closed and its output collected; killed after 120 s. */
function spawnHeadless(bin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill(), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

// ---- Codex CLI and Gemini CLI against ../shared/agent-lab/other-agents -----------------------

export function codexBin(): string | undefined {
  const b = process.env.TAXIMETER_CODEX_BIN;
  return b && fs.existsSync(b) ? b : undefined;
}

export function geminiBin(): string | undefined {
  const b = process.env.TAXIMETER_GEMINI_BIN;
  return b && fs.existsSync(b) ? b : undefined;
}

/** A free loopback port (the fakes of other-agents take their port as an argument). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Start `fake-openai.mjs` or `fake-gemini.mjs` on loopback; it exits by itself after `maxSeconds`. */
export async function startOtherAgentsFake(script: 'fake-openai.mjs' | 'fake-gemini.mjs', scratch: string, maxSeconds = 240): Promise<FakeServer> {
  const port = await freePort();
  const log = path.join(scratch, `${script}.log`);
  const child = spawn(process.execPath, [path.join(sharedDir(), 'agent-lab', 'other-agents', script), String(port), log, String(maxSeconds)], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    if (fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('"listening"')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, log, stop: () => void child.kill() };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** When the process ended (ms). */
  endedAt: number;
}

/** Run an agent CLI headless (stdin closed, 120 s at most). */
export async function runAgentCli(bin: string, args: string[], opts: { cwd: string; env: Record<string, string> }): Promise<CliRun> {
  const run = await spawnHeadless(bin, args, opts.cwd, { ...process.env, ...opts.env });
  return { ...run, endedAt: Date.now() };
}
