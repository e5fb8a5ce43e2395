/**
 * Messages between the extension host (main thread) and the scanner worker. Both sides compile
 * against this file; the worker validates what it receives with zod.
 */
import * as z from 'zod';
import type { Report } from '../core/report';
import type { StatusSummary } from '../core/status';
import { planIds } from '../core/plans';
import { agentIds } from '../core/usage';
import { panelScopeSchema } from '../protocol/panel-messages';
import type { EngineHealth, ScanProgress } from './engine';

const taskRecordSchema = z.object({
  id: z.string(),
  label: z.string(),
  ref: z.string().optional(),
  folders: z.array(z.string()),
  start: z.number(),
  end: z.number().optional(),
});

const planSchema = z.object({
  id: z.enum(planIds),
  customFeeUSD: z.number().nonnegative().optional(),
  customWindowHours: z.number().positive().optional(),
  customWindowMessages: z.number().positive().optional(),
});

export const engineSettingsSchema = z.object({
  claudeConfigDirs: z.array(z.string()),
  idleMs: z.number().positive(),
  /** `taximeter.prices` as written: the worker keeps the valid entries and logs the others. */
  priceOverrides: z.array(z.unknown()),
  keepPromptText: z.boolean(),
  cacheDir: z.string().optional(),
  agents: z.array(z.enum(agentIds)).optional(),
  workspaceFolders: z.array(z.string()),
  timeZone: z.string().optional(),
  /** Status bar: the agent working now, or every working session added up. */
  statusBarAgents: z.enum(['current', 'sum']).optional(),
  /** The editor's `globalStorage` folder, where Cline and Roo Code keep their tasks too. */
  globalStorageDirs: z.array(z.string()).optional(),
  /** Poll interval when file-system events are unavailable (ms). */
  pollMs: z.number().positive().optional(),
  /** A compaction below this share of the context window is premature. */
  prematureShare: z.number().min(0).max(1).optional(),
  tasks: z.array(taskRecordSchema).default([]),
  budgets: z.object({ taskUSD: z.number().nonnegative(), dayUSD: z.number().nonnegative(), monthUSD: z.number().nonnegative(), basis: z.enum(['api', 'sessionHour']) }).optional(),
  plan: planSchema.default({ id: 'none' }),
  sessionHourRate: z.number().nonnegative().default(0.08),
  includePrompts: z.boolean().default(true),
  /** Connect's spool folder (hooks, status line, telemetry); read when it exists. */
  connectSpoolDir: z.string().optional(),
});
export type EngineSettings = z.infer<typeof engineSettingsSchema>;

/** Main → worker. `id` pairs a request with its reply. */
export const toWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), id: z.number(), settings: engineSettingsSchema }),
  z.object({ type: z.literal('configure'), id: z.number(), settings: engineSettingsSchema }),
  z.object({ type: z.literal('refresh'), id: z.number(), paths: z.array(z.string()).optional() }),
  z.object({
    type: z.literal('report'),
    id: z.number(),
    since: z.number().optional(),
    until: z.number().optional(),
    by: z.enum(['session', 'day', 'model', 'project', 'agent']).optional(),
  }),
  z.object({ type: z.literal('health'), id: z.number() }),
  z.object({
    type: z.literal('panelState'),
    id: z.number(),
    scope: panelScopeSchema,
  }),
  z.object({
    type: z.literal('export'),
    id: z.number(),
    by: z.enum(['task', 'turn', 'session', 'branch', 'day']),
    format: z.enum(['md', 'csv', 'json']),
    since: z.number().optional(),
    until: z.number().optional(),
    /** Only these tasks (by id), for `by: 'task'`. */
    taskIds: z.array(z.string()).optional(),
  }),
  z.object({ type: z.literal('status'), id: z.number() }),
  z.object({ type: z.literal('stop'), id: z.number() }),
]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

export interface ScanState {
  phase: 'starting' | 'cold' | 'warm' | 'live' | 'stopped';
  progress?: ScanProgress;
  /** Duration of the first full scan, ms. */
  firstScanMs?: number;
  indexLoaded: boolean;
  watching: 'events' | 'polling' | 'none';
  /** The window that scans, or one that follows the index another window saves. */
  role: 'leader' | 'follower';
}

export interface HealthBrief {
  ok: boolean;
  unreadableFiles: number;
  malformed: number;
  rejected: number;
  problemCount: number;
  lastProblem?: string;
  detectedAgents: string[];
}

/** Worker → main. */
export type FromWorker =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string }
  | { type: 'status'; summary: StatusSummary; scan: ScanState; health: HealthBrief; meterVersion: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export type ReportResult = Report;
export type HealthResult = EngineHealth;
