/**
 * Independent, plain readings of the other agents' raw files by the documented rules
 * (../shared/formats/other-agents.md, cheat-sheet §7), written for tests only: they share no code
 * with src/. Each returns per-session token buckets: uncached input, output (reasoning/thoughts
 * included), cache write, cache read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database } from 'node-sqlite3-wasm';
import { fixturesDir, type RefTokens } from './helpers';

export function otherFixture(...parts: string[]): string {
  return path.join(fixturesDir, 'other-agents', ...parts);
}

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (keep(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

function jsonLines(file: string): any[] {
  const out: any[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    try {
      out.push(JSON.parse(line));
    } catch {
      // not a record
    }
  }
  return out;
}

function add(map: Map<string, RefTokens>, key: string, t: RefTokens): void {
  const have = map.get(key) ?? { input: 0, output: 0, cacheWrite: 0, cacheRead: 0 };
  map.set(key, { input: have.input + t.input, output: have.output + t.output, cacheWrite: have.cacheWrite + t.cacheWrite, cacheRead: have.cacheRead + t.cacheRead });
}

/**
 * Codex: `token_usage_record.usage` summed over distinct response ids; a file without records is
 * billed by the growth of `token_count.total_token_usage`. Uncached input = input − cached − cache
 * writes; output includes reasoning.
 */
export function referenceCodexTotals(codexHome: string): Map<string, RefTokens> {
  const out = new Map<string, RefTokens>();
  const rollouts = [...filesUnder(path.join(codexHome, 'sessions'), (n) => n.startsWith('rollout-')), ...filesUnder(path.join(codexHome, 'archived_sessions'), (n) => n.startsWith('rollout-'))];
  for (const file of rollouts) {
    const recs = jsonLines(file);
    const session = recs.find((r) => r.type === 'session_meta')?.payload?.id as string;
    const records = recs.filter((r) => r.type === 'token_usage_record');
    const bill = (u: any): RefTokens => ({
      input: u.input_tokens - (u.cached_input_tokens ?? 0) - (u.cache_write_input_tokens ?? 0),
      output: u.output_tokens,
      cacheWrite: u.cache_write_input_tokens ?? 0,
      cacheRead: u.cached_input_tokens ?? 0,
    });
    if (records.length > 0) {
      const seen = new Set<string>();
      for (const r of records) {
        if (seen.has(r.payload.response_id)) continue;
        seen.add(r.payload.response_id);
        add(out, r.payload.session_id ?? session, bill(r.payload.usage));
      }
    } else {
      let prev = { input_tokens: 0, cached_input_tokens: 0, cache_write_input_tokens: 0, output_tokens: 0, total_tokens: 0 };
      for (const r of recs) {
        const total = r.type === 'event_msg' && r.payload?.type === 'token_count' ? r.payload.info?.total_token_usage : undefined;
        if (!total || total.total_tokens <= prev.total_tokens) continue;
        add(out, session, bill({
          input_tokens: total.input_tokens - prev.input_tokens,
          cached_input_tokens: (total.cached_input_tokens ?? 0) - prev.cached_input_tokens,
          cache_write_input_tokens: (total.cache_write_input_tokens ?? 0) - prev.cache_write_input_tokens,
          output_tokens: total.output_tokens - prev.output_tokens,
        }));
        prev = { cached_input_tokens: 0, cache_write_input_tokens: 0, ...total };
      }
    }
  }
  return out;
}

/**
 * Gemini CLI: `tokens` of each distinct `gemini` message id per session (the last write of an id
 * wins), from message lines and from `$set.messages` lists, across every chat file of the session.
 * Uncached input = input − cached + tool; output = output + thoughts.
 */
export function referenceGeminiTotals(geminiHome: string): Map<string, RefTokens> {
  const byMessage = new Map<string, { session: string; t: RefTokens }>();
  for (const file of filesUnder(path.join(geminiHome, 'tmp'), (n) => n.endsWith('.jsonl'))) {
    let session = '';
    for (const r of jsonLines(file)) {
      if (typeof r.sessionId === 'string' && r.projectHash !== undefined) session = r.sessionId;
      if (r.$set?.sessionId) session = r.$set.sessionId;
      const messages = Array.isArray(r.$set?.messages) ? r.$set.messages : r.id ? [r] : [];
      for (const m of messages) {
        if (m.type !== 'gemini' || !m.tokens) continue;
        const t = m.tokens;
        byMessage.set(`${session}/${m.id}`, {
          session,
          t: { input: t.input - (t.cached ?? 0) + (t.tool ?? 0), output: t.output + (t.thoughts ?? 0), cacheWrite: 0, cacheRead: t.cached ?? 0 },
        });
      }
    }
  }
  const out = new Map<string, RefTokens>();
  for (const { session, t } of byMessage.values()) add(out, session, t);
  return out;
}

/** Gemini telemetry (`gemini_cli.api_response`, attributes only): the calls of each role, summed per session. */
export function telemetryTotals(eventsJsonl: string, role: string): Map<string, RefTokens & { calls: number }> {
  const out = new Map<string, RefTokens & { calls: number }>();
  for (const a of jsonLines(eventsJsonl)) {
    if (a['event.name'] !== 'gemini_cli.api_response' || a.role !== role) continue;
    const s = a['session.id'];
    const have = out.get(s) ?? { input: 0, output: 0, cacheWrite: 0, cacheRead: 0, calls: 0 };
    have.input += a.input_token_count - a.cached_content_token_count + (a.tool_token_count ?? 0);
    have.output += a.output_token_count + (a.thoughts_token_count ?? 0);
    have.cacheRead += a.cached_content_token_count;
    have.calls++;
    out.set(s, have);
  }
  return out;
}

export function codexThreads(fixture: string): { id: string; tokens_used: number; model: string }[] {
  return JSON.parse(fs.readFileSync(path.join(fixture, 'state_5.sqlite.threads.json'), 'utf8')) as { id: string; tokens_used: number; model: string }[];
}

/**
 * OpenCode: assistant messages' `tokens` (one row per model step), summed per root session
 * (sub-agent sessions belong to their parent). Uncached input = tokens.input; output = output +
 * reasoning. Rows are read with a plain query (a copy of the database, so nothing is touched).
 */
export function referenceOpenCodeTotals(rows: { sessions: any[]; messages: any[] }): Map<string, RefTokens> {
  const parent = new Map<string, string | null>(rows.sessions.map((s) => [s.id, s.parent_id]));
  const root = (id: string): string => {
    let r = id;
    while (parent.get(r)) r = parent.get(r)!;
    return r;
  };
  const out = new Map<string, RefTokens>();
  for (const m of rows.messages) {
    const d = typeof m.data === 'string' ? JSON.parse(m.data) : m.data;
    if (d.role !== 'assistant' || !d.tokens) continue;
    const t = d.tokens;
    add(out, root(m.session_id), { input: t.input, output: t.output + (t.reasoning ?? 0), cacheWrite: t.cache?.write ?? 0, cacheRead: t.cache?.read ?? 0 });
  }
  return out;
}

/** The rows of an OpenCode database (read from a throw-away copy). */
export function openCodeRows(dbFile: string, copyTo: string): { sessions: any[]; messages: any[] } {
  for (const suffix of ['', '-wal', '-shm']) if (fs.existsSync(dbFile + suffix)) fs.copyFileSync(dbFile + suffix, path.join(copyTo, `copy.db${suffix}`));
  const db = new Database(path.join(copyTo, 'copy.db'), { readOnly: true, fileMustExist: true });
  try {
    db.exec('PRAGMA locking_mode=EXCLUSIVE');
    return { sessions: db.all('SELECT * FROM session'), messages: db.all('SELECT * FROM message') };
  } finally {
    db.close();
  }
}

/**
 * Cline / Roo Code `ui_messages.json`: every `api_req_started` (and Cline's `deleted_api_reqs`,
 * `subagent_usage`) row once, per task. Cline's tokensIn is uncached input; Roo's rows with
 * `apiProtocol` report the whole prompt (uncached = tokensIn − cacheReads − cacheWrites).
 */
export function referenceUiTotals(storage: string, dialect: 'cline' | 'roo'): Map<string, RefTokens & { costUSD: number }> {
  const out = new Map<string, RefTokens & { costUSD: number }>();
  for (const file of filesUnder(path.join(storage, 'tasks'), (n) => n === 'ui_messages.json')) {
    const task = path.basename(path.dirname(file));
    const total = { input: 0, output: 0, cacheWrite: 0, cacheRead: 0, costUSD: 0 };
    for (const row of JSON.parse(fs.readFileSync(file, 'utf8'))) {
      if (row.say === 'condense_context') total.costUSD += row.contextCondense?.cost ?? 0;
      if (!['api_req_started', 'deleted_api_reqs', 'subagent_usage'].includes(row.say)) continue;
      const r = JSON.parse(row.text);
      const reads = r.cacheReads ?? 0;
      const writes = r.cacheWrites ?? 0;
      total.input += dialect === 'roo' && r.apiProtocol ? r.tokensIn - reads - writes : (r.tokensIn ?? 0);
      total.output += r.tokensOut ?? 0;
      total.cacheRead += reads;
      total.cacheWrite += writes;
      total.costUSD += r.cost ?? 0;
    }
    out.set(task, total);
  }
  return out;
}

/** Cline 4.x SDK sessions: assistant `metrics`, inputTokens including cache. */
export function referenceClineSdkTotals(sessionsDir: string): Map<string, RefTokens> {
  const out = new Map<string, RefTokens>();
  for (const file of filesUnder(sessionsDir, (n) => n.endsWith('.messages.json'))) {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    const id = path.basename(file, '.messages.json');
    for (const m of Array.isArray(doc) ? doc : doc.messages) {
      if (m.role !== 'assistant' || !m.metrics) continue;
      const t = m.metrics;
      add(out, id, { input: t.inputTokens - (t.cacheReadTokens ?? 0) - (t.cacheWriteTokens ?? 0), output: t.outputTokens, cacheWrite: t.cacheWriteTokens ?? 0, cacheRead: t.cacheReadTokens ?? 0 });
    }
  }
  return out;
}
