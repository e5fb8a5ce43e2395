import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assistantRecordSchema, costStateRecordSchema, queueOperationSchema, systemRecordSchema, userRecordSchema } from '../../src/sources/claude-code/schema';
import { checkAssistant, checkCostState, checkQueueOperation, checkSystem, checkUser } from '../../src/sources/claude-code/schema-fast';
import { claudeFixture, listJsonl, rng } from '../helpers';

/** Replace one value somewhere in a record with something odd. */
function mutate(o: unknown, r: () => number): unknown {
  const odd = [null, undefined, -1, 1.5, 1e11, Infinity, NaN, '12', '', 'x'.repeat(5000), true, [], {}, 0, 2 ** 53];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const clone = JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
  // Walk to a random nested object and change one of its keys.
  let cur: Record<string, unknown> = clone;
  for (let depth = 0; depth < 4; depth++) {
    const keys = Object.keys(cur);
    if (keys.length === 0) break;
    const k = pick(keys);
    const v = cur[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && r() < 0.6) {
      cur = v as Record<string, unknown>;
      continue;
    }
    const action = r();
    if (action < 0.7) cur[k] = pick(odd);
    else if (action < 0.85) delete cur[k];
    else cur[`extra${Math.floor(r() * 10)}`] = pick(odd);
    break;
  }
  return clone;
}

describe('fast record checks agree with the zod schemas', () => {
  it('same verdict on every real record and on 20,000 mutations of them', () => {
    const pairs = [
      ['assistant', assistantRecordSchema, checkAssistant],
      ['user', userRecordSchema, checkUser],
      ['system', systemRecordSchema, checkSystem],
      ['cost-state', costStateRecordSchema, checkCostState],
      ['queue-operation', queueOperationSchema, checkQueueOperation],
    ] as const;
    const byType = new Map<string, unknown[]>();
    for (const s of ['tools_resume', 'compact_manual', 'subagent_models', 'errors', 'compact_manual-cc1.0.128']) {
      for (const f of listJsonl(path.join(claudeFixture(s), 'projects'))) {
        for (const line of fs.readFileSync(f, 'utf8').split('\n').filter(Boolean)) {
          const o = JSON.parse(line) as { type: string };
          const list = byType.get(o.type) ?? [];
          list.push(o);
          byType.set(o.type, list);
        }
      }
    }
    const r = rng(11);
    let checked = 0;
    let rejected = 0;
    for (const [type, schema, fast] of pairs) {
      const records = byType.get(type) ?? [];
      assert.ok(records.length > 0, type);
      for (let i = 0; i < records.length + 5000; i++) {
        const base = records[i % records.length];
        const o = i < records.length ? base : mutate(base, r);
        const z = schema.safeParse(o).success;
        const f = fast(o as Record<string, unknown>).ok;
        assert.equal(f, z, `${type}: fast ${f} vs zod ${z} on ${JSON.stringify(o).slice(0, 400)}`);
        checked++;
        if (!z) rejected++;
      }
    }
    assert.ok(rejected > 1000, `mutations were rejected too (${rejected})`);
    assert.ok(checked > 20_000);
  });
});
