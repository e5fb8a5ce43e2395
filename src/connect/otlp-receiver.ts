/**
 * The optional OpenTelemetry receiver (Node, no 'vscode'): an OTLP/HTTP JSON endpoint on loopback
 * only (127.0.0.1), a random port, and an unguessable path, so only a client given the environment
 * variables below can post to it. It keeps `api_request` and `compaction` events (otlp.ts) as lines
 * in the spool, which the scanner reads like every other spool file. It opens nothing until
 * started, and nothing leaves the machine.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { otelSpoolLine } from '../sources/claude-code/connect-parse';
import { decodeOtlpLogs } from '../sources/claude-code/otlp';

const maxBodyBytes = 16 * 1024 * 1024;

export interface ReceiverStats {
  posts: number;
  records: number;
  /** Log records that failed their schema, and bodies that were not OTLP JSON at all. */
  rejected: number;
  badBodies: number;
  ignored: number;
}

export class OtlpReceiver {
  readonly stats: ReceiverStats = { posts: 0, records: 0, rejected: 0, badBodies: 0, ignored: 0 };

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
    readonly token: string,
    private readonly spoolFile: string,
    private readonly log: (message: string) => void,
  ) {}

  /** Listen on 127.0.0.1: the given port if it is free (stable environment variables), else a random one. */
  static async start(options: { spoolFile: string; port?: number; token?: string; log?: (message: string) => void }): Promise<OtlpReceiver> {
    const token = options.token && /^[a-f0-9]{32,64}$/.test(options.token) ? options.token : crypto.randomBytes(24).toString('hex');
    fs.mkdirSync(path.dirname(options.spoolFile), { recursive: true });
    const log = options.log ?? (() => undefined);
    const holder: { receiver?: OtlpReceiver } = {};
    const server = http.createServer((req, res) => holder.receiver?.handle(req, res));
    server.requestTimeout = 30_000;
    const listen = (port: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const onError = (error: Error): void => reject(error);
        server.once('error', onError);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', onError);
          resolve();
        });
      });
    try {
      await listen(options.port ?? 0);
    } catch (error: unknown) {
      if (!options.port) throw error;
      log(`telemetry receiver: port ${options.port} is taken (${String(error)}); using a new one`);
      await listen(0);
    }
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    holder.receiver = new OtlpReceiver(server, port, token, options.spoolFile, log);
    return holder.receiver;
  }

  /** The base endpoint (the exporter appends `/v1/logs`). */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}/${this.token}`;
  }

  /** The environment that makes Claude Code export its events here (OTLP/HTTP JSON logs). */
  env(): Record<string, string> {
    return {
      CLAUDE_CODE_ENABLE_TELEMETRY: '1',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: this.endpoint,
    };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const reply = (status: number, body = '{}'): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    };
    const url = req.url ?? '';
    const logs = url === `/${this.token}/v1/logs`;
    const metrics = url === `/${this.token}/v1/metrics` || url === `/${this.token}/v1/traces`;
    if (req.method !== 'POST' || (!logs && !metrics)) {
      req.resume();
      return reply(404);
    }
    if (!/json/i.test(req.headers['content-type'] ?? '')) {
      req.resume();
      return reply(415, JSON.stringify({ message: 'Taximeter accepts OTLP/HTTP JSON only: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json' }));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBodyBytes) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) return reply(413);
      this.stats.posts++;
      if (metrics) return reply(200, '{"partialSuccess":{}}');
      let raw = Buffer.concat(chunks);
      try {
        if (/gzip/i.test(req.headers['content-encoding'] ?? '')) raw = zlib.gunzipSync(raw);
        this.accept(JSON.parse(raw.toString('utf8')));
      } catch (error: unknown) {
        this.stats.badBodies++;
        this.log(`telemetry receiver: a body that is not OTLP JSON was skipped (${error instanceof Error ? error.message : String(error)})`);
        return reply(400);
      }
      return reply(200, '{"partialSuccess":{}}');
    });
    req.on('error', () => undefined);
  }

  private accept(body: unknown): void {
    const decoded = decodeOtlpLogs(body);
    if (!decoded) throw new Error('not an OTLP logs body');
    this.stats.rejected += decoded.rejected;
    this.stats.ignored += decoded.ignored;
    if (decoded.rejected > 0) this.log(`telemetry receiver: ${decoded.rejected} log record(s) failed their schema and were skipped`);
    if (decoded.records.length === 0) return;
    const now = Date.now();
    fs.appendFileSync(this.spoolFile, decoded.records.map((r) => otelSpoolLine(r, now)).join(''));
    this.stats.records += decoded.records.length;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
