/**
 * The two small files the extension host reads at activation without zod — the settings and the
 * task list — checked against the zod schemas that specified them (kept here as the reference),
 * on fuzzed values.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { defaultSessionHourRate, planIds } from '../../src/core/plans';
import { settingsFrom } from '../../src/core/settings';
import { checkTaskFile } from '../../src/engine/task-store';
import { validPriceOverrides } from '../../src/protocol/price-override';

const referenceSettings = z.object({
  claudeCode: z.object({ configDirs: z.array(z.string()).catch([]) }).catch({ configDirs: [] }),
  idleThresholdMinutes: z.number().positive().max(24 * 60).catch(5),
  prices: z.array(z.unknown()).catch([]),
  privacy: z.object({ promptText: z.boolean().catch(true) }).catch({ promptText: true }),
  timeZone: z.string().catch(''),
  statusBar: z.object({ agents: z.enum(['current', 'sum']).catch('current') }).catch({ agents: 'current' }),
  plan: z.enum(planIds).catch('none'),
  customPlan: z
    .object({ feeUSD: z.number().nonnegative().optional().catch(undefined), windowHours: z.number().positive().optional().catch(undefined), windowMessages: z.number().positive().optional().catch(undefined) })
    .catch({}),
  sessionHourRate: z.number().nonnegative().max(1000).catch(defaultSessionHourRate),
  prematureCompactionPercent: z.number().min(0).max(100).catch(50),
  budget: z
    .object({ taskUSD: z.number().nonnegative().catch(0), dayUSD: z.number().nonnegative().catch(0), monthUSD: z.number().nonnegative().catch(0), basis: z.enum(['api', 'sessionHour']).catch('api') })
    .catch({ taskUSD: 0, dayUSD: 0, monthUSD: 0, basis: 'api' }),
});

const referenceTaskFile = z.object({
  version: z.literal(1),
  tasks: z.array(z.object({ id: z.string().min(1).max(100), label: z.string().max(500), ref: z.string().max(500).optional(), folders: z.array(z.string().max(4096)).max(100), start: z.number(), end: z.number().optional() })),
});

function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
}

const keys = [
  'claudeCode.configDirs',
  'idleThresholdMinutes',
  'prices',
  'privacy.promptText',
  'timeZone',
  'statusBar.agents',
  'plan',
  'customPlan.feeUSD',
  'customPlan.windowHours',
  'customPlan.windowMessages',
  'sessionHourRate',
  'deadWeight.prematureCompactionPercent',
  'budget.taskUSD',
  'budget.dayUSD',
  'budget.monthUSD',
  'budget.basis',
];

/** What readSettings used to hand zod, from the same getter. */
function rawForReference(get: (k: string) => unknown): unknown {
  return {
    claudeCode: { configDirs: get('claudeCode.configDirs') },
    idleThresholdMinutes: get('idleThresholdMinutes'),
    prices: get('prices'),
    privacy: { promptText: get('privacy.promptText') },
    timeZone: get('timeZone'),
    statusBar: { agents: get('statusBar.agents') },
    plan: get('plan'),
    customPlan: { feeUSD: get('customPlan.feeUSD'), windowHours: get('customPlan.windowHours'), windowMessages: get('customPlan.windowMessages') },
    sessionHourRate: get('sessionHourRate'),
    prematureCompactionPercent: get('deadWeight.prematureCompactionPercent'),
    budget: { taskUSD: get('budget.taskUSD'), dayUSD: get('budget.dayUSD'), monthUSD: get('budget.monthUSD'), basis: get('budget.basis') },
  };
}

describe('settings read without zod', () => {
  it('equal the zod schema that specified them on 3,000 fuzzed settings', () => {
    const pool: unknown[] = [undefined, null, -1, 0, 0.25, 5, 50, 100, 101, 1000, 1001, 1441, 1e12, Number.NaN, Infinity, -Infinity, '', 'x', '5', 'current', 'sum', 'api', 'sessionHour', ...planIds, true, false, [], ['/a', '/b'], [1], [{ model: 'm' }], {}, { a: 1 }];
    const rnd = random(7);
    for (let round = 0; round < 3000; round++) {
      const values = new Map(keys.map((k) => [k, pool[rnd(pool.length)]]));
      const get = (k: string): unknown => values.get(k);
      const warnings: string[] = [];
      const ours = settingsFrom(get, (m) => warnings.push(m));
      const reference = referenceSettings.parse(rawForReference(get));
      assert.deepEqual(ours, reference, JSON.stringify([...values]));
      // Every value that was written and not kept is named.
      for (const w of warnings) assert.match(w, /^settings: taximeter\.[\w.]+ ignored/);
    }
  });

  it('the defaults in package.json are read as they are, without a warning', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { default?: unknown }> } } };
    const props = pkg.contributes.configuration.properties;
    const warnings: string[] = [];
    const s = settingsFrom((k) => props[`taximeter.${k}`]?.default, (m) => warnings.push(m));
    assert.deepEqual(warnings, []);
    assert.equal(s.idleThresholdMinutes, props['taximeter.idleThresholdMinutes']?.default);
    assert.equal(s.sessionHourRate, props['taximeter.sessionHourRate']?.default);
    assert.equal(s.plan, props['taximeter.plan']?.default);
    assert.equal(s.budget.basis, props['taximeter.budget.basis']?.default);
  });
});

describe('price overrides from the settings', () => {
  it('the scanner keeps the valid entries as written and names each invalid one', () => {
    const warnings: string[] = [];
    const kept = validPriceOverrides([{ model: 'a', input: 1, output: 2 }, { model: '', input: 1, output: 2 }, 'x', { model: 'b', input: -1, output: 2 }, { model: 'c', input: 0, output: 0, cacheRead: 0.1, extra: 1 }], (m) => warnings.push(m));
    assert.deepEqual(kept, [{ model: 'a', input: 1, output: 2 }, { model: 'c', input: 0, output: 0, cacheRead: 0.1 }]);
    assert.deepEqual(warnings.map((w) => /prices\[(\d+)\] ignored/.exec(w)?.[1]), ['1', '2', '3']);
  });
});

describe('task file read without zod', () => {
  it('equals the zod schema that specified it on 5,000 fuzzed task files (unknown keys dropped)', () => {
    const rnd = random(3);
    const value = (): unknown => [undefined, null, 1, -2.5, Number.NaN, '', 'x', 'a'.repeat(101), 'b'.repeat(501), true, [], ['/p'], {}, ['/p', 7]][rnd(14)];
    const task = (): unknown => {
      const t: Record<string, unknown> = { id: 'abc', label: 'Fix it', folders: ['/w'], start: 1700000000000 };
      if (rnd(2)) t.ref = '#12';
      if (rnd(2)) t.end = 1700000360000;
      if (rnd(3) === 0) t.extra = 'dropped';
      // Mutate some fields.
      for (let m = rnd(3); m > 0; m--) t[['id', 'label', 'ref', 'folders', 'start', 'end'][rnd(6)] ?? 'id'] = value();
      if (rnd(20) === 0) t.folders = Array.from({ length: 101 }, () => '/x');
      return rnd(40) === 0 ? value() : t;
    };
    let valid = 0;
    for (let round = 0; round < 5000; round++) {
      const file: unknown = rnd(30) === 0 ? value() : { version: rnd(15) === 0 ? 2 : 1, tasks: rnd(30) === 0 ? value() : Array.from({ length: rnd(4) }, task), ...(rnd(5) === 0 ? { note: 'x' } : {}) };
      const reference = referenceTaskFile.safeParse(file);
      const ours = checkTaskFile(file);
      assert.deepEqual(ours, reference.success ? reference.data.tasks : undefined, JSON.stringify(file));
      if (reference.success) valid++;
    }
    assert.ok(valid > 500 && valid < 4500, `a mix of valid and invalid files (${valid} valid)`);
  });
});
