/**
 * Flat subscriptions with usage windows. Token prices come from the price table; plan fees and
 * window guidance are not in any price library, so they are listed here WITH their source
 * (../shared/pricing/PRICING.md §3, read 2026-11-22) and labelled as the vendors' public guidance.
 */
import type { AgentId } from './usage';

export const planIds = ['none', 'claude-pro', 'claude-max-5x', 'claude-max-20x', 'chatgpt-plus', 'chatgpt-pro', 'custom'] as const;
export type PlanId = (typeof planIds)[number];

export interface PlanInfo {
  id: PlanId;
  label: string;
  feeUSD: number;
  /** Rolling usage window in hours (5 h for Claude and ChatGPT plans). */
  windowHours: number;
  /** Messages per window the vendor publicly says the plan allows at least (an estimate for us). */
  windowMessages?: number;
  /** Agents whose work the plan covers. */
  agents: readonly AgentId[];
  source: string;
}

export const plans = {
  none: { id: 'none', label: 'No plan (API billing)', feeUSD: 0, windowHours: 5, agents: [], source: '' },
  'claude-pro': {
    id: 'claude-pro',
    label: 'Claude Pro',
    feeUSD: 20,
    windowHours: 5,
    // Max 5x is "5x more usage per session than Pro" with "at least 225 messages every five hours".
    windowMessages: 45,
    agents: ['claude-code'],
    source: 'Anthropic support: Max plan = 5× Pro per session; 225 messages/5 h on Max 5x (PRICING.md §3.1)',
  },
  'claude-max-5x': {
    id: 'claude-max-5x',
    label: 'Claude Max 5x',
    feeUSD: 100,
    windowHours: 5,
    windowMessages: 225,
    agents: ['claude-code'],
    source: 'Anthropic support, "About Claude Max usage": at least 225 messages every five hours (PRICING.md §3.1)',
  },
  'claude-max-20x': {
    id: 'claude-max-20x',
    label: 'Claude Max 20x',
    feeUSD: 200,
    windowHours: 5,
    windowMessages: 900,
    agents: ['claude-code'],
    source: 'Anthropic support, "About Claude Max usage": at least 900 messages every five hours (PRICING.md §3.1)',
  },
  'chatgpt-plus': {
    id: 'chatgpt-plus',
    label: 'ChatGPT Plus',
    feeUSD: 20,
    windowHours: 5,
    windowMessages: 15,
    agents: ['codex'],
    source: 'OpenAI guidance: about 15–80 Codex messages per 5 h on Plus (lower bound used) (PRICING.md §3.2)',
  },
  'chatgpt-pro': {
    id: 'chatgpt-pro',
    label: 'ChatGPT Pro',
    feeUSD: 200,
    windowHours: 5,
    windowMessages: 300,
    agents: ['codex'],
    source: 'OpenAI guidance for Pro tiers: hundreds of Codex messages per 5 h (estimate) (PRICING.md §3.2)',
  },
  custom: { id: 'custom', label: 'Custom plan', feeUSD: 0, windowHours: 5, agents: ['claude-code', 'codex', 'gemini', 'opencode', 'cline', 'roo'], source: 'your settings' },
} as const satisfies Record<PlanId, PlanInfo>;

export interface PlanSettings {
  id: PlanId;
  customFeeUSD?: number;
  customWindowHours?: number;
  customWindowMessages?: number;
}

export function resolvePlan(s: PlanSettings): PlanInfo {
  const base: PlanInfo = plans[s.id];
  if (s.id !== 'custom') return base;
  return {
    ...base,
    feeUSD: s.customFeeUSD ?? 0,
    windowHours: s.customWindowHours ?? 5,
    windowMessages: s.customWindowMessages,
  };
}

/** Default rate of Claude Managed Agents: USD per running session-hour (PRICING.md §4.1). */
export const defaultSessionHourRate = 0.08;
