/**
 * Hand-written checks equivalent to the zod schemas in schema.ts, for the hot path: a cold scan
 * checks tens of thousands of records, and these run several times faster than `safeParse`.
 * schema.ts stays the specification; a unit test feeds both the same fuzzed records and requires
 * the same verdict. Each check returns the record (typed as the schema's output) or an error.
 */
import type { AssistantRecord, CostStateRecord, QueueOperationRecord, SystemRecord, UserRecord } from './schema';

type Rec = Record<string, unknown>;
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

const isObj = (x: unknown): x is Rec => typeof x === 'object' && x !== null && !Array.isArray(x);
const count = (x: unknown): boolean => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 && x <= 1e10;
const optCount = (x: unknown): boolean => x === undefined || x === null || count(x);
const str = (x: unknown, min: number, max: number): boolean => typeof x === 'string' && x.length >= min && x.length <= max;
const optStr = (x: unknown, max: number): boolean => x === undefined || str(x, 0, max);
const optBool = (x: unknown): boolean => x === undefined || typeof x === 'boolean';
const money = (x: unknown, max: number): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= max;

function chainBase(r: Rec): string | undefined {
  if (!str(r.sessionId, 1, 200)) return 'sessionId';
  if (!str(r.timestamp, 10, 40)) return 'timestamp';
  if (!optStr(r.uuid, 200)) return 'uuid';
  if (!optBool(r.isSidechain)) return 'isSidechain';
  if (!optStr(r.cwd, 4096)) return 'cwd';
  if (!optStr(r.gitBranch, 1024)) return 'gitBranch';
  return undefined;
}

function usage(u: unknown): string | undefined {
  if (!isObj(u)) return 'usage';
  if (!count(u.input_tokens)) return 'input_tokens';
  if (!count(u.output_tokens)) return 'output_tokens';
  if (!optCount(u.cache_creation_input_tokens)) return 'cache_creation_input_tokens';
  if (!optCount(u.cache_read_input_tokens)) return 'cache_read_input_tokens';
  const cc = u.cache_creation;
  if (cc !== undefined && cc !== null) {
    if (!isObj(cc)) return 'cache_creation';
    if (!optCount(cc.ephemeral_5m_input_tokens) || !optCount(cc.ephemeral_1h_input_tokens)) return 'cache_creation';
  }
  return undefined;
}

export function checkAssistant(raw: Rec): Checked<AssistantRecord> {
  const e =
    (raw.type === 'assistant' ? undefined : 'type') ??
    chainBase(raw) ??
    (optStr(raw.requestId, 200) ? undefined : 'requestId') ??
    (optStr(raw.requestSessionId, 200) ? undefined : 'requestSessionId') ??
    (isObj(raw.message) ? undefined : 'message') ??
    (str((raw.message as Rec).id, 1, 200) ? undefined : 'message.id') ??
    (str((raw.message as Rec).model, 1, 200) ? undefined : 'message.model') ??
    usage((raw.message as Rec).usage);
  return e ? { ok: false, error: `invalid ${e}` } : { ok: true, value: raw as unknown as AssistantRecord };
}

export function checkUser(raw: Rec): Checked<UserRecord> {
  let e = (raw.type === 'user' ? undefined : 'type') ?? chainBase(raw) ?? (optBool(raw.isMeta) ? undefined : 'isMeta') ?? (optBool(raw.isCompactSummary) ? undefined : 'isCompactSummary');
  if (!e) {
    const m = raw.message;
    if (!isObj(m)) e = 'message';
    else if (typeof m.content !== 'string') {
      if (!Array.isArray(m.content)) e = 'message.content';
      else for (const b of m.content as unknown[]) if (!isObj(b) || !str(b.type, 0, 100) || !(b.text === undefined || typeof b.text === 'string')) e = 'message.content block';
    }
  }
  return e ? { ok: false, error: `invalid ${e}` } : { ok: true, value: raw as unknown as UserRecord };
}

export function checkSystem(raw: Rec): Checked<SystemRecord> {
  let e = (raw.type === 'system' ? undefined : 'type') ?? chainBase(raw) ?? (optStr(raw.subtype, 100) ? undefined : 'subtype');
  const cm = raw.compactMetadata;
  if (!e && cm !== undefined) {
    if (!isObj(cm)) e = 'compactMetadata';
    else if (!optStr(cm.trigger, 50)) e = 'trigger';
    else if (!(cm.preTokens === undefined || count(cm.preTokens))) e = 'preTokens';
    else if (!(cm.postTokens === undefined || count(cm.postTokens))) e = 'postTokens';
    else if (!(cm.durationMs === undefined || money(cm.durationMs, 1e10))) e = 'durationMs';
    else if (!(cm.cumulativeDroppedTokens === undefined || count(cm.cumulativeDroppedTokens))) e = 'cumulativeDroppedTokens';
  }
  return e ? { ok: false, error: `invalid ${e}` } : { ok: true, value: raw as unknown as SystemRecord };
}

export function checkCostState(raw: Rec): Checked<CostStateRecord> {
  let e = (raw.type === 'cost-state' ? undefined : 'type') ?? (str(raw.sessionId, 1, 200) ? undefined : 'sessionId') ?? (money(raw.totalCostUSD, 1e9) ? undefined : 'totalCostUSD');
  const mu = raw.modelUsage;
  if (!e) {
    if (!isObj(mu)) e = 'modelUsage';
    else
      for (const [k, v] of Object.entries(mu)) {
        if (k.length > 200 || !isObj(v)) {
          e = 'modelUsage entry';
          break;
        }
        const opt = (x: unknown): boolean => x === undefined || count(x);
        if (
          !count(v.inputTokens) ||
          !count(v.outputTokens) ||
          !opt(v.cacheReadInputTokens) ||
          !opt(v.cacheCreationInputTokens) ||
          !opt(v.cacheCreationEphemeral5mInputTokens) ||
          !opt(v.cacheCreationEphemeral1hInputTokens) ||
          !money(v.costUSD, 1e9)
        ) {
          e = `modelUsage.${k}`;
          break;
        }
      }
  }
  return e ? { ok: false, error: `invalid ${e}` } : { ok: true, value: raw as unknown as CostStateRecord };
}

export function checkQueueOperation(raw: Rec): Checked<QueueOperationRecord> {
  const e =
    (raw.type === 'queue-operation' ? undefined : 'type') ??
    (str(raw.operation, 0, 50) ? undefined : 'operation') ??
    (str(raw.timestamp, 10, 40) ? undefined : 'timestamp') ??
    (str(raw.sessionId, 1, 200) ? undefined : 'sessionId');
  return e ? { ok: false, error: `invalid ${e}` } : { ok: true, value: raw as unknown as QueueOperationRecord };
}
