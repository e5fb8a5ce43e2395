/**
 * Nothing leaves the machine: with the extension host's ways out intercepted, using Taximeter
 * (status, panel, refresh, export) attempts no network call from Taximeter's code.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TaximeterApi } from '../../../src/extension';

/* eslint-disable @typescript-eslint/no-require-imports */
const modules = {
  net: require('node:net') as Record<string, unknown> & { Socket: { prototype: Record<string, unknown> } },
  tls: require('node:tls') as Record<string, unknown>,
  http: require('node:http') as Record<string, unknown>,
  https: require('node:https') as Record<string, unknown>,
  dns: require('node:dns') as Record<string, unknown>,
};
/* eslint-enable @typescript-eslint/no-require-imports */

describe('Nothing leaves the machine (extension host)', function () {
  this.timeout(60_000);
  const attempts: string[] = [];
  const restore: (() => void)[] = [];

  function wrap(obj: Record<string, unknown>, key: string, what: string): void {
    const original = obj[key];
    if (typeof original !== 'function') return;
    obj[key] = function (this: unknown, ...args: unknown[]) {
      const stack = new Error().stack ?? '';
      // Other extensions share this host: only calls made from Taximeter's bundle count.
      if (/taximeter|dist[\\/](extension|worker)\.js/i.test(stack)) attempts.push(`${what}\n${stack}`);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
    restore.push(() => (obj[key] = original));
  }

  before(() => {
    wrap(modules.net.Socket.prototype, 'connect', 'net.Socket.connect');
    wrap(modules.net, 'connect', 'net.connect');
    wrap(modules.net, 'createConnection', 'net.createConnection');
    wrap(modules.tls, 'connect', 'tls.connect');
    for (const m of [modules.http, modules.https]) {
      wrap(m, 'request', 'http.request');
      wrap(m, 'get', 'http.get');
    }
    wrap(modules.dns, 'lookup', 'dns.lookup');
    wrap(globalThis, 'fetch', 'fetch');
  });

  after(() => {
    for (const r of restore.splice(0)) r();
  });

  it('status, panel, refresh and export make no network call', async () => {
    const ext = vscode.extensions.getExtension<TaximeterApi>('taximeter.taximeter');
    assert.ok(ext);
    const a = ext.isActive ? ext.exports : await ext.activate();
    await a.engine.refresh();
    await vscode.commands.executeCommand('taximeter.openPanel', { scope: { kind: 'month' } });
    await a.panel()?.waitForRender((s) => s.scope.kind === 'month');
    const target = path.join(process.env.TAXIMETER_IT_SCRATCH ?? '', 'no-network-report.json');
    assert.equal(await vscode.commands.executeCommand('taximeter.exportReport', { by: 'session', format: 'json', target }), target);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.deepEqual(attempts, []);
  });
});
