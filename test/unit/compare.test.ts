import * as assert from 'node:assert/strict';
import { allocatedFee, breakEvenDay, cheapest, projectMonth, projectedExhaustion, reconstructWindows, runtimeCost, valueMultiple } from '../../src/core/compare';
import { createCalendar } from '../../src/core/calendar';
import { buildPanelState } from '../../src/core/panel-state';
import { Engine } from '../../src/engine/engine';
import { claudeFixture, lastCostStates } from '../helpers';

const close = (a: number, b: number, eps = 1e-9): void => assert.ok(Math.abs(a - b) <= eps, `${a} ≉ ${b}`);

describe('comparison math (worked examples)', () => {
  it('20 busy minutes at $0.08 per running hour cost $0.0267 of runtime', () => {
    close(runtimeCost(20 * 60_000, 0.08), 0.08 / 3);
    assert.equal(runtimeCost(20 * 60_000, 0.08).toFixed(4), '0.0267');
  });

  it('a $200 plan used for $640 of API-equivalent work in a month is worth 3.2×', () => {
    close(valueMultiple(640, 200) ?? NaN, 3.2);
    assert.equal(valueMultiple(640, 0), null);
  });

  it('allocates the fee by share of the month’s spend, never more than the fee', () => {
    close(allocatedFee(200, 64, 640), 20);
    close(allocatedFee(200, 700, 640), 200);
    assert.equal(allocatedFee(0, 10, 100), 0);
  });

  it('finds the break-even day as the first day the month’s cumulative spend reaches the fee', () => {
    const daily = [
      { day: '2026-11-03', usd: 60 },
      { day: '2026-11-01', usd: 30 },
      { day: '2026-11-02', usd: 15 },
    ];
    assert.equal(breakEvenDay(daily, 100), '2026-11-03');
    assert.equal(breakEvenDay(daily, 45), '2026-11-02');
    assert.equal(breakEvenDay(daily, 1000), null);
  });

  it('projects the month at the current pace', () => {
    close(projectMonth(50, 10, 30), 150);
  });

  it('reconstructs 5-hour windows from the first message and projects exhaustion', () => {
    const h = 3_600_000;
    const w = reconstructWindows([0, 1 * h, 4.9 * h, 5 * h, 6 * h], 5);
    assert.deepEqual(w.map((x) => [x.start / h, x.end / h, x.prompts]), [[0, 5, 3], [5, 10, 2]]);
    const last = w[1]!;
    // 2 messages in the first hour of the window: 10 messages are reached after 5 h → not in this window.
    assert.equal(projectedExhaustion(last, 6 * h, 10), null);
    // with an allowance of 4, at 2 per hour, 2 more take 1 h: exhaustion at 7 h.
    close(projectedExhaustion(last, 6 * h, 4) ?? NaN, 7 * h);
  });

  it('marks the cheapest scheme that applies', () => {
    assert.equal(cheapest({ api: 10, subscription: null, sessionHour: 10.5 }), 'api');
    assert.equal(cheapest({ api: 300, subscription: 100, sessionHour: 310 }), 'subscription');
  });
});

describe('panel state on a fixture history', () => {
  const engine = new Engine({ claude: { onlyDirs: [claudeFixture('compact_manual')] }, idleMs: 300_000, priceOverrides: [], keepPromptText: true });
  engine.scan();
  const sid = '1fadfc77-936f-4016-8c24-3f754c1f34ce';
  const cs = lastCostStates(claudeFixture('compact_manual')).get(sid);
  const now = Date.parse('2026-11-22T20:00:00Z');
  const calendar = createCalendar('UTC');

  it('prices the same work three ways', () => {
    const s = buildPanelState(engine.meter, { scope: { kind: 'current' }, now, idleMs: 300_000, calendar, plan: { id: 'claude-max-5x' }, sessionHourRate: 0.08, workspaceFolders: [] });
    close(s.prices.api.usd, cs.totalCostUSD);
    close(s.prices.sessionHour.runtimeUSD, runtimeCost(s.meter.busyMs, 0.08));
    close(s.prices.sessionHour.totalUSD, cs.totalCostUSD + runtimeCost(s.meter.busyMs, 0.08));
    // The only work this month: its share of the fee is the whole fee.
    close(s.prices.subscription.allocatedUSD, 100);
    close(s.prices.subscription.valueMultiple ?? NaN, cs.totalCostUSD / 100);
    assert.equal(s.prices.subscription.marginalUSD, 0);
    assert.equal(s.prices.cheapest, 'api');
    assert.ok(s.prices.api.cachingSavedUSD > 0, 'cache reads saved money versus uncached input');
    assert.equal(s.charts.markers.length, 1, 'the compaction is marked');
    assert.match(s.prices.reasoning, /Cheapest: API/);
  });

  it('without a plan the subscription column says so and does not count', () => {
    const s = buildPanelState(engine.meter, { scope: { kind: 'month' }, now, idleMs: 300_000, calendar, plan: { id: 'none' }, sessionHourRate: 0.08, workspaceFolders: [] });
    assert.equal(s.prices.subscription.applies, false);
    assert.equal(s.prices.projection.subscription, null);
  });
});
