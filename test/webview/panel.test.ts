/**
 * The cost panel's webview in real Chromium (playwright-core + /usr/bin/chromium): the built
 * bundle under the real CSP, fed real snapshots; hostile strings stay inert text; nothing remote
 * is loaded; inline script is refused.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createCalendar } from '../../src/core/calendar';
import { formatCost } from '../../src/core/format';
import { buildPanelState, type PanelState } from '../../src/core/panel-state';
import { Engine } from '../../src/engine/engine';
import { panelHtml } from '../../src/vscode/panel-html';
import { claudeFixture, copyTree, repoRoot, tempDir } from '../helpers';

const origin = 'https://webview.test';
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
/** A project folder name cannot hold '/', so its hostile form has none. */
const hostileName = '<img src=x onerror="window.__pwned=3"><svg onload="window.__pwned=4"><style>body{display:none}';

function stateFor(root: string, plan: 'claude-max-5x' | 'none' = 'claude-max-5x'): PanelState {
  const engine = new Engine({ claude: { onlyDirs: [root] }, idleMs: 300_000, priceOverrides: [], keepPromptText: true });
  engine.scan();
  return buildPanelState(engine.meter, {
    scope: { kind: 'current' },
    now: Date.parse('2026-11-22T20:00:00Z'),
    idleMs: 300_000,
    calendar: createCalendar('UTC'),
    plan: { id: plan },
    sessionHourRate: 0.08,
    workspaceFolders: [],
  });
}

describe('cost panel webview in Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const violations: string[] = [];

  before(async function () {
    if (!fs.existsSync(executablePath)) this.skip();
    browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });

  after(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    requests.length = 0;
    violations.length = 0;
    page = await browser.newPage();
    page.on('request', (r) => requests.push(r.url()));
    await page.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.origin !== origin) return route.abort();
      if (url.pathname === '/index.html') {
        return route.fulfill({
          contentType: 'text/html',
          body: panelHtml({ cspSource: origin, nonce: 'testnonce123', scriptUri: `${origin}/dist/webview/main.js`, styleUri: `${origin}/dist/webview/main.css` }),
        });
      }
      const file = path.join(repoRoot, url.pathname);
      if (!file.startsWith(path.join(repoRoot, 'dist')) || !fs.existsSync(file)) return route.fulfill({ status: 404, body: '' });
      return route.fulfill({ contentType: file.endsWith('.css') ? 'text/css' : 'text/javascript', body: fs.readFileSync(file) });
    });
    await page.addInitScript(() => {
      const w = window as unknown as { __posted: unknown[]; __state: unknown; acquireVsCodeApi: () => unknown };
      w.__posted = [];
      w.__state = undefined;
      w.acquireVsCodeApi = () => ({
        postMessage: (m: unknown) => w.__posted.push(m),
        getState: () => w.__state,
        setState: (s: unknown) => (w.__state = s),
      });
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { __violations: string[] }).__violations ??= [];
        (window as unknown as { __violations: string[] }).__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    await page.goto(`${origin}/index.html`);
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  });

  afterEach(async () => {
    await page.close();
  });

  async function send(state: PanelState, version = 1): Promise<void> {
    await page.evaluate(([s, v]) => window.postMessage({ type: 'state', version: v, state: s }, '*'), [state, version] as const);
    await page.waitForFunction((v) => (window as unknown as { __posted: { type: string; version?: number }[] }).__posted.some((m) => m.type === 'didRender' && m.version === v), version);
  }

  it('says ready first and shows the three prices with the right numbers', async () => {
    const state = stateFor(claudeFixture('compact_manual'));
    await send(state);
    const api = await page.locator('#price-api .amount').innerText();
    const sessionHour = await page.locator('#price-session-hour .amount').innerText();
    const subscription = await page.locator('#price-subscription .amount').innerText();
    assert.equal(api, formatCost(state.prices.api.usd));
    assert.equal(sessionHour, formatCost(state.prices.sessionHour.totalUSD));
    assert.equal(subscription, `${formatCost(state.prices.subscription.allocatedUSD)} of $100.00/mo`);
    assert.ok((await page.locator('#price-api').getAttribute('class'))?.includes('cheapest'), 'cheapest is marked');
    assert.match(await page.locator('#reasoning').innerText(), /Cheapest: API/);
    assert.equal(await page.locator('svg.chart').count(), 2);
    assert.equal(await page.locator('svg.chart .marker').count(), 1, 'the compaction is marked on the chart');
    const posted = await page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted.map((m) => m.type));
    assert.equal(posted[0], 'ready');
  });

  it('asks the host for another scope and keeps it for restore', async () => {
    await send(stateFor(claudeFixture('compact_manual')));
    const dd = page.locator('vscode-dropdown#scope');
    await dd.evaluate((el) => {
      (el as HTMLElement & { value: string }).value = 'today';
      el.dispatchEvent(new Event('change'));
    });
    const posted = await page.evaluate(() => (window as unknown as { __posted: { type: string; scope?: unknown }[] }).__posted.filter((m) => m.type === 'setScope'));
    assert.deepEqual(posted[posted.length - 1], { type: 'setScope', scope: { kind: 'today' } });
    const kept = await page.evaluate(() => (window as unknown as { __state: unknown }).__state);
    assert.deepEqual(kept, { scope: { kind: 'current' } });
  });

  it('renders hostile project, model and prompt strings as inert text', async () => {
    const root = tempDir();
    copyTree(claudeFixture('compact_manual'), root);
    const file = path.join(root, 'projects', '-home-user-proj', '1fadfc77-936f-4016-8c24-3f754c1f34ce.jsonl');
    const text = fs
      .readFileSync(file, 'utf8')
      .replaceAll('"cwd":"/home/user/proj"', `"cwd":${JSON.stringify(`/home/user/${hostileName}`)}`)
      .replaceAll('"model":"claude-sonnet-4-5"', `"model":${JSON.stringify(`javascript:alert(1)${hostile}`)}`);
    fs.writeFileSync(file, text);
    const state = stateFor(root);
    assert.ok(state.scopeLabel.includes('<svg onload'), 'the hostile project name reaches the panel');
    await send(state);
    const body = await page.locator('body').innerText();
    assert.ok(body.includes('<script>window.__pwned=2</script>'), 'model shown as text');
    assert.ok(body.includes('<svg onload="window.__pwned=4">'), 'project shown as text');
    assert.ok(await page.locator('#price-api').isVisible(), 'no injected style hid the page');
    assert.ok(body.includes('javascript:alert(1)'), 'model shown as text');
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    const created = await page.evaluate(() => [...document.querySelectorAll('main img, main script, main a, main style, main svg:not(.chart)')].map((e) => e.outerHTML.slice(0, 120)));
    assert.deepEqual(created, [], 'no element was created from data');
    assert.ok(body.includes('Unpriced'), 'an unknown model is flagged unpriced, not $0');
  });

  it('drops invalid messages and refuses inline script (CSP)', async () => {
    await page.evaluate(() => window.postMessage({ type: 'state', version: 1, state: { scopeLabel: '<b>x</b>' } }, '*'));
    await page.waitForTimeout(200);
    assert.match(await page.locator('main').innerText(), /Loading/);
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1';
      document.body.appendChild(s);
    });
    await page.waitForTimeout(100);
    assert.equal(await page.evaluate(() => (window as unknown as { __inline?: number }).__inline), undefined);
    const v = await page.evaluate(() => (window as unknown as { __violations?: string[] }).__violations ?? []);
    assert.ok(v.some((x) => x.startsWith('script-src')), `violations: ${v.join(', ')}`);
  });

  it('loads nothing remote', async () => {
    await send(stateFor(claudeFixture('compact_manual')));
    const foreign = requests.filter((u) => !u.startsWith(origin));
    assert.deepEqual(foreign, []);
    assert.ok(requests.some((u) => u.endsWith('/dist/webview/main.js')));
  });
});
