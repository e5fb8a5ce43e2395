/**
 * Cline records → normalised meter events (../shared/formats/other-agents.md §3). Classic tasks go
 * through the shared `ui_messages.json` reading (../ui-messages.ts) with Cline's rules: `tokensIn`
 * is uncached input, the model of a request is the one `task_metadata.json` says was active then.
 * 4.x SDK sessions: each assistant message's `metrics` is one request, `inputTokens` including
 * cache reads and writes.
 */
import type { MeterEvent, TokenCounts } from '../../core/usage';
import { promptLabel } from '../outcome';
import { pricingProvider, type ModelChoice } from '../ui-messages';
import { sdkManifestSchema, sdkMessageSchema, sdkMessagesSchema, taskMetadataSchema } from './schema';

/** The model active at each time, from `task_metadata.json` (`model_usage`, oldest first). */
export function modelTimeline(metadata: unknown, fallback: string | undefined): (ts: number) => ModelChoice {
  const p = taskMetadataSchema.safeParse(metadata);
  const usage = p.success ? [...(p.data.model_usage ?? [])].sort((a, b) => a.ts - b.ts) : [];
  return (ts) => {
    let chosen = usage[0];
    for (const u of usage) if (u.ts <= ts) chosen = u;
    if (chosen) return { model: chosen.model_id, provider: pricingProvider(chosen.model_provider_id) };
    return { model: fallback ?? 'unknown' };
  };
}

export function sdkTokens(m: { inputTokens?: number | null; outputTokens?: number | null; cacheReadTokens?: number | null; cacheWriteTokens?: number | null }): TokenCounts {
  const reads = m.cacheReadTokens ?? 0;
  const writes = m.cacheWriteTokens ?? 0;
  return { input: Math.max(0, (m.inputTokens ?? 0) - reads - writes), output: m.outputTokens ?? 0, cacheWrite5m: writes, cacheWrite1h: 0, cacheRead: reads };
}

export interface SdkContext {
  fileId: number;
  sessionId: string;
  keepPromptText: boolean;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((c: unknown) => (typeof c === 'object' && c !== null && 'text' in c && typeof c.text === 'string' ? c.text : ''))
      .filter(Boolean)
      .join('\n');
  }
  return '';
}

/** A 4.x SDK session: manifest + messages documents. */
export function clineSdkEvents(messagesDoc: unknown, manifest: unknown, ctx: SdkContext): { events: MeterEvent[]; rejected: number } {
  const man = sdkManifestSchema.safeParse(manifest);
  const project = man.success ? (man.data.workspace_root ?? man.data.cwd ?? undefined) : undefined;
  const doc = sdkMessagesSchema.safeParse(messagesDoc);
  if (!doc.success) return { events: [], rejected: 1 };
  const items = Array.isArray(doc.data) ? doc.data : doc.data.messages;
  const events: MeterEvent[] = [];
  let rejected = 0;
  items.forEach((raw, i) => {
    const p = sdkMessageSchema.safeParse(raw);
    if (!p.success) {
      rejected++;
      return;
    }
    const m = p.data;
    const key = m.id ?? `${m.ts}:${i}`;
    const base = { agent: 'cline' as const, fileId: ctx.fileId, sessionId: ctx.sessionId, timestamp: m.ts, project, uid: `cline:${ctx.sessionId}:${key}` };
    if (m.role === 'assistant' && m.metrics) {
      const tokens = sdkTokens(m.metrics);
      const model = m.modelInfo?.id ?? (man.success ? man.data.model : undefined) ?? 'unknown';
      const provider = pricingProvider(m.modelInfo?.provider ?? (man.success ? man.data.provider : undefined));
      const cost = m.metrics.cost;
      events.push({ ...base, kind: 'usage', model, provider, dedupeKey: `cline:${ctx.sessionId}:${key}`, tokens, sidechain: false, upsert: true, agentCostUSD: cost !== undefined && cost !== null && cost > 0 ? cost : undefined });
    } else if (m.role === 'user') {
      const text = textOf(m.content);
      events.push(text ? { ...base, kind: 'prompt', text: ctx.keepPromptText ? promptLabel(text) : '' } : { ...base, kind: 'activity' });
    } else events.push({ ...base, kind: 'activity' });
  });
  return { events, rejected };
}
