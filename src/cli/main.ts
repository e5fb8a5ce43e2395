/**
 * `taximeter` — the same engine as the extension, on the command line.
 *
 *   taximeter report [--json] [--claude-dir DIR]... [--since DATE] [--until DATE]
 *                    [--by session|day|model|project|agent] [--agent ID]...
 *                    [--cache-dir DIR | --no-cache] [--tz ZONE] [--idle-minutes N]
 */
import * as path from 'node:path';
import type { GroupBy, Range } from '../core/aggregate';
import { createCalendar, type Calendar } from '../core/calendar';
import { formatCost, formatDuration, formatTable, formatTokens } from '../core/format';
import { buildReport, type Report, type ReportFigures } from '../core/report';
import { PieceWriter, stringifyInPieces } from '../core/json-pieces';
import { agentIds, type AgentId } from '../core/usage';
import * as fs from 'node:fs';
import { exportReport, type ExportFormat } from '../core/export';
import { defaultSessionHourRate, planIds, type PlanId } from '../core/plans';
import type { WorkBy } from '../core/tasks';
import { writeFileAtomic } from '../engine/atomic';
import type { Worker } from 'node:worker_threads';
import { Engine } from '../engine/engine';
import { parseHelperCount } from '../engine/parse-pool';
import { defaultTasksFile, loadTasks } from '../engine/task-store';
import { threadCpuMs } from '../engine/thread-cpu';
import { defaultCacheDir, snapshotDirs, warmKey, writeWarm } from './warm';

/** Bumped by the build (esbuild define); keys the CLI's warm cache to the code that wrote it. */
declare const __TAXIMETER_BUILD__: string | undefined;
export const cliBuild = typeof __TAXIMETER_BUILD__ === 'string' ? __TAXIMETER_BUILD__ : 'dev';

const usage = `Usage: taximeter report [options]
       taximeter export --format md|csv|json --by task|turn|session|branch|day [options] [--out FILE]

Options:
  --json                 machine-readable output (schema in the README); indented on a terminal,
                         one line when piped (smaller, faster)
  --pretty               indent the JSON even when piped
  --claude-dir DIR       read this Claude Code config folder (repeatable; default: $CLAUDE_CONFIG_DIR or ~/.claude, ~/.config/claude)
  --since DATE           from this local day (YYYY-MM-DD or YYYYMMDD)
  --until DATE           up to and including this local day
  --by KEY               group by session (default), day, model, project or agent
  --agent ID             only this agent (repeatable): ${agentIds.join(', ')}
  --cache-dir DIR        where the index is kept (default: $TAXIMETER_CACHE_DIR or ~/.cache/taximeter)
  --no-cache             neither read nor write the index
  --tz ZONE              time zone for days (default: the system's)
  --idle-minutes N       a gap longer than this is idle (default 5)
  --plan ID              subscription to compare with: ${planIds.join(', ')} (default none)
  --plan-fee USD         monthly fee of a custom plan
  --session-hour-rate N  USD per running session-hour (default ${defaultSessionHourRate})

Export options:
  --format md|csv|json   report format (default md)
  --by KEY               task, turn, session, branch or day (default session)
  --out FILE             write here (atomically) instead of stdout; an existing file needs --force
  --force                replace an existing --out file
  --tasks-file FILE      explicit tasks (default: $TAXIMETER_DATA_DIR or ~/.local/share/taximeter/tasks.json)
  --no-prompts           leave prompt text out
  -h, --help             this help

Environment:
  TAXIMETER_CACHE_DIR     the index's folder
  TAXIMETER_PARSE_THREADS helper threads that read ahead in a cold scan (default: one per core beyond the second, at most 2)
  TAXIMETER_DEBUG=1       list the lines that could not be read
  TAXIMETER_TIMING=1      print where the time went (milliseconds per phase, CPU time by thread) to stderr
`;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  now?: number;
  /** Output goes to a terminal: JSON is indented (bin.ts: stdout is a TTY). */
  terminal?: boolean;
  /** The raw arguments, when the caller keeps a warm cache keyed by them (bin.ts). */
  argvForCache?: readonly string[];
  /** Writes bytes to standard output (valid only during the call); when unset, the JSON report goes to `out` as text. */
  outBytes?: (bytes: Uint8Array) => void;
  /** Parse helper threads bin.ts started while this module loaded (a cold scan adopts them). */
  startedHelpers?: readonly Worker[];
}

interface Args {
  command: string;
  format: ExportFormat;
  exportBy: WorkBy;
  out?: string;
  force: boolean;
  tasksFile?: string;
  prompts: boolean;
  plan: PlanId;
  planFee?: number;
  sessionHourRate: number;
  json: boolean;
  pretty: boolean;
  claudeDirs: string[];
  since?: string;
  until?: string;
  by: GroupBy;
  agents: AgentId[];
  cacheDir?: string;
  noCache: boolean;
  tz?: string;
  idleMinutes: number;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = {
    command: '',
    json: false,
    pretty: false,
    claudeDirs: [],
    by: 'session',
    agents: [],
    noCache: false,
    idleMinutes: 5,
    format: 'md',
    exportBy: 'session',
    force: false,
    prompts: true,
    plan: 'none',
    sessionHourRate: defaultSessionHourRate,
  };
  const rest = [...argv];
  const value = (flag: string): string => {
    const v = rest.shift();
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  while (rest.length > 0) {
    const arg = rest.shift() ?? '';
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      rest.unshift(arg.slice(eq + 1));
      rest.unshift(arg.slice(0, eq));
      continue;
    }
    switch (arg) {
      case '--json': a.json = true; break;
      case '--pretty': a.pretty = true; break;
      case '--claude-dir': a.claudeDirs.push(value(arg)); break;
      case '--since': a.since = value(arg); break;
      case '--until': a.until = value(arg); break;
      case '--by': {
        const v = value(arg);
        if (a.command === 'export') {
          if (!['task', 'turn', 'session', 'branch', 'day'].includes(v)) throw new UsageError('export --by must be task, turn, session, branch or day');
          a.exportBy = v as WorkBy;
        } else {
          if (!['session', 'day', 'model', 'project', 'agent'].includes(v)) throw new UsageError(`--by must be session, day, model, project or agent`);
          a.by = v as GroupBy;
        }
        break;
      }
      case '--format': {
        const v = value(arg);
        if (!['md', 'csv', 'json'].includes(v)) throw new UsageError('--format must be md, csv or json');
        a.format = v as ExportFormat;
        break;
      }
      case '--out': a.out = value(arg); break;
      case '--force': a.force = true; break;
      case '--tasks-file': a.tasksFile = value(arg); break;
      case '--no-prompts': a.prompts = false; break;
      case '--plan': {
        const v = value(arg);
        if (!(planIds as readonly string[]).includes(v)) throw new UsageError(`--plan must be one of ${planIds.join(', ')}`);
        a.plan = v as PlanId;
        break;
      }
      case '--plan-fee': {
        const n = Number(value(arg));
        if (!Number.isFinite(n) || n < 0) throw new UsageError('--plan-fee must be a number of USD');
        a.planFee = n;
        break;
      }
      case '--session-hour-rate': {
        const n = Number(value(arg));
        if (!Number.isFinite(n) || n < 0) throw new UsageError('--session-hour-rate must be a number of USD');
        a.sessionHourRate = n;
        break;
      }
      case '--agent': {
        const v = value(arg);
        if (!(agentIds as readonly string[]).includes(v)) throw new UsageError(`unknown agent ${v}; one of ${agentIds.join(', ')}`);
        a.agents.push(v as AgentId);
        break;
      }
      case '--cache-dir': a.cacheDir = value(arg); break;
      case '--no-cache': a.noCache = true; break;
      case '--tz': a.tz = value(arg); break;
      case '--idle-minutes': {
        const n = Number(value(arg));
        if (!Number.isFinite(n) || n <= 0) throw new UsageError('--idle-minutes must be a positive number');
        a.idleMinutes = n;
        break;
      }
      case '-h':
      case '--help': a.command = 'help'; break;
      default:
        if (!a.command && !arg.startsWith('-')) a.command = arg;
        else throw new UsageError(`unknown option ${arg}`);
    }
  }
  return a;
}

function parseDay(text: string, calendar: Calendar, flag: string): number {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text);
  if (!m) throw new UsageError(`${flag}: expected YYYY-MM-DD or YYYYMMDD, got ${text}`);
  // Noon UTC of that date lies inside the local day for every zone within ±12h.
  const noon = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 12);
  if (Number.isNaN(noon)) throw new UsageError(`${flag}: invalid date ${text}`);
  return calendar.startOfDay(noon);
}


function humanFigures(f: ReportFigures & { deadWeight?: { costUSD: number; compactions: number } }): string[] {
  return [
    formatCost(f.costUSD.api, f.costUSD.lowerBound),
    formatTokens(f.tokens.input),
    formatTokens(f.tokens.output),
    formatTokens(f.tokens.cacheWrite),
    formatTokens(f.tokens.cacheRead),
    formatDuration(f.time.busySeconds * 1000),
    formatDuration(f.time.activeSeconds * 1000),
    f.deadWeight ? `${formatCost(f.deadWeight.costUSD)}${f.deadWeight.compactions > 0 ? ` (${f.deadWeight.compactions}c)` : ''}` : '',
  ];
}

function humanReport(r: Report): string {
  const headers = ['', 'cost', 'input', 'output', 'cache write', 'cache read', 'busy', 'active', 'dead weight'];
  const numeric = [false, true, true, true, true, true, true, true, true];
  const rows: string[][] = [];
  if (r.groups) {
    headers[0] = r.by ?? '';
    for (const g of r.groups) rows.push([g.key, ...humanFigures(g)]);
  } else {
    headers[0] = 'session';
    for (const s of r.sessions) {
      const label = `${(s.start ?? '').slice(0, 16).replace('T', ' ')}  ${s.agent}  ${s.id.slice(0, 8)}  ${path.basename(s.project ?? '')}`;
      rows.push([label, ...humanFigures(s)]);
    }
  }
  rows.push(['total', ...humanFigures(r.totals)]);
  const lines = [formatTable(headers, rows, numeric), ''];
  lines.push(`Prices: ${r.priceTable}. Times in ${r.range.timeZone}.`);
  if (r.totals.costUSD.clientReported > 0) lines.push(`Includes ${formatCost(r.totals.costUSD.clientReported)} client-reported (models the price table lacks).`);
  if (r.totals.costUSD.estimated > 0) lines.push(`Includes ${formatCost(r.totals.costUSD.estimated)} estimated (compaction calls no record shows, e.g. Gemini CLI without its telemetry file).`);
  if (r.totals.deadWeight.costUSD > 0)
    lines.push(`Dead weight: ${formatCost(r.totals.deadWeight.costUSD)} (${(r.totals.deadWeight.share * 100).toFixed(1)}%) in ${r.totals.deadWeight.events.length} event(s), ${r.totals.deadWeight.compactions} compaction(s) (c)${r.totals.deadWeight.estimated ? ', partly estimated' : ''}.`);
  if (r.totals.costUSD.auxiliary > 0) lines.push(`Includes ${formatCost(r.totals.costUSD.auxiliary)} of auxiliary calls (compactions, …) seen only in the agent's own totals.`);
  if (r.totals.unpriced.tokens > 0)
    lines.push(`Unpriced: ${formatTokens(r.totals.unpriced.tokens)} tokens of ${r.totals.unpriced.models.join(', ')} — costs marked ≥ are lower bounds. Add prices with taximeter.prices.`);
  return lines.join('\n');
}

/** Milliseconds per phase, since the process started (TAXIMETER_TIMING=1). */
class Phases {
  private last = performance.now();
  private readonly parts: string[] = [`start ${this.last.toFixed(0)}`];
  mark(name: string): void {
    const now = performance.now();
    this.parts.push(`${name} ${(now - this.last).toFixed(0)}`);
    this.last = now;
  }
  toString(helperCpuMs: number): string {
    // CPU time by thread: this one, the helpers, and the rest of the process (V8's compiler and
    // garbage collector threads, the Intl warm-up); on 2 cores the three compete.
    const all = process.cpuUsage();
    const own = threadCpuMs();
    const total = (all.user + all.system) / 1000;
    const cpu = own === undefined ? `cpu (ms): all threads ${total.toFixed(0)}` : `cpu (ms): this thread ${own.toFixed(0)}, helpers ${helperCpuMs.toFixed(0)}, other threads ${Math.max(0, total - own - helperCpuMs).toFixed(0)}`;
    return `timing (ms): ${this.parts.join(', ')}, total ${performance.now().toFixed(0)}\n${cpu}\n`;
  }
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const phases = io.env.TAXIMETER_TIMING ? new Phases() : undefined;
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (error: unknown) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (args.command === 'help' || args.command === '') {
    io.out(usage);
    return args.command === 'help' ? 0 : 2;
  }
  if (args.command !== 'report' && args.command !== 'export') {
    io.err(`unknown command ${args.command}\n\n${usage}`);
    return 2;
  }
  // The calendar uses Intl, whose first use costs 25–40 ms: it is made before the scan only when
  // the arguments need it now (a zone to check, days to find), else after it — by then bin.ts has
  // had Intl initialised on another thread.
  let calendar: Calendar | undefined;
  let range: Range = { from: -Infinity, to: Infinity };
  if (args.tz !== undefined || args.since !== undefined || args.until !== undefined) {
    try {
      calendar = createCalendar(args.tz);
    } catch {
      io.err(`unknown time zone ${args.tz ?? ''}\n`);
      return 2;
    }
    try {
      range = {
        from: args.since ? parseDay(args.since, calendar, '--since') : -Infinity,
        to: args.until ? calendar.startOfDay(parseDay(args.until, calendar, '--until') + 36 * 3_600_000) : Infinity,
      };
    } catch (error: unknown) {
      io.err(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
      return 2;
    }
  }
  const engine = new Engine(
    {
      // Every agent's folders come from this environment (HOME, CODEX_HOME, XDG_DATA_HOME, …).
      env: io.env,
      home: io.env.HOME || io.env.USERPROFILE || undefined,
      claude: { onlyDirs: args.claudeDirs },
      idleMs: args.idleMinutes * 60_000,
      priceOverrides: [],
      keepPromptText: false,
      agents: args.agents.length > 0 ? args.agents : undefined,
      cacheDir: args.noCache ? undefined : args.cacheDir ?? defaultCacheDir(io.env),
      parseThreads: parseHelperCount(io.env),
      startedHelpers: io.startedHelpers,
    },
    (m) => {
      if (io.env.TAXIMETER_DEBUG) io.err(`${m}\n`);
    },
  );
  engine.loadIndex();
  const cacheDir = args.noCache ? undefined : (args.cacheDir ?? defaultCacheDir(io.env));
  // Folders are snapshot before the scan: anything created during it invalidates the warm cache.
  const dirs = cacheDir && args.command === 'report' ? snapshotDirs(engine.roots().flatMap((r) => r.roots)) : [];
  await engine.scanParallel();
  phases?.mark('scan');
  if (phases) io.err(`scan: ${engine.lastScan.files} new files, ${engine.lastScan.byHelpers} read by helper threads, ${engine.lastScan.readAhead} read ahead here, ${engine.lastScan.waitedMs.toFixed(0)} ms waiting\n`);
  try {
    engine.saveIndex();
  } catch (error: unknown) {
    io.err(`warning: could not save the index: ${String(error)}\n`);
  }
  phases?.mark('index');
  const health = engine.health();
  const bad = Object.values(health.byAgent).reduce((n, h) => n + (h ? h.malformed + h.rejected : 0), 0);
  if (bad > 0) io.err(`note: ${bad} line(s) could not be read and were skipped (TAXIMETER_DEBUG=1 lists them)\n`);
  calendar ??= createCalendar(args.tz);
  const plan = { id: args.plan, customFeeUSD: args.planFee };
  const agents = args.agents.length > 0 ? args.agents : undefined;
  if (args.command === 'export') {
    const tasksFile = args.tasksFile ?? defaultTasksFile(io.env);
    const loaded = loadTasks(tasksFile);
    if (loaded.problem) io.err(`warning: ${loaded.problem}\n`);
    const result = exportReport(engine.meter, {
      by: args.exportBy,
      format: args.format,
      range,
      tasks: loaded.tasks,
      work: { now: io.now ?? Date.now(), idleMs: engine.idleMs, calendar, plan, sessionHourRate: args.sessionHourRate, prematureShare: 0.5, includePrompts: args.prompts, agents },
    });
    if (args.out) {
      if (fs.existsSync(args.out) && !args.force) {
        io.err(`${args.out} exists; use --force to replace it\n`);
        return 1;
      }
      writeFileAtomic(args.out, result.content);
      io.err(`wrote ${result.rows} row(s) to ${args.out}\n`);
    } else io.out(result.content);
    return 0;
  }
  const report = buildReport(engine.meter, { range, by: args.by, idleMs: engine.idleMs, calendar, agents, now: io.now, plan, sessionHourRate: args.sessionHourRate });
  phases?.mark('report');
  const keepOutput = cacheDir !== undefined && io.argvForCache !== undefined;
  let output: string | Uint8Array;
  if (args.json && !(args.pretty || io.terminal)) {
    // One line of JSON, written as it is made (the same bytes as JSON.stringify, never one string).
    const kept: Buffer[] = [];
    const out = io.outBytes ?? ((bytes: Uint8Array): void => io.out(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')));
    const writer = new PieceWriter((bytes) => {
      if (keepOutput) kept.push(Buffer.from(bytes));
      out(bytes);
    });
    stringifyInPieces(report, (piece) => writer.put(piece));
    writer.put('\n');
    writer.end();
    output = Buffer.concat(kept);
    phases?.mark('format and write');
  } else {
    output = args.json ? `${JSON.stringify(report, null, 2)}\n` : `${humanReport(report)}\n`;
    phases?.mark('format');
    io.out(output);
    phases?.mark('write');
  }
  if (cacheDir && io.argvForCache) {
    try {
      writeWarm(cacheDir, warmKey(io.argvForCache, io.env, cliBuild, io.terminal ?? false), engine.fileStates(), dirs, output, writeFileAtomic);
    } catch (error: unknown) {
      io.err(`warning: could not save the report cache: ${String(error)}\n`);
    }
  }
  if (phases) io.err(phases.toString(engine.lastScan.helperCpuMs));
  return 0;
}
