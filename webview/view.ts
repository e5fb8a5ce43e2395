/**
 * Renders a panel snapshot into the DOM. All data goes in as text (textContent), never as HTML;
 * no element gets an href, src or inline handler from data.
 */
import { formatBytes, formatCost, formatDuration, formatTokens } from '../src/core/format';
import type { PanelScope, PanelState } from '../src/core/panel-state';
import { cumulativeChart, dailyChart } from './charts';
import { button, divider, dropdown, tag } from './toolkit';

export interface ViewActions {
  setScope(scope: PanelScope): void;
  openLog(): void;
  openSettings(): void;
  exportReport(taskId?: string): void;
  taskCommand(command: 'start' | 'stop' | 'rename'): void;
}

function h<K extends keyof HTMLElementTagNameMap>(tagName: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tagName);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function section(id: string, title: string): HTMLElement {
  const s = h('section');
  s.id = id;
  s.setAttribute('aria-labelledby', `${id}-title`);
  const t = h('h2', title);
  t.id = `${id}-title`;
  s.appendChild(t);
  return s;
}

/** A two-column table of label → value (+ provenance). */
function facts(caption: string, rows: readonly [string, string, string?][]): HTMLTableElement {
  const table = h('table', undefined, 'facts');
  const cap = h('caption', caption);
  cap.className = 'visually-hidden';
  table.appendChild(cap);
  const body = h('tbody');
  for (const [label, value, note] of rows) {
    const tr = h('tr');
    const th = h('th', label);
    th.scope = 'row';
    const td = h('td', value, 'num');
    tr.append(th, td);
    const tn = h('td', note ?? '', 'note');
    tr.appendChild(tn);
    body.appendChild(tr);
  }
  table.appendChild(body);
  return table;
}

function grid(caption: string, headers: readonly string[], rows: readonly (readonly string[])[], numeric: readonly boolean[]): HTMLTableElement {
  const table = h('table', undefined, 'grid');
  table.appendChild(h('caption', caption));
  const thead = h('thead');
  const hr = h('tr');
  headers.forEach((x, i) => {
    const th = h('th', x, numeric[i] ? 'num' : undefined);
    th.scope = 'col';
    hr.appendChild(th);
  });
  thead.appendChild(hr);
  const body = h('tbody');
  for (const r of rows) {
    const tr = h('tr');
    r.forEach((c, i) => tr.appendChild(h('td', c, numeric[i] ? 'num' : undefined)));
    body.appendChild(tr);
  }
  table.append(thead, body);
  return table;
}

function scopeValue(s: PanelScope): string {
  return s.kind === 'session' ? `session:${s.key}` : s.kind;
}

function parseScope(v: string): PanelScope {
  if (v.startsWith('session:')) return { kind: 'session', key: v.slice('session:'.length) };
  if (v === 'today' || v === 'month') return { kind: v };
  return { kind: 'current' };
}

const perM = (n: number): string => `$${n.toFixed(n < 1 ? 3 : 2)}`;

export function render(root: HTMLElement, s: PanelState, actions: ViewActions): void {
  const frag = document.createDocumentFragment();

  // Header: scope picker and actions.
  const header = h('header', undefined, 'toolbar');
  const title = h('h1', 'Taximeter — cost of your agents');
  const scopes = [
    { value: 'current', label: 'Current session' },
    { value: 'today', label: 'Today' },
    { value: 'month', label: 'This month' },
    ...s.sessions.map((x) => ({ value: `session:${x.key}`, label: x.label })),
  ];
  const picker = dropdown('scope', 'Scope', scopes, scopeValue(s.scope), (v) => actions.setScope(parseScope(v)));
  header.append(title, picker, button('Settings', () => actions.openSettings()), button('Log', () => actions.openLog()));
  frag.appendChild(header);
  const scopeLine = h('p', s.scopeLabel, 'scope-label');
  scopeLine.id = 'scope-label';
  frag.appendChild(scopeLine);

  if (s.empty) {
    frag.appendChild(h('p', 'No agent usage in this scope yet. Taximeter reads Claude Code transcripts from ~/.claude (or CLAUDE_CONFIG_DIR).', 'empty'));
  }

  // 1. Meter.
  const m = s.meter;
  const meter = section('meter', 'Meter');
  const total = m.tokens.input + m.tokens.output + m.tokens.cacheWrite5m + m.tokens.cacheWrite1h + m.tokens.cacheRead;
  meter.appendChild(
    facts('Meter', [
      ['API-equivalent cost', formatCost(m.apiUSD, m.lowerBound), m.lowerBound ? 'lower bound: some tokens are unpriced' : 'computed'],
      ['Tokens', formatTokens(total), 'measured'],
      ['Requests', String(m.requests), 'measured'],
      ['Busy / active / wall', `${formatDuration(m.busyMs)} / ${formatDuration(m.activeMs)} / ${formatDuration(m.wallMs)}`, 'measured'],
      ['Burn rate', m.burnUSDPerHour === null ? '—' : `${formatCost(m.burnUSDPerHour)}/busy h`, 'computed'],
      ['Token rate', m.tokensPerMinute === null ? '—' : `${formatTokens(m.tokensPerMinute)}/busy min`, 'computed'],
    ]),
  );
  meter.appendChild(
    grid(
      'Tokens by kind',
      ['input (uncached)', 'output', 'cache write 5m', 'cache write 1h', 'cache read'],
      [[formatTokens(m.tokens.input), formatTokens(m.tokens.output), formatTokens(m.tokens.cacheWrite5m), formatTokens(m.tokens.cacheWrite1h), formatTokens(m.tokens.cacheRead)]],
      [true, true, true, true, true],
    ),
  );
  meter.appendChild(
    grid(
      'By model',
      ['model', 'tokens', 'requests', 'cost', 'price source'],
      m.byModel.map((x) => [
        x.model,
        formatTokens(x.tokens.input + x.tokens.output + x.tokens.cacheWrite5m + x.tokens.cacheWrite1h + x.tokens.cacheRead),
        String(x.requests),
        x.usd === null ? 'unpriced' : formatCost(x.usd),
        x.priceSource,
      ]),
      [false, true, true, true, false],
    ),
  );
  if (m.unpriced.models.length > 0) {
    const warn = h('p', undefined, 'warning');
    warn.setAttribute('role', 'alert');
    warn.textContent = `Unpriced: ${formatTokens(m.unpriced.tokens)} tokens of ${m.unpriced.models.join(', ')}. Costs are lower bounds; add prices in the taximeter.prices setting.`;
    meter.appendChild(warn);
  }
  frag.appendChild(meter);

  // 2. Three prices for the same work.
  const p = s.prices;
  const compare = section('compare', 'Three prices for the same work');
  const cards = h('div', undefined, 'cards');
  const card = (id: string, name: string, amount: string, rows: [string, string, string?][], isCheapest: boolean): HTMLElement => {
    const c = h('article', undefined, `card${isCheapest ? ' cheapest' : ''}`);
    c.id = id;
    c.setAttribute('aria-label', `${name}: ${amount}${isCheapest ? ' (cheapest)' : ''}`);
    const head = h('h3', name);
    if (isCheapest) head.appendChild(tag('cheapest'));
    const big = h('p', amount, 'amount');
    c.append(head, big, facts(name, rows));
    return c;
  };
  cards.appendChild(
    card(
      'price-api',
      'API (per token)',
      formatCost(p.api.usd, p.api.lowerBound),
      [
        ['Prompt caching saved', formatCost(p.api.cachingSavedUSD), 'computed vs the same prompts uncached'],
        ...m.byModel
          .filter((x) => x.perMTok)
          .map((x): [string, string, string] => [
            `${x.model} per MTok`,
            x.perMTok ? `in ${perM(x.perMTok.input)} · out ${perM(x.perMTok.output)} · write ${perM(x.perMTok.cacheWrite5m)}/${perM(x.perMTok.cacheWrite1h)} · read ${perM(x.perMTok.cacheRead)}` : '',
            x.priceSource,
          ]),
      ],
      p.cheapest === 'api',
    ),
  );
  const sub = p.subscription;
  const subRows: [string, string, string?][] = sub.applies
    ? [
        ['Marginal cost of this work', formatCost(sub.marginalUSD), 'inside the plan’s limits (assumed)'],
        ['Share of the monthly fee', formatCost(sub.allocatedUSD), `fee × this work’s share of the month’s API-equivalent spend`],
        ['Month so far (API-equivalent)', formatCost(sub.monthApiUSD), sub.valueMultiple === null ? '' : `${sub.valueMultiple >= 0.1 ? sub.valueMultiple.toFixed(1) : sub.valueMultiple.toPrecision(2)}× the ${formatCost(sub.feeUSD)} fee`],
        ['Broke even on', sub.breakEvenDay ?? 'not yet this month', 'computed'],
      ]
    : [['Plan', sub.planId === 'none' ? 'none set — choose one in Settings (taximeter.plan)' : `${sub.planLabel} does not cover this work`]];
  if (sub.window?.clientReported) {
    const w = sub.window;
    const c = sub.window.clientReported;
    subRows.push(
      ['5-hour window (client-reported)', `${c.usedPercent.toFixed(0)}% used, resets ${new Date(w.end).toLocaleTimeString()}`, `reported ${new Date(c.reportedAt).toLocaleTimeString()}`],
      ['7-day window (client-reported)', c.sevenDay ? `${c.sevenDay.usedPercent.toFixed(0)}% used${c.sevenDay.resetsAt === null ? '' : `, resets ${new Date(c.sevenDay.resetsAt).toLocaleString()}`}` : '—', 'client-reported'],
      ['This window so far', `${w.prompts} message(s), ${formatCost(w.apiUSD)} API-equivalent`, 'measured'],
      ['Projected exhaustion', w.projectedExhaustion === null ? 'not within this window at this pace' : new Date(w.projectedExhaustion).toLocaleTimeString(), 'estimated: the pace so far'],
    );
  } else if (sub.window) {
    const w = sub.window;
    subRows.push(
      ['5-hour window (estimate)', `${new Date(w.start).toLocaleTimeString()}–${new Date(w.end).toLocaleTimeString()}: ${w.prompts} message(s), ${formatCost(w.apiUSD)}`, 'estimated from prompt times'],
      ['Window burn rate', w.burnUSDPerHour === null ? '—' : `${formatCost(w.burnUSDPerHour)}/h`, 'estimated'],
      [
        'Projected exhaustion',
        w.projectedExhaustion === null ? (w.limitMessages ? 'not within this window at this pace' : 'no published allowance') : new Date(w.projectedExhaustion).toLocaleTimeString(),
        w.limitMessages ? `~${w.limitMessages} messages per window (vendor guidance)` : '',
      ],
    );
  }
  cards.appendChild(card('price-subscription', `Subscription: ${sub.planLabel}`, sub.applies ? `${formatCost(sub.allocatedUSD)} of ${formatCost(sub.feeUSD)}/mo` : '—', subRows, p.cheapest === 'subscription'));
  const sh = p.sessionHour;
  cards.appendChild(
    card(
      'price-session-hour',
      'Session-hour (runtime)',
      formatCost(sh.totalUSD, p.api.lowerBound),
      [
        ['Runtime', `${formatCost(sh.runtimeUSD)} (${sh.busyHours.toFixed(2)} busy h × $${sh.ratePerHour}/h)`, 'only running time is billed'],
        ['Tokens at API rates', formatCost(sh.tokenUSD, p.api.lowerBound), 'computed'],
        ['Idle (not billed)', `${sh.idleHours.toFixed(2)} h`, 'measured'],
        ['Runtime share', `${(sh.runtimeShare * 100).toFixed(1)}%`, `tokens ${(100 - sh.runtimeShare * 100).toFixed(1)}%`],
      ],
      p.cheapest === 'sessionHour',
    ),
  );
  compare.appendChild(cards);
  const why = h('p', p.reasoning, 'reasoning');
  why.id = 'reasoning';
  compare.appendChild(why);
  const pr = p.projection;
  compare.appendChild(
    grid(
      `Month projection at the current pace (${pr.elapsedDays} of ${pr.daysInMonth} days)`,
      ['API', 'Subscription', 'Session-hour', 'cheapest'],
      [[formatCost(pr.api), pr.subscription === null ? '—' : formatCost(pr.subscription), formatCost(pr.sessionHour), pr.cheapest === null ? '—' : { api: 'API', subscription: 'Subscription', sessionHour: 'Session-hour' }[pr.cheapest]]],
      [true, true, true, false],
    ),
  );
  frag.appendChild(compare);

  // Dead weight.
  const dw = s.deadWeight;
  const dead = section('dead-weight', 'Dead weight');
  dead.appendChild(
    facts('Dead weight', [
      ['Dead weight', `${formatCost(dw.costUSD)} (${(dw.share * 100).toFixed(1)}% of the work)`, dw.estimated ? 'partly estimated' : 'measured and computed'],
      ['Compactions', String(dw.compactions), 'measured'],
      ['Time lost', formatDuration(dw.seconds * 1000), 'measured (compaction durations)'],
    ]),
  );
  if (dw.forecast) {
    const f = dw.forecast;
    const when = f.turnsLeft === null ? 'not at the current context growth' : f.turnsLeft === 0 ? 'on the next turn' : `in ~${f.turnsLeft} turn${f.turnsLeft === 1 ? '' : 's'} at the current context growth`;
    const p = h('p', `Next auto-compaction: ${when} (context ${formatTokens(f.contextTokens)} of ${formatTokens(f.windowTokens)}, +${formatTokens(Math.max(0, f.growthPerTurn))}/turn).`, 'forecast');
    p.id = 'forecast';
    p.title = f.note;
    dead.appendChild(p);
    dead.appendChild(h('p', f.note, 'note'));
  }
  const kindLabel: Record<string, string> = {
    compaction: 'compaction',
    'premature-compaction': 'premature compaction',
    'compaction-loop': 'compaction loop',
    clear: '/clear reset',
    'cache-rebuild': 'cache rebuild',
    'cache-miss': 'cache misses (client)',
  };
  if (dw.promptCache) {
    const pc = dw.promptCache;
    const p = h('p', `Prompt cache (client-reported): ${pc.misses} miss${pc.misses === 1 ? '' : 'es'} in ${pc.requests} requests${pc.hitRatio === null ? '' : `, hit ratio ${(pc.hitRatio * 100).toFixed(1)}%`}, ${formatTokens(pc.missRecacheTokens)} tokens written again.`, 'note');
    p.id = 'prompt-cache';
    dead.appendChild(p);
  }
  if (dw.events.length === 0) dead.appendChild(h('p', 'No dead weight found in this scope.', 'note'));
  else
    dead.appendChild(
      grid(
        'Events',
        ['time', 'kind', 'trigger', 'tokens', 'cost', 'time lost', 'estimated?', 'what'],
        dw.events.map((e) => [
          new Date(e.at).toLocaleString(),
          kindLabel[e.kind] ?? e.kind,
          e.trigger ?? '',
          formatTokens(e.tokens),
          e.costUSD === null ? 'unpriced' : formatCost(e.costUSD),
          formatDuration(e.seconds * 1000),
          e.estimated ? 'estimated' : 'no',
          `${e.detail} (${e.provenance})`,
        ]),
        [false, false, false, true, true, true, false, false],
      ),
    );
  frag.appendChild(dead);

  // Tasks.
  const tasksSec = section('tasks', 'Tasks');
  const bar = h('div', undefined, 'actions');
  const running = s.tasks.find((t) => t.running);
  bar.append(
    button(running ? 'Stop task' : 'Start task…', () => actions.taskCommand(running ? 'stop' : 'start'), running ? 'secondary' : 'primary'),
    button('Rename task…', () => actions.taskCommand('rename')),
    button('Export report…', () => actions.exportReport()),
  );
  tasksSec.appendChild(bar);
  if (s.tasks.length === 0) tasksSec.appendChild(h('p', 'No tasks in this workspace yet. A task counts all agent work in this workspace’s folders while it runs.', 'note'));
  else {
    const rows = [...s.tasks].reverse();
    tasksSec.appendChild(
      grid(
        'Tasks of this workspace',
        ['task', 'ref', 'start', 'end', 'API', 'session-hour', 'subscription', 'dead weight', 'tokens', 'busy', 'turns'],
        rows.map((t) => [
          t.label,
          t.ref,
          t.start ? new Date(t.start).toLocaleString() : '',
          t.running ? 'running' : t.end ? new Date(t.end).toLocaleString() : '',
          formatCost(t.apiUSD, t.costIsLowerBound),
          formatCost(t.sessionHourUSD, t.costIsLowerBound),
          t.subscriptionUSD === null ? '—' : formatCost(t.subscriptionUSD),
          formatCost(t.deadWeightUSD),
          formatTokens(t.inputTokens + t.outputTokens + t.cacheWrite5mTokens + t.cacheWrite1hTokens + t.cacheReadTokens),
          formatDuration(t.busySeconds * 1000),
          String(t.turns),
        ]),
        [false, false, false, false, true, true, true, true, true, true, true],
      ),
    );
    const exportOne = h('div', undefined, 'actions');
    for (const t of rows.slice(0, 5)) exportOne.appendChild(button(`Export “${t.label.length > 24 ? `${t.label.slice(0, 23)}…` : t.label}”`, () => actions.exportReport(t.key)));
    tasksSec.appendChild(exportOne);
  }
  frag.appendChild(tasksSec);

  // 3. Charts.
  const charts = section('charts', 'Charts');
  charts.append(h('h3', 'Cumulative spend'), cumulativeChart(s.charts.cumulative, s.charts.markers), h('h3', 'Daily spend this month'), dailyChart(s.charts.daily));
  frag.appendChild(charts);

  // Health: what could not be read, counted and named.
  const health = section('health', 'Health');
  const hh = s.health;
  health.appendChild(
    grid(
      'Sources',
      ['agent', 'detected', 'files', 'read', 'lines used', 'not JSON', 'invalid', 'too long', 'unreadable files'],
      hh.agents.map((a) => [a.agent, a.detected ? 'yes' : 'no', String(a.files), formatBytes(a.bytesRead), String(a.parsed), String(a.malformed), String(a.rejected), String(a.oversized), String(a.unreadableFiles)]),
      [false, false, true, true, true, true, true, true, true],
    ),
  );
  health.appendChild(h('p', `Index: ${hh.index}. ${hh.problemCount} problem(s) logged (Taximeter: Show Log).`, 'note'));
  if (hh.problems.length > 0)
    health.appendChild(grid('Recent problems', ['time', 'agent', 'file', 'problem'], [...hh.problems].reverse().slice(0, 10).map((p) => [new Date(p.at).toLocaleTimeString(), p.agent, p.path, p.message]), [false, false, false, false]));
  frag.appendChild(health);

  // 4. Provenance.
  const prov = section('provenance', 'Where the figures come from');
  prov.appendChild(
    facts('Provenance', [
      ['Tokens', s.provenance.tokens],
      ['Time', s.provenance.time],
      ['API cost', s.provenance.api],
      ['Subscription', s.provenance.subscription],
      ['Session-hour', s.provenance.sessionHour],
      ['Usage window', s.provenance.window],
    ]),
  );
  prov.appendChild(divider());
  prov.appendChild(h('p', `Updated ${new Date(s.generatedAt).toLocaleTimeString()}.`, 'note'));
  frag.appendChild(prov);

  root.replaceChildren(frag);
  root.setAttribute('aria-busy', 'false');
}

export function renderError(root: HTMLElement, message: string): void {
  const p = h('p', `Taximeter could not compute the panel: ${message}`, 'warning');
  p.setAttribute('role', 'alert');
  root.replaceChildren(p);
}
