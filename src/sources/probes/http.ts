// HTTP(S) probe with node's http/https: phases connect, tls, first byte (TTFB, from the
// request being sent) and body; the status code decides (2xx and 3xx are up, as
// check_http by default; 4xx and 5xx are failures with the status line as the reason).

import http from 'node:http';
import https from 'node:https';
import type { ProbeSpec } from './config.js';
import { tlsError, tlsOptions } from './conn.js';
import { Deadline, PhaseClock, versionFrom, type ProbeOutcome } from './phases.js';

export async function probeHttp(spec: ProbeSpec): Promise<ProbeOutcome> {
  const clock = new PhaseClock();
  const deadline = new Deadline(spec.timeout * 1000);
  const url = new URL(spec.url ?? `http://${spec.host}:${spec.port}/`);
  const secure = url.protocol === 'https:';
  let req: http.ClientRequest | undefined;
  try {
    const res = await deadline.race(
      new Promise<{ status: number; text: string; server: string; bytes: number }>((resolve, reject) => {
        const t0 = performance.now();
        let mark = t0;
        const lap = (name: string) => {
          const now = performance.now();
          clock.phases.push({ name, ms: now - mark });
          mark = now;
        };
        clock.current = 'connect';
        const opts: https.RequestOptions = { method: 'GET', headers: { 'user-agent': 'madman-probe', connection: 'close' }, agent: false };
        if (secure) Object.assign(opts, tlsOptions({ ...spec, host: url.hostname }));
        req = (secure ? https : http).request(url, opts);
        req.on('socket', (sock) => {
          sock.once('connect', () => {
            lap('connect');
            clock.current = secure ? 'tls' : 'first byte';
          });
          sock.once('secureConnect', () => {
            lap('tls');
            clock.current = 'first byte';
          });
        });
        req.on('error', (e) => reject(tlsError(e)));
        req.on('response', (r) => {
          lap('first byte');
          clock.current = 'body';
          let bytes = 0;
          r.on('data', (b: Buffer) => (bytes += b.length));
          r.on('error', reject);
          r.on('end', () => {
            lap('body');
            resolve({ status: r.statusCode ?? 0, text: r.statusMessage ?? '', server: String(r.headers.server ?? ''), bytes });
          });
        });
        req.end();
      }),
      'to the request',
      () => req?.destroy(),
    );
    const line = `HTTP ${res.status}${res.text ? ` ${res.text}` : ''}`;
    const version = res.server ? versionFrom(res.server) : undefined;
    if (res.status >= 400) {
      clock.current = 'status';
      return clock.failed(new Error(line), { version });
    }
    return clock.ok({ detail: `${line}, ${res.bytes} octets`, version });
  } catch (err) {
    req?.destroy();
    return clock.failed(err);
  }
}
