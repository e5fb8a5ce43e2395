/**
 * The cost panel's protocol: the one file both the extension host and the webview compile
 * against. Webview → host messages are intents (imperative); host → webview messages are facts.
 * Both directions are validated with zod on arrival; invalid messages are logged and dropped.
 */
import * as z from 'zod';
import type { PanelScope, PanelState } from '../core/panel-state';

const finite = z.number().refine(Number.isFinite, 'finite');
const tokens = z.object({ input: finite, output: finite, cacheWrite5m: finite, cacheWrite1h: finite, cacheRead: finite });
const text = z.string().max(10_000);

export const panelScopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('current') }),
  z.object({ kind: z.literal('today') }),
  z.object({ kind: z.literal('month') }),
  z.object({ kind: z.literal('session'), key: z.string().min(1).max(500) }),
]) satisfies z.ZodType<PanelScope>;

const nullableNum = finite.nullable();

export const panelStateSchema = z.object({
  generatedAt: finite,
  scope: panelScopeSchema,
  scopeLabel: text,
  sessions: z.array(z.object({ key: text, label: text })).max(1000),
  empty: z.boolean(),
  meter: z.object({
    tokens,
    requests: finite,
    wallMs: finite,
    activeMs: finite,
    busyMs: finite,
    idleMs: finite,
    apiUSD: finite,
    lowerBound: z.boolean(),
    clientReportedUSD: finite,
    auxiliaryUSD: finite,
    burnUSDPerHour: nullableNum,
    tokensPerMinute: nullableNum,
    byModel: z.array(
      z.object({
        model: text,
        tokens,
        requests: finite,
        usd: nullableNum,
        provenance: text,
        perMTok: z.object({ input: finite, output: finite, cacheWrite5m: finite, cacheWrite1h: finite, cacheRead: finite }).nullable(),
        priceSource: text,
      }),
    ),
    unpriced: z.object({ tokens: finite, models: z.array(text) }),
    agents: z.array(text),
  }),
  prices: z.object({
    api: z.object({ usd: finite, lowerBound: z.boolean(), cachingSavedUSD: finite, priceTable: text }),
    subscription: z.object({
      planId: text,
      planLabel: text,
      feeUSD: finite,
      applies: z.boolean(),
      marginalUSD: finite,
      allocatedUSD: finite,
      monthApiUSD: finite,
      valueMultiple: nullableNum,
      breakEvenDay: text.nullable(),
      window: z
        .object({
          start: finite,
          end: finite,
          prompts: finite,
          apiUSD: finite,
          burnUSDPerHour: nullableNum,
          limitMessages: nullableNum,
          projectedExhaustion: nullableNum,
          source: text,
          clientReported: z
            .object({ usedPercent: finite, reportedAt: finite, sevenDay: z.object({ usedPercent: finite, resetsAt: nullableNum }).nullable() })
            .optional(),
        })
        .nullable(),
    }),
    sessionHour: z.object({ ratePerHour: finite, busyHours: finite, idleHours: finite, runtimeUSD: finite, tokenUSD: finite, totalUSD: finite, runtimeShare: finite }),
    cheapest: z.enum(['api', 'subscription', 'sessionHour']).nullable(),
    reasoning: text,
    projection: z.object({
      elapsedDays: finite,
      daysInMonth: finite,
      api: finite,
      subscription: nullableNum,
      sessionHour: finite,
      cheapest: z.enum(['api', 'subscription', 'sessionHour']).nullable(),
    }),
  }),
  deadWeight: z.object({
    costUSD: finite,
    share: finite,
    seconds: finite,
    compactions: finite,
    estimated: z.boolean(),
    events: z
      .array(
        z.object({
          kind: text,
          trigger: text.nullable(),
          at: finite,
          tokens: finite,
          costUSD: nullableNum,
          seconds: finite,
          estimated: z.boolean(),
          detail: text,
          provenance: text,
        }),
      )
      .max(1000),
    promptCache: z.object({ requests: finite, misses: finite, hitRatio: nullableNum, missRecacheTokens: finite }).optional(),
    forecast: z.object({ contextTokens: finite, windowTokens: finite, growthPerTurn: finite, turnsLeft: nullableNum, note: text }).nullable(),
  }),
  tasks: z
    .array(
      z.object({
        key: text,
        kind: text,
        label: text,
        ref: text,
        agents: text,
        models: text,
        start: text,
        end: text,
        running: z.boolean(),
        wallSeconds: finite,
        activeSeconds: finite,
        busySeconds: finite,
        inputTokens: finite,
        outputTokens: finite,
        cacheWrite5mTokens: finite,
        cacheWrite1hTokens: finite,
        cacheReadTokens: finite,
        requests: finite,
        apiUSD: finite,
        costIsLowerBound: z.boolean(),
        sessionHourUSD: finite,
        subscriptionUSD: nullableNum,
        deadWeightUSD: finite,
        unpricedTokens: finite,
        unpricedModels: text,
        turns: finite,
      }),
    )
    .max(200),
  health: z.object({
    agents: z.array(
      z.object({ agent: text, detected: z.boolean(), files: finite, bytesRead: finite, parsed: finite, malformed: finite, rejected: finite, oversized: finite, unreadableFiles: finite }),
    ),
    problems: z.array(z.object({ at: finite, agent: text, path: text, message: text })).max(500),
    problemCount: finite,
    index: text,
  }),
  charts: z.object({
    cumulative: z.array(z.object({ t: finite, usd: finite })).max(2000),
    markers: z.array(z.object({ t: finite, label: text })).max(2000),
    daily: z.array(z.object({ day: text, usd: finite, lowerBound: z.boolean() })).max(400),
  }),
  provenance: z.object({ tokens: text, time: text, api: text, subscription: text, sessionHour: text, window: text }),
}) satisfies z.ZodType<PanelState>;

/** Host → webview. */
export const toPanelSchema = z.discriminatedUnion('type', [
  /** A complete snapshot; `version` grows with every snapshot. */
  z.object({ type: z.literal('state'), version: z.number().int().nonnegative(), state: panelStateSchema }),
  /** The host could not compute a snapshot. */
  z.object({ type: z.literal('error'), message: text }),
]);
export type ToPanel = z.infer<typeof toPanelSchema>;

/** Webview → host. */
export const fromPanelSchema = z.discriminatedUnion('type', [
  /** The webview is ready for its first snapshot (nothing is posted before). */
  z.object({ type: z.literal('ready') }),
  /** Show another scope. */
  z.object({ type: z.literal('setScope'), scope: panelScopeSchema }),
  /** The webview rendered this snapshot (acknowledgement; used to pace updates). */
  z.object({ type: z.literal('didRender'), version: z.number().int().nonnegative() }),
  /** Open the Taximeter log. */
  z.object({ type: z.literal('openLog') }),
  /** Open the settings for the plan and session-hour rate. */
  z.object({ type: z.literal('openSettings') }),
  /** Export a cost report (the host asks for the scope, format and file). */
  z.object({ type: z.literal('exportReport'), taskId: z.string().max(100).optional() }),
  /** Start, stop or rename a task (the host asks for the label). */
  z.object({ type: z.literal('taskCommand'), command: z.enum(['start', 'stop', 'rename']) }),
]);
export type FromPanel = z.infer<typeof fromPanelSchema>;

/** State the webview keeps across reloads (vscode.setState / the serializer). */
export const panelPersistedSchema = z.object({ scope: panelScopeSchema });
export type PanelPersisted = z.infer<typeof panelPersistedSchema>;
