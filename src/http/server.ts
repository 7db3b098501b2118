// The HTTP front end: node's http (or https) server on each listen address, serving
// /metrics (Prometheus), the status page (/ and /assets/...), its JSON (/api/status,
// /api/history) and /healthz. It reads the same model the SNMP views read, on the same
// event loop, so nothing it does may hold that loop for long or without bound:
// - a request is headers only (GET/HEAD): a body is refused, headers are capped at
//   8 KiB, and a client has `requestTimeout` to send them (slowloris);
// - a response renders at most once per RENDER_REUSE_MS per route, so clients asking
//   in a loop get the same bytes instead of making the agent render again;
// - connections are capped (`maxConnections`) and idle ones closed.
// docs/http.md has the routes; docs/benchmarks.md what a scrape costs SNMP.

import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { HttpSettings } from '../config/http.js';
import type { Logger } from '../log.js';
import type { MailSystem } from '../model/mail-system.js';
import { BindError } from '../snmp/udp-agent.js';
import { loadAssets } from './assets.js';
import { Authenticator } from './auth.js';
import { History } from './history.js';
import type { AgentFigures } from './metrics-agent.js';
import { renderMetrics } from './metric-kit.js';
import { agentMetrics } from './metrics.js';
import { statusJson } from './status.js';

const gzip = promisify(zlib.gzip);

/** A render younger than this is served again instead of rendering anew. */
const RENDER_REUSE_MS = 250;
const MAX_HEADER_BYTES = 8192;
/** an idle keep-alive connection is closed after this */
const KEEP_ALIVE_MS = 5000;
/** a connection whose client reads nothing of the response for this long is closed */
const SOCKET_IDLE_MS = 30_000;
/** channels the status page draws (the busiest); the table lists them all */
const GRAPHED_CHANNELS = 12;

export interface HttpFrontEnd {
  /** where it listens, as URLs (http://127.0.0.1:9169/) */
  urls: string[];
  history: History;
  stop(): Promise<void>;
}

export interface HttpParts {
  model: MailSystem;
  figures: AgentFigures;
  /** sysName, for the page's heading */
  host?: string;
  /** the wall clock (tests) */
  clock?: () => number;
}

interface Rendered {
  at: number;
  type: string;
  body: Buffer;
  gzipped?: Buffer;
}

type Route = 'metrics' | 'status' | 'history';

/** Starts listening on every address of `settings`; rejects with a BindError (having closed all) when one cannot be bound. */
export async function startHttp(settings: HttpSettings, parts: HttpParts, log: Logger): Promise<HttpFrontEnd> {
  const clock = parts.clock ?? Date.now;
  const { model, figures } = parts;
  const metrics = agentMetrics(model, figures, clock);
  const assets = loadAssets();
  const auth = new Authenticator(settings.auth);
  const history = new History(model, { intervalMs: settings.history.intervalSeconds * 1000, points: settings.history.points });
  history.sample(clock());
  const sampler = setInterval(() => history.sample(clock()), settings.history.intervalSeconds * 1000);
  sampler.unref();
  const refreshSeconds = Math.min(10, settings.history.intervalSeconds);
  const identity = { host: parts.host ?? os.hostname(), version: figures.version, startedAt: figures.startedAt };

  const renders = new Map<Route, Promise<Rendered>>();
  const render = (route: Route): Promise<Rendered> => {
    const now = clock();
    const prev = renders.get(route);
    // the same promise while one renders or for RENDER_REUSE_MS after: concurrent scrapes render once
    if (prev) return prev;
    const p = (async (): Promise<Rendered> => {
      if (route === 'metrics') return { at: now, type: metrics.registry.contentType, body: Buffer.from(await renderMetrics(metrics.registry)) };
      const json = route === 'status' ? statusJson(model, identity, now, refreshSeconds) : history.toJson(GRAPHED_CHANNELS);
      return { at: now, type: 'application/json; charset=utf-8', body: Buffer.from(JSON.stringify(json)) };
    })();
    renders.set(route, p);
    const forget = () => setTimeout(() => renders.get(route) === p && renders.delete(route), RENDER_REUSE_MS).unref();
    p.then(forget, forget);
    return p;
  };

  const count = (path: string, code: number) => metrics.requests.inc({ path, code: String(code) });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = path === '/metrics' || path === '/api/status' || path === '/api/history' || path === '/healthz' || assets.has(path) ? path : 'other';
    const send = (code: number, type: string, body: Buffer | string, headers: http.OutgoingHttpHeaders = {}) => {
      count(route, code);
      res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...SECURITY_HEADERS, ...headers });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'only GET and HEAD\n', { Allow: 'GET, HEAD', Connection: 'close' });
    if (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0) {
      // nothing here takes a body: refuse it rather than read it
      return send(413, 'text/plain', 'no request body is accepted\n', { Connection: 'close' });
    }
    if (!auth.allows(req.headers.authorization)) return send(401, 'text/plain', 'authentication required\n', { 'WWW-Authenticate': auth.challenges() });
    if (route === '/healthz') return send(200, 'text/plain', 'ok\n', NO_STORE);
    const asset = assets.get(path);
    if (asset) return send(200, asset.type, asset.body, { 'Cache-Control': 'no-cache' });
    const which: Route | undefined = route === '/metrics' ? 'metrics' : route === '/api/status' ? 'status' : route === '/api/history' ? 'history' : undefined;
    if (!which) return send(404, 'text/plain', 'not found\n');
    const r = await render(which);
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && r.body.length > 1024) {
      r.gzipped ??= await gzip(r.body);
      return send(200, r.type, r.gzipped, { ...NO_STORE, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' });
    }
    return send(200, r.type, r.body, { ...NO_STORE, Vary: 'Accept-Encoding' });
  }

  const servers: http.Server[] = [];
  const urls: string[] = [];
  const stop = async () => {
    clearInterval(sampler);
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  };
  try {
    for (const [at, addr] of settings.listen.entries()) {
      const options: http.ServerOptions = {
        maxHeaderSize: MAX_HEADER_BYTES,
        requestTimeout: settings.requestTimeoutMs,
        headersTimeout: settings.requestTimeoutMs,
        keepAliveTimeout: KEEP_ALIVE_MS,
        // how often timeouts are checked: the default 30 s would let a slow client hold on
        connectionsCheckingInterval: 1000,
      };
      const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
        handle(req, res).catch((err: unknown) => {
          log.error({ err: (err as Error).message, url: req.url }, 'HTTP request failed');
          if (!res.headersSent) {
            count('other', 500);
            res.writeHead(500, { 'Content-Type': 'text/plain', Connection: 'close' }).end('internal error\n');
          } else res.destroy();
        });
      };
      const server = settings.tls ? https.createServer({ ...options, cert: settings.tls.cert, key: settings.tls.key }, listener) : http.createServer(options, listener);
      server.maxConnections = settings.maxConnections;
      server.setTimeout(SOCKET_IDLE_MS, (socket: Socket) => socket.destroy());
      server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
        const code = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
        count('other', code);
        if (socket.writable && !socket.destroyed) socket.end(`HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        else socket.destroy();
      });
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        const failed = (err: NodeJS.ErrnoException) => reject(new BindError(at, addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`, err, 'http'));
        server.once('error', failed);
        server.listen(addr.port, addr.host, () => {
          server.off('error', failed);
          resolve();
        });
      });
      server.on('error', (err) => log.error({ err: err.message }, 'HTTP listener error'));
      const a = server.address() as AddressInfo;
      urls.push(`${settings.tls ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/`);
    }
  } catch (err) {
    // the others bound so far are closed, or they keep the process alive
    await stop();
    throw err;
  }
  if (settings.auth === undefined && settings.listen.some((l) => !isLoopback(l.host))) {
    log.warn({ listen: urls }, 'HTTP listener open to the network without authentication (http.auth)');
  }
  if (settings.auth?.kinds.includes('basic') && !settings.tls && settings.listen.some((l) => !isLoopback(l.host))) {
    log.warn({ listen: urls }, 'basic authentication without TLS: passwords cross the network in clear (http.tls)');
  }
  log.info({ urls }, 'HTTP listening');
  return { urls, history, stop };
}

const NO_STORE = { 'Cache-Control': 'no-store' };

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  // everything the page loads is ours; nothing inline but uPlot's element styles
  'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1';
}
