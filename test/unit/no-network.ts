/**
 * Preloaded (`node --require`) by the no-network test: every way out — sockets, TLS, HTTP(S),
 * DNS, fetch — is replaced by a function that records the attempt and throws.
 */
import * as fs from 'node:fs';

const log = process.env.TAXIMETER_NETWORK_LOG ?? '';
fs.writeFileSync(`${log}.armed`, String(process.pid));
function attempt(what: string): never {
  fs.appendFileSync(log, `${what}\n`);
  throw new Error(`network call blocked: ${what}`);
}
/* eslint-disable @typescript-eslint/no-require-imports */
const net = require('node:net') as Record<string, unknown> & { Socket: { prototype: Record<string, unknown> } };
const tls = require('node:tls') as Record<string, unknown>;
const http = require('node:http') as Record<string, unknown>;
const https = require('node:https') as Record<string, unknown>;
const dns = require('node:dns') as Record<string, unknown> & { promises: Record<string, unknown> };
/* eslint-enable @typescript-eslint/no-require-imports */
net.Socket.prototype.connect = () => attempt('net.Socket.connect');
net.connect = () => attempt('net.connect');
net.createConnection = () => attempt('net.createConnection');
tls.connect = () => attempt('tls.connect');
for (const m of [http, https]) {
  m.request = () => attempt('http.request');
  m.get = () => attempt('http.get');
}
dns.lookup = () => attempt('dns.lookup');
dns.resolve = () => attempt('dns.resolve');
dns.promises.lookup = () => attempt('dns.promises.lookup');
(globalThis as { fetch?: unknown }).fetch = () => attempt('fetch');
