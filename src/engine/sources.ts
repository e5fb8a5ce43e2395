/**
 * The table of agent sources. Adding an agent = one folder under sources/ and one entry here
 * (the `satisfies` makes a missing agent a type error).
 */
import type { AgentId } from '../core/usage';
import type { ClaudeRootOptions } from '../sources/claude-code/paths';
import { createClaudeCodeSource } from '../sources/claude-code/source';
import type { AgentSource } from '../sources/source';

export interface SourceOptions {
  claude?: ClaudeRootOptions;
}

const factories = {
  'claude-code': (o: SourceOptions) => createClaudeCodeSource(o.claude),
} satisfies Partial<Record<AgentId, (o: SourceOptions) => AgentSource>>;

export const implementedAgents = Object.keys(factories) as (keyof typeof factories)[];

export function sourceFor(agent: AgentId, options: SourceOptions): AgentSource {
  const f = (factories as Partial<Record<AgentId, (o: SourceOptions) => AgentSource>>)[agent];
  if (!f) throw new Error(`no source for ${agent}`);
  return f(options);
}
