/**
 * The scanner worker: runs the engine off the extension host's thread, watches the transcript
 * folders (file-system events, debounced, with a polling fallback) and posts a status summary
 * whenever the meter changes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { createCalendar, type Calendar } from '../core/calendar';
import { buildPanelState, type PanelHealth } from '../core/panel-state';
import { buildReport } from '../core/report';
import { exportReport } from '../core/export';
import { runningTask } from './task-store';
import { statusSummary } from '../core/status';
import { spoolFiles } from '../connect/layout';
import { Engine, type EngineConfig } from './engine';
import { ScannerLock } from './lock';
import { validPriceOverrides } from '../protocol/price-override';
import { toWorkerSchema, type EngineSettings, type FromWorker, type HealthBrief, type ScanState, type ToWorker } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

// The scanner yields the CPU to the editor: on Linux this lowers this thread only.
try {
  os.setPriority(19);
} catch {
  // not permitted here: run at normal priority
}

let engine: Engine | undefined;
let settings: EngineSettings | undefined;
/** The folders changed during a scan: scan again when it ends. */
let rescanWanted = false;
let calendar: Calendar = createCalendar();
const scan: ScanState = { phase: 'starting', indexLoaded: false, watching: 'none', role: 'leader' };
const watchers: fs.FSWatcher[] = [];
let pollTimer: NodeJS.Timeout | undefined;
let debounceTimer: NodeJS.Timeout | undefined;
let saveTimer: NodeJS.Timeout | undefined;
let midnightTimer: NodeJS.Timeout | undefined;
const changedPaths = new Set<string>();
let lastPostedVersion = -1;
let lock: ScannerLock | undefined;
let followTimer: NodeJS.Timeout | undefined;
/** A following window has loaded the index and reads new lines itself. */
let followingLive = false;
/**
 * The safety net behind file events: the files written within `recentMs` every few seconds, all
 * files and the search for new ones every `fullPollMs` (their cost grows with the history).
 */
const recentMs = 60 * 60_000;
const fullPollMs = 60_000;
let lastFullPoll = 0;

/** A poll of the safety net: everything when due (or without events), else the recent files. */
function safetyPoll(e: Engine): boolean {
  const full = scan.watching !== 'events' || settings?.pollMs !== undefined || Date.now() - lastFullPoll >= fullPollMs;
  if (full) lastFullPoll = Date.now();
  return e.poll(full ? undefined : recentMs);
}
let lastSave = 0;

function post(msg: FromWorker): void {
  port?.postMessage(msg);
}

function log(level: 'info' | 'warn' | 'error', message: string): void {
  post({ type: 'log', level, message });
}

function toConfig(s: EngineSettings): EngineConfig {
  return {
    claude: { extraDirs: s.claudeConfigDirs, spoolDir: s.connectSpoolDir },
    globalStorageDirs: s.globalStorageDirs,
    idleMs: s.idleMs,
    priceOverrides: validPriceOverrides(s.priceOverrides, (m) => log('warn', m)),
    keepPromptText: s.keepPromptText,
    agents: s.agents,
    cacheDir: s.cacheDir,
  };
}

function healthBrief(e: Engine): HealthBrief {
  const h = e.health();
  let unreadable = 0;
  let malformed = 0;
  let rejected = 0;
  const detected: string[] = [];
  for (const [agent, a] of Object.entries(h.byAgent)) {
    if (!a) continue;
    unreadable += a.unreadableFiles;
    malformed += a.malformed;
    rejected += a.rejected;
    if (a.detected) detected.push(agent);
  }
  const last = h.problems[h.problems.length - 1];
  return {
    ok: unreadable === 0,
    unreadableFiles: unreadable,
    malformed,
    rejected,
    problemCount: h.problemCount,
    lastProblem: last ? `${last.path}: ${last.message}` : undefined,
    detectedAgents: detected,
  };
}

function panelHealth(e: Engine): PanelHealth {
  const h = e.health();
  return {
    agents: Object.entries(h.byAgent).map(([agent, a]) => ({
      agent,
      detected: a?.detected ?? false,
      files: a?.files ?? 0,
      bytesRead: a?.bytesRead ?? 0,
      parsed: a?.parsed ?? 0,
      malformed: a?.malformed ?? 0,
      rejected: a?.rejected ?? 0,
      oversized: a?.oversized ?? 0,
      unreadableFiles: a?.unreadableFiles ?? 0,
    })),
    problems: h.problems.slice(-50),
    problemCount: h.problemCount,
    index: h.index.loaded ? `loaded (saved ${h.index.savedAt ? new Date(h.index.savedAt).toISOString() : 'earlier'}); ${scan.role === 'follower' ? 'another window scans; this one started from its index and reads new lines itself' : 'this window scans'}` : h.index.rebuilt ? `rebuilt: ${h.index.rebuilt}` : 'new',
  };
}

function postStatus(force = false): void {
  if (!engine || !settings) return;
  if (!force && engine.meter.version === lastPostedVersion) return;
  lastPostedVersion = engine.meter.version;
  const summary = statusSummary(engine.meter, {
    now: Date.now(),
    idleMs: settings.idleMs,
    calendar,
    workspaceFolders: settings.workspaceFolders,
    agents: settings.agents,
    agentsMode: settings.statusBarAgents,
    prematureShare: settings.prematureShare,
    task: runningTask(settings.tasks, settings.workspaceFolders),
    budgets: settings.budgets,
    sessionHourRate: settings.sessionHourRate,
  });
  post({ type: 'status', summary, scan: { ...scan }, health: healthBrief(engine), meterVersion: engine.meter.version });
}

/**
 * Save the index 30 s after a change (and when the window closes). Writing it costs the whole
 * history (80–170 ms for a 1 GB one), and nothing needs it sooner: the transcripts are the truth,
 * so a window that stops without saving reads the last seconds again at its next start, and other
 * windows read new lines themselves (they load the index only when they start).
 */
const saveAfterMs = 30_000;

function scheduleSave(): void {
  if (saveTimer || !engine || scan.role === 'follower') return;
  const wait = Math.max(saveAfterMs, lastSave + saveAfterMs - Date.now());
  saveTimer = setTimeout(() => {
    saveTimer = undefined;
    try {
      engine?.saveIndex();
      lastSave = Date.now();
    } catch (error: unknown) {
      log('warn', `could not save the index: ${String(error)}`);
    }
  }, wait);
}

/**
 * Another window scans: start from the index it saves, then follow the transcripts here (only what
 * is appended after the index: a few bytes per change, like the scanning window), and take over if
 * it goes away. The index is loaded once: reloading it on every save cost each following window
 * the whole history again (130–350 ms for a 1 GB history, every 2 s while an agent works).
 * Following windows never write the index.
 */
function follow(): void {
  scan.role = 'follower';
  scan.phase = 'live';
  const file = engine?.indexPath();
  let seen = 0;
  let lastFollowPoll = 0;
  const indexMtime = (): number => {
    try {
      return file ? fs.statSync(file).mtimeMs : 0;
    } catch {
      return 0;
    }
  };
  const goLive = (): void => {
    followingLive = true;
    seen = indexMtime();
    lastFollowPoll = Date.now();
    startWatching();
    // What was appended since the index was saved.
    lastFullPoll = Date.now();
    try {
      engine?.poll();
    } catch (error: unknown) {
      log('error', `poll failed: ${String(error)}`);
    }
    log('info', 'following: the scanning window’s index is loaded; new lines are read here');
  };
  const tick = (): void => {
    if (!engine) return;
    if (lock?.tryAcquire()) {
      if (followTimer) clearInterval(followTimer);
      followTimer = undefined;
      log('info', 'the scanning window went away: this window scans now');
      lead();
      return;
    }
    if (followingLive) {
      if (settings?.pollMs !== undefined) return; // its own poll timer runs (startWatching)
      // The safety net behind file events: the recent files when the scanning window saved its
      // index (it saw a change; at most every 5 s), all of them every minute — never the index
      // itself. Without events (none, or a watcher failed): every second, like the scanning window.
      if (scan.watching === 'events') {
        if (Date.now() - lastFollowPoll < 5000) return;
        const now = indexMtime();
        if (now === seen && Date.now() - lastFullPoll < fullPollMs) return;
        seen = now;
      }
      lastFollowPoll = Date.now();
      try {
        if (safetyPoll(engine)) postStatus();
      } catch (error: unknown) {
        log('error', `poll failed: ${String(error)}`);
      }
      return;
    }
    // No index yet (the scanning window's first scan is running): wait for it rather than scan too.
    const mtime = indexMtime();
    if (mtime !== seen) {
      seen = mtime;
      if (engine.loadIndex()) {
        scan.indexLoaded = true;
        goLive();
        postStatus(true);
      }
    }
  };
  if (scan.indexLoaded) goLive();
  else tick();
  postStatus(true);
  followTimer = setInterval(tick, 1000);
}

function lead(): void {
  scan.role = 'leader';
  startWatching();
  void runScan().catch((error: unknown) => log('error', `scan failed: ${String(error)}`));
}

/** Churn in the agents' folders that never holds usage (their own state databases, locks, git). */
const ignoredChange = /\.sqlite(-wal|-shm|-journal)?$|\.lock$|\.tmp$|[\\/]\.git[\\/]|[\\/]log[\\/]/;

/**
 * Events are read in batches: the first one after a quiet spell within `firstBatchMs` (the events
 * of one write arrive together), later ones at most every `burstSpacingMs` (an agent writing a
 * burst of lines is read a few times, not once per line).
 */
const firstBatchMs = 5;
const burstSpacingMs = 50;
let lastFlush = 0;

function onFsEvent(file: string): void {
  if (ignoredChange.test(file)) return;
  // A known file is read; anything else (a new folder or file) makes the flush discover.
  changedPaths.add(file);
  if (debounceTimer) return;
  const sinceLast = performance.now() - lastFlush;
  debounceTimer = setTimeout(flushChanges, Math.max(firstBatchMs, burstSpacingMs - sinceLast));
}

function flushChanges(): void {
  debounceTimer = undefined;
  lastFlush = performance.now();
  if (!engine || scan.phase === 'cold' || scan.phase === 'warm') return;
  const paths = [...changedPaths];
  changedPaths.clear();
  try {
    let changed = engine.refresh(paths);
    // Codex's notify hook (Connect) says a turn just ended: read what changed everywhere now.
    if (paths.some((p) => path.basename(p) === spoolFiles.codexNotify)) changed = engine.poll() || changed;
    if (changed) {
      postStatus();
      scheduleSave();
    }
  } catch (error: unknown) {
    log('error', `refresh failed: ${String(error)}`);
  }
}

function stopWatching(): void {
  for (const w of watchers.splice(0)) w.close();
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = undefined;
}

function startWatching(): void {
  stopWatching();
  if (!engine || !settings) return;
  let watching = 0;
  for (const { roots } of engine.roots()) {
    for (const root of roots) {
      // Watch the config root itself so a projects folder created later is seen too.
      if (!fs.existsSync(root)) continue;
      try {
        const w = fs.watch(root, { recursive: true }, (_event, name) => {
          if (name) onFsEvent(path.join(root, name.toString()));
        });
        w.on('error', (error) => {
          log('warn', `watcher on ${root} failed (${String(error)}); polling instead`);
          scan.watching = 'polling';
        });
        watchers.push(w);
        watching++;
      } catch (error: unknown) {
        log('warn', `cannot watch ${root} (${String(error)}); polling instead`);
      }
    }
  }
  scan.watching = watching > 0 ? 'events' : 'polling';
  // A following window polls from its follow timer (see `follow`): with events, when the scanning
  // window saves its index (that window saw a change) and once a minute, so an idle one costs a
  // stat a second and a full check a minute.
  if (scan.role === 'follower' && settings.pollMs === undefined) return;
  // Polling is the safety net: slow when events work, faster when they do not.
  const every = settings.pollMs ?? (watching > 0 ? 5000 : 1000);
  pollTimer = setInterval(() => {
    if (!engine || scan.phase !== 'live') return;
    try {
      if (safetyPoll(engine)) {
        postStatus();
        scheduleSave();
      }
    } catch (error: unknown) {
      log('error', `poll failed: ${String(error)}`);
    }
  }, every);
}

/** Re-post at local midnight so "today" follows the clock even when nothing is written. */
function scheduleMidnight(): void {
  if (midnightTimer) clearTimeout(midnightTimer);
  const now = Date.now();
  const next = calendar.startOfDay(calendar.startOfDay(now) + 36 * 3_600_000);
  midnightTimer = setTimeout(() => {
    postStatus(true);
    scheduleMidnight();
  }, Math.max(1000, next - now + 500));
}

async function runScan(): Promise<void> {
  if (!engine) return;
  const t0 = Date.now();
  scan.phase = scan.indexLoaded ? 'warm' : 'cold';
  postStatus(true);
  const steps = engine.scanSteps();
  let sliceStart = Date.now();
  let lastPost = Date.now();
  for (;;) {
    const r = steps.next();
    if (r.done) break;
    scan.progress = r.value;
    if (Date.now() - lastPost > 500) {
      postStatus(true);
      lastPost = Date.now();
    }
    if (Date.now() - sliceStart > 100) {
      // Let queued requests in between files.
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = Date.now();
    }
  }
  scan.firstScanMs ??= Date.now() - t0;
  scan.phase = 'live';
  lastFullPoll = Date.now(); // the scan read everything
  scan.progress = undefined;
  try {
    engine.saveIndex(true);
    lastSave = Date.now();
  } catch (error: unknown) {
    log('warn', `could not save the index: ${String(error)}`);
  }
  postStatus(true);
  log('info', `scan done in ${Date.now() - t0} ms: ${engine.knownFiles().length} files, ${engine.meter.responseCount} responses`);
  // Changes that arrived during the scan.
  if (changedPaths.size > 0) flushChanges();
  if (rescanWanted) {
    rescanWanted = false;
    await runScan();
  }
}

function handle(msg: ToWorker): Promise<unknown> {
  try {
    return Promise.resolve(handleSync(msg));
  } catch (error: unknown) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function handleSync(msg: ToWorker): unknown {
  switch (msg.type) {
    case 'start': {
      settings = msg.settings;
      calendar = createCalendar(settings.timeZone);
      engine = new Engine(toConfig(settings), (m) => log('warn', m));
      scan.indexLoaded = engine.loadIndex();
      scheduleMidnight();
      // One scanner for all windows: the others follow the index it saves.
      lock = settings.cacheDir ? new ScannerLock(settings.cacheDir) : undefined;
      if (!lock || lock.tryAcquire()) lead();
      else follow();
      return { indexLoaded: scan.indexLoaded, role: scan.role };
    }
    case 'configure': {
      settings = msg.settings;
      calendar = createCalendar(settings.timeZone);
      const rootsChanged = engine?.updateConfig(toConfig(settings)) ?? false;
      if (scan.role === 'follower') {
        // Following on its own: a folder added is read here (the scanning window's index may not have it).
        if (followingLive) {
          startWatching();
          engine?.poll();
        }
      } else {
        if (rootsChanged) {
          // A folder added or removed in the settings: watch it and read it now (sliced, like the first scan).
          startWatching();
          if (scan.phase === 'live') void runScan().catch((error: unknown) => log('error', `scan failed: ${String(error)}`));
          else rescanWanted = true;
        } else if (scan.phase === 'live') {
          startWatching();
          engine?.poll();
        }
      }
      postStatus(true);
      return true;
    }
    case 'refresh': {
      if (!engine) return false;
      const changed = msg.paths ? engine.refresh(msg.paths) : engine.poll();
      if (changed) postStatus();
      return changed;
    }
    case 'report': {
      if (!engine || !settings) throw new Error('not started');
      return buildReport(engine.meter, {
        range: { from: msg.since ?? -Infinity, to: msg.until ?? Infinity },
        by: msg.by,
        idleMs: settings.idleMs,
        calendar,
        agents: settings.agents,
        prematureShare: settings.prematureShare,
      });
    }
    case 'health':
      if (!engine) throw new Error('not started');
      return engine.health();
    case 'panelState':
      if (!engine || !settings) throw new Error('not started');
      return buildPanelState(engine.meter, {
        scope: msg.scope,
        now: Date.now(),
        idleMs: settings.idleMs,
        calendar,
        plan: settings.plan,
        sessionHourRate: settings.sessionHourRate,
        workspaceFolders: settings.workspaceFolders,
        agents: settings.agents,
        prematureShare: settings.prematureShare,
        tasks: settings.tasks.filter((t) => t.folders.some((f) => settings?.workspaceFolders.includes(f))).slice(-50),
        includePrompts: settings.includePrompts,
        health: panelHealth(engine),
      });
    case 'export': {
      if (!engine || !settings) throw new Error('not started');
      const range = { from: msg.since ?? -Infinity, to: msg.until ?? Infinity };
      const tasks = msg.taskIds ? settings.tasks.filter((t) => msg.taskIds?.includes(t.id)) : settings.tasks;
      return exportReport(engine.meter, {
        by: msg.by,
        format: msg.format,
        range,
        tasks,
        work: {
          now: Date.now(),
          idleMs: settings.idleMs,
          calendar,
          plan: settings.plan,
          sessionHourRate: settings.sessionHourRate,
          prematureShare: settings.prematureShare ?? 0.5,
          includePrompts: settings.includePrompts,
          agents: settings.agents,
        },
      });
    }
    case 'status':
      postStatus(true);
      return true;
    case 'stop':
      stopWatching();
      if (followTimer) clearInterval(followTimer);
      lock?.release();
      if (midnightTimer) clearTimeout(midnightTimer);
      if (saveTimer) clearTimeout(saveTimer);
      try {
        // Only the scanning window writes the index (a following one could overwrite a newer one).
        if (scan.role === 'leader') engine?.saveIndex();
      } catch {
        // best effort on shutdown
      }
      scan.phase = 'stopped';
      return true;
  }
}

port.on('message', (raw: unknown) => {
  const parsed = toWorkerSchema.safeParse(raw);
  if (!parsed.success) {
    log('warn', `ignored an invalid message: ${parsed.error.issues[0]?.message ?? ''}`);
    return;
  }
  const msg = parsed.data;
  handle(msg).then(
    (result) => post({ type: 'reply', id: msg.id, ok: true, result }),
    (error: unknown) => post({ type: 'reply', id: msg.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
