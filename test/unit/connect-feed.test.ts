/**
 * What Connect feeds the meter: real hook and status-line captures (Claude Code 2.1.330) run
 * through the real scripts into a spool, OTLP bodies of the real client through the real receiver,
 * and the figures they change, with expectations derived here from the raw records.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { calcPrice } from '@pydantic/genai-prices';
import { createCalendar } from '../../src/core/calendar';
import { clearedPredecessor, deadWeightOf } from '../../src/core/dead-weight';
import { buildPanelState } from '../../src/core/panel-state';
import { viewSession } from '../../src/core/session-view';
import { restoreMeter, snapshotMeter } from '../../src/core/snapshot';
import { statusSummary } from '../../src/core/status';
import { OtlpReceiver } from '../../src/connect/otlp-receiver';
import { connectLayout, spoolFiles } from '../../src/connect/layout';
import { installScripts } from '../../src/connect/installer';
import { Engine } from '../../src/engine/engine';
import { otelSpoolLine, parseSpoolLine } from '../../src/sources/claude-code/connect-parse';
import { decodeOtlpLogs } from '../../src/sources/claude-code/otlp';
import { renderStatus } from '../../src/vscode/status-text';
import { claudeFixture, fixturesDir, lastCostStates, repoRoot, tempDir } from '../helpers';

const close = (a: number, b: number, eps = 1e-9): void => assert.ok(Math.abs(a - b) <= eps, `${a} ≉ ${b}`);
const hooksFixture = (s: string): string => path.join(fixturesDir, 'claude-code', 'hooks', s, 'home-user');
const lines = (file: string): string[] => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');

/** Run the real scripts with each captured stdin, as the client would, into a fresh spool. */
function spoolFrom(scenario: string): { spool: string } {
  const layout = connectLayout(tempDir('taximeter-feed-'));
  installScripts(layout, path.join(repoRoot, 'media', 'connect'));
  const home = hooksFixture(scenario);
  for (const payload of lines(path.join(home, '.lab', 'hooks.jsonl'))) {
    const r = spawnSync('/bin/sh', [path.join(layout.bin, 'hook.sh'), path.join(layout.spool, spoolFiles.hooks)], { input: payload });
    assert.equal(r.status, 0);
  }
  const sl = path.join(home, '.lab', 'statusline.jsonl');
  if (fs.existsSync(sl)) {
    for (const payload of lines(sl)) {
      const r = spawnSync('/bin/sh', [path.join(layout.bin, 'statusline.sh'), path.join(layout.spool, spoolFiles.statusLine)], { input: payload });
      assert.equal(r.status, 0);
    }
  }
  return { spool: layout.spool };
}

function engineFor(root: string, spoolDir?: string): Engine {
  const e = new Engine({ claude: { onlyDirs: [root], spoolDir }, idleMs: 300_000, priceOverrides: [], keepPromptText: true });
  e.scan();
  return e;
}

function listPrice(model: string, t: { input: number; output: number; write: number; read: number }): number {
  return calcPrice({ input_tokens: t.input + t.write + t.read, output_tokens: t.output, cache_write_tokens: t.write, cache_read_tokens: t.read }, model, { providerId: 'anthropic', timestamp: new Date('2026-11-22') })!.total_price;
}

/** The OTLP fixture's log records, read plainly: attributes as a map of raw values. */
function rawOtelEvents(): Map<string, unknown>[] {
  const out: Map<string, unknown>[] = [];
  for (const l of lines(path.join(claudeFixture('otel'), 'otel.jsonl'))) {
    const o = JSON.parse(l);
    if (o.path !== '/v1/logs') continue;
    for (const rl of o.body.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) out.push(new Map(r.attributes.map((a: any) => [a.key, Object.values(a.value)[0]])));
  }
  return out;
}

describe('Connect feed: hooks and the status line (real 2.1.330 captures through the real scripts)', () => {
  it('every captured payload becomes one spool line the parser accepts', () => {
    for (const s of ['interactive', 'tools_resume', 'compact_manual']) {
      const { spool } = spoolFrom(s);
      const got = lines(path.join(spool, spoolFiles.hooks));
      assert.equal(got.length, lines(path.join(hooksFixture(s), '.lab', 'hooks.jsonl')).length, s);
      for (const l of got) {
        const o = parseSpoolLine(l, { fileId: 1, state: { maxTs: -Infinity, seq: 0 } });
        assert.equal(o.status, 'ok', `${s}: ${o.reason ?? ''}`);
        assert.equal(/"(prompt|last_assistant_message|compact_summary)":"/.test(l), false, 'no free text kept');
      }
    }
  });

  it('links /clear exactly (SessionEnd clear → SessionStart clear), in the TUI and headless', () => {
    const cases: [string, string, string][] = [
      ['interactive', '0c672221-c857-432d-845b-bff32d9a3e62', '68e7552b-e654-4c03-a6ef-6afcc65c8f8c'],
      ['tools_resume', 'b0cdeb3f-171f-40f1-8c04-f2d29275a7a2', '656db657-b0fa-44b2-aa66-2a7fe98c5f32'],
    ];
    for (const [scenario, cleared, from] of cases) {
      const { spool } = spoolFrom(scenario);
      const e = engineFor(path.join(hooksFixture(scenario), '.claude'), spool);
      const s = e.meter.sessions.get(`claude-code:${cleared}`)!;
      assert.equal(s.startedWithClear, true);
      assert.equal(s.connect?.clearedFrom, from, scenario);
      assert.equal(clearedPredecessor(e.meter, s)?.id, from);
      const dw = deadWeightOf(e.meter, viewSession(s, e.meter.getPriceBook(), 300_000), { prematureShare: 0.5 });
      const clear = dw.events.find((x) => x.kind === 'clear');
      assert.match(clear?.provenance ?? '', /SessionEnd\/SessionStart hooks/);
    }
  });

  it('records resumes and forks from SessionStart, and PreCompact → PostCompact windows', () => {
    const { spool } = spoolFrom('tools_resume');
    const raw = lines(path.join(hooksFixture('tools_resume'), '.lab', 'hooks.jsonl')).map((l) => JSON.parse(l));
    const e = engineFor(path.join(hooksFixture('tools_resume'), '.claude'), spool);
    for (const sid of new Set(raw.map((r) => r.session_id as string))) {
      const resumes = raw.filter((r) => r.session_id === sid && r.hook_event_name === 'SessionStart' && r.source === 'resume').length;
      const forked = raw.some((r) => r.session_id === sid && r.source === 'fork');
      const facts = e.meter.sessions.get(`claude-code:${sid}`)?.connect;
      assert.equal(facts?.resumes.length ?? 0, resumes, sid);
      assert.equal(facts?.forkedAt !== undefined, forked, sid);
    }
    const c = spoolFrom('compact_manual');
    const e2 = engineFor(path.join(hooksFixture('compact_manual'), '.claude'), c.spool);
    const w = e2.meter.sessions.get('claude-code:5618ebc7-8048-4a65-b8b5-eee132f19490')?.connect?.compactWindows;
    assert.equal(w?.length, 1);
    assert.equal(w?.[0]?.trigger, 'manual');
    assert.ok(w?.[0]?.end !== undefined && w[0].end >= w[0].start, 'PostCompact closed it');
  });

  it('a 1.0.x compaction without durationMs is timed by its PreCompact hook, not estimated', () => {
    const root = claudeFixture('compact_manual-cc1.0.128');
    const boundary = fs
      .readdirSync(path.join(root, 'projects'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) => lines(path.join(root, 'projects', f)).map((l) => JSON.parse(l)))
      .find((r) => r.subtype === 'compact_boundary');
    const at = Date.parse(boundary.timestamp);
    const without = engineFor(root);
    const v0 = viewSession(without.meter.sessions.get(`claude-code:${boundary.sessionId}`)!, without.meter.getPriceBook(), 300_000);
    assert.equal(deadWeightOf(without.meter, v0, { prematureShare: 0.5 }).events.find((x) => x.kind.endsWith('compaction'))?.provenance.includes('time estimated'), true);
    // The 1.0.128 client runs PreCompact (not PostCompact); its hook fired 2.5 s before the boundary.
    const spool = tempDir();
    const pre = { session_id: boundary.sessionId, hook_event_name: 'PreCompact', trigger: 'manual', custom_instructions: '' };
    fs.writeFileSync(path.join(spool, spoolFiles.hooks), `${JSON.stringify({ v: 1, t: at - 2500, k: 'hook', p: pre })}\n`);
    const e = engineFor(root, spool);
    const v = viewSession(e.meter.sessions.get(`claude-code:${boundary.sessionId}`)!, e.meter.getPriceBook(), 300_000);
    const ev = deadWeightOf(e.meter, v, { prematureShare: 0.5 }).events.find((x) => x.kind.endsWith('compaction'))!;
    assert.equal(ev.seconds, 2.5);
    assert.match(ev.provenance, /time measured by the PreCompact hook/);
  });

  it('prompt-cache misses from the status line become dead weight, per session, priced as rebuilds', () => {
    const { spool } = spoolFrom('interactive');
    const e = engineFor(path.join(hooksFixture('interactive'), '.claude'), spool);
    const raw = lines(path.join(hooksFixture('interactive'), '.lab', 'statusline.jsonl')).map((l) => JSON.parse(l));
    const lastOf = (sid: string): any => [...raw].reverse().find((r) => r.session_id === sid && r.prompt_cache);
    const first = lastOf('68e7552b-e654-4c03-a6ef-6afcc65c8f8c').prompt_cache;
    const second = lastOf('0c672221-c857-432d-845b-bff32d9a3e62').prompt_cache;
    const pb = e.meter.getPriceBook();
    const s1 = e.meter.sessions.get('claude-code:68e7552b-e654-4c03-a6ef-6afcc65c8f8c')!;
    const d1 = deadWeightOf(e.meter, viewSession(s1, pb, 300_000), { prematureShare: 0.5 });
    const miss = d1.events.filter((x) => x.kind === 'cache-miss');
    assert.equal(miss.length, 1);
    assert.equal(miss[0]?.tokens, first.miss_recache_tokens);
    close(miss[0]!.costUSD!, listPrice('claude-sonnet-4-5', { input: 0, output: 0, write: first.miss_recache_tokens, read: 0 }) - listPrice('claude-sonnet-4-5', { input: 0, output: 0, write: 0, read: first.miss_recache_tokens }));
    assert.equal(d1.events.some((x) => x.kind === 'cache-rebuild'), false, 'the client’s figure replaces the transcript guess');
    assert.deepEqual(d1.promptCache, { requests: first.requests, misses: first.misses, hitRatio: first.hit_ratio, missRecacheTokens: first.miss_recache_tokens });
    // The client keeps these per session (they restart at /clear): the new session has its own.
    const s2 = e.meter.sessions.get('claude-code:0c672221-c857-432d-845b-bff32d9a3e62')!;
    const d2 = deadWeightOf(e.meter, viewSession(s2, pb, 300_000), { prematureShare: 0.5 });
    assert.deepEqual(d2.promptCache, { requests: second.requests, misses: second.misses, hitRatio: second.hit_ratio, missRecacheTokens: second.miss_recache_tokens });
    assert.equal(d2.events.find((x) => x.kind === 'cache-miss')?.tokens, second.miss_recache_tokens);
  });

  it('the client’s rate_limits become the subscription window in the status bar and the panel, labelled client-reported', () => {
    // The lab logs in with an API key, so the client sends no rate_limits; this payload is a real
    // capture with the field added in the shape 2.1.330 builds it (read from its binary:
    // {five_hour:{used_percentage,resets_at},seven_day:{…}}, resets_at in Unix seconds).
    const captured = JSON.parse(lines(path.join(hooksFixture('interactive'), '.lab', 'statusline.jsonl')).at(-1)!);
    const now = Date.parse('2026-11-22T19:30:00Z');
    const fiveReset = Math.floor(now / 1000) + 2 * 3600;
    const sevenReset = Math.floor(now / 1000) + 3 * 86400;
    captured.rate_limits = { five_hour: { used_percentage: 80, resets_at: fiveReset }, seven_day: { used_percentage: 12.5, resets_at: sevenReset } };
    const spool = tempDir();
    fs.writeFileSync(path.join(spool, spoolFiles.statusLine), `${JSON.stringify({ v: 1, t: now - 60_000, k: 'statusline', p: captured })}\n`);
    const e = engineFor(path.join(hooksFixture('interactive'), '.claude'), spool);
    const cal = createCalendar('UTC');
    const summary = statusSummary(e.meter, { now, idleMs: 300_000, calendar: cal, workspaceFolders: [] });
    assert.deepEqual(summary.clientWindow?.fiveHour, { usedPercent: 80, resetsAt: fiveReset * 1000 });
    assert.deepEqual(summary.clientWindow?.sevenDay, { usedPercent: 12.5, resetsAt: sevenReset * 1000 });
    const tip = renderStatus({ type: 'status', summary, scan: { phase: 'live', indexLoaded: false, watching: 'events', role: 'leader' }, health: { ok: true, unreadableFiles: 0, malformed: 0, rejected: 0, problemCount: 0, detectedAgents: [] }, meterVersion: 1 }).tooltip;
    assert.match(tip, /Subscription window\*\* \(client-reported by Claude Code\): 5\\-hour 80% used, resets .* · 7\\-day 13% used/);
    const panel = buildPanelState(e.meter, { scope: { kind: 'today' }, now, idleMs: 300_000, calendar: cal, plan: { id: 'claude-max-5x' }, sessionHourRate: 0.08, workspaceFolders: [] });
    const w = panel.prices.subscription.window!;
    assert.equal(w.end, fiveReset * 1000);
    assert.equal(w.start, fiveReset * 1000 - 5 * 3600_000);
    assert.equal(w.clientReported?.usedPercent, 80);
    assert.deepEqual(w.clientReported?.sevenDay, { usedPercent: 12.5, resetsAt: sevenReset * 1000 });
    // 80% used after (report − start) → 100% at start + elapsed × 100 / 80, before the reset.
    close(w.projectedExhaustion!, w.start + ((now - 60_000 - w.start) * 100) / 80, 1);
    assert.match(panel.provenance.window, /^client-reported/);
    // Once the window has reset, the report says nothing about now.
    assert.equal(statusSummary(e.meter, { now: fiveReset * 1000 + 1, idleMs: 300_000, calendar: cal, workspaceFolders: [] }).clientWindow?.fiveHour, undefined);
  });

  it('bad spool lines are counted, never fatal', () => {
    const spool = tempDir();
    fs.writeFileSync(
      path.join(spool, spoolFiles.hooks),
      ['not json', '{"v":2,"t":1,"k":"hook","p":{}}', '{"v":1,"t":5,"k":"hook","p":{"hook_event_name":"Stop"}}', '{"v":1,"t":5,"k":"statusline","p":{"session_id":"x","rate_limits":{"five_hour":"lots"}}}', ''].join('\n'),
    );
    const e = engineFor(tempDir(), spool);
    const h = e.health().byAgent['claude-code']!;
    assert.equal(h.malformed, 1);
    assert.equal(h.rejected, 2);
    assert.equal(h.parsed, 1, 'the status line with a bad rate_limits keeps the rest');
  });
});

describe('Connect feed: OpenTelemetry (the real client’s OTLP bodies)', () => {
  it('decodes every api_request and compaction exactly', () => {
    const raw = rawOtelEvents();
    const decoded = lines(path.join(claudeFixture('otel'), 'otel.jsonl'))
      .map((l) => JSON.parse(l))
      .filter((o) => o.path === '/v1/logs')
      .flatMap((o) => decodeOtlpLogs(o.body)!.records);
    const api = raw.filter((a) => a.get('event.name') === 'api_request');
    const got = decoded.filter((r) => r.event === 'api_request');
    assert.equal(got.length, api.length);
    assert.equal(api.length, 11);
    api.forEach((a, i) => {
      const r = got[i]!;
      assert.ok(r.event === 'api_request');
      assert.equal(r.sessionId, a.get('session.id'));
      assert.equal(r.ts, Date.parse(String(a.get('event.timestamp'))));
      assert.equal(r.model, a.get('model'));
      assert.equal(r.inputTokens, Number(a.get('input_tokens')));
      assert.equal(r.outputTokens, Number(a.get('output_tokens')));
      assert.equal(r.cacheReadTokens, Number(a.get('cache_read_tokens')));
      assert.equal(r.cacheCreationTokens, Number(a.get('cache_creation_tokens')));
      assert.equal(r.costUSD, a.get('cost_usd'));
      assert.equal(r.requestId, a.get('request_id'));
      assert.equal(r.querySource, a.get('query_source'));
    });
    const compact = api.filter((a) => a.get('query_source') === 'compact');
    assert.equal(compact.length, 1);
    const comp = decoded.find((r) => r.event === 'compaction');
    const rc = raw.find((a) => a.get('event.name') === 'compaction')!;
    assert.deepEqual(comp, {
      event: 'compaction',
      sessionId: rc.get('session.id'),
      ts: Date.parse(String(rc.get('event.timestamp'))),
      trigger: 'manual',
      durationMs: Number(rc.get('duration_ms')),
      preTokens: Number(rc.get('pre_tokens')),
      postTokens: Number(rc.get('post_tokens')),
      success: true,
    });
  });

  it('the receiver takes the real bodies over loopback HTTP, at its secret path only', async () => {
    const dir = tempDir();
    const spoolFile = path.join(dir, 'spool', spoolFiles.otel);
    const r = await OtlpReceiver.start({ spoolFile });
    const post = (p: string, body: string, type = 'application/json'): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: r.port, path: p, method: 'POST', headers: { 'content-type': type } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      assert.equal(r.env().OTEL_EXPORTER_OTLP_ENDPOINT, `http://127.0.0.1:${r.port}/${r.token}`);
      assert.ok(r.token.length >= 32);
      const bodies = lines(path.join(claudeFixture('otel'), 'otel.jsonl')).map((l) => JSON.parse(l));
      for (const b of bodies) assert.equal(await post(`/${r.token}${b.path}`, JSON.stringify(b.body)), 200);
      assert.equal(await post('/v1/logs', JSON.stringify(bodies[0].body)), 404, 'no token, no entry');
      assert.equal(await post(`/${r.token}/v1/logs`, 'x', 'application/x-protobuf'), 415);
      assert.equal(await post(`/${r.token}/v1/logs`, '{"resourceLogs":7}'), 400);
      const spooled = lines(spoolFile);
      assert.equal(spooled.length, rawOtelEvents().filter((a) => a.get('event.name') === 'api_request' || a.get('event.name') === 'compaction').length);
      assert.equal(r.stats.badBodies, 1);
    } finally {
      await r.close();
    }
  });

  it('with telemetry, /compact is an exact (not estimated) dead-weight event, and nothing is counted twice', () => {
    const root = claudeFixture('otel');
    const spool = tempDir();
    const bodies = lines(path.join(root, 'otel.jsonl')).map((l) => JSON.parse(l)).filter((o) => o.path === '/v1/logs');
    fs.writeFileSync(path.join(spool, spoolFiles.otel), bodies.flatMap((b) => decodeOtlpLogs(b.body)!.records.map((x) => otelSpoolLine(x, Date.parse(b.t)))).join(''));
    const sid = '53a424b4-9196-41ee-8188-c87b5adb5a1b';
    const compact = rawOtelEvents().find((a) => a.get('query_source') === 'compact')!;
    const call = { input: Number(compact.get('input_tokens')), output: Number(compact.get('output_tokens')), write: Number(compact.get('cache_creation_tokens')), read: Number(compact.get('cache_read_tokens')) };
    const plain = engineFor(root);
    const withOtel = engineFor(root, spool);
    const v0 = viewSession(plain.meter.sessions.get(`claude-code:${sid}`)!, plain.meter.getPriceBook(), 300_000);
    const v = viewSession(withOtel.meter.sessions.get(`claude-code:${sid}`)!, withOtel.meter.getPriceBook(), 300_000);
    close(v.cost.api, v0.cost.api);
    close(v.cost.api, lastCostStates(root).get(sid).totalCostUSD);
    assert.equal(v.requests, v0.requests, 'the transcript’s requests, once');
    const dw = deadWeightOf(withOtel.meter, v, { prematureShare: 0.5 });
    const e = dw.events.find((x) => x.kind.endsWith('compaction'))!;
    assert.equal(e.estimated, false);
    assert.match(e.provenance, /telemetry/);
    assert.equal(e.tokens, call.input + call.output + call.write + call.read);
    close(e.costUSD!, listPrice('claude-sonnet-4-5', call));
    close(e.costUSD!, Number(compact.get('cost_usd')), 1e-9);
    // The index keeps the telemetry facts.
    const restored = restoreMeter(JSON.parse(JSON.stringify(snapshotMeter(withOtel.meter))), withOtel.meter.getPriceBook());
    assert.deepEqual(restored.sessions.get(`claude-code:${sid}`)?.connect, withOtel.meter.sessions.get(`claude-code:${sid}`)?.connect);
  });
});
