// The web server's own connection figures, read over HTTP: nginx's stub_status
// (ngx_http_stub_status_module) or Apache's mod_status in its machine form (`?auto`).
//
//   nginx:   Active connections: 3
//            server accepts handled requests
//             1204 1204 5210
//            Reading: 0 Writing: 1 Waiting: 2
//   Apache:  ServerUptimeSeconds: 86400 ... Total Accesses: 5210 ... BusyWorkers: 2
//            IdleWorkers: 48 ... ConnsTotal: 3 (event MPM only)
//
// Both count since the server started; the reader (stats.ts) turns them into running totals
// that survive the server's restarts.

import http from 'node:http';
import https from 'node:https';

/** One reading. Totals count since the server started; undefined when the server does not say. */
export interface ServerStatus {
  kind: 'nginx' | 'apache';
  /** connections open now, the reading's own included */
  active: number;
  /** connections accepted since the server started (Apache: requests, which is what it counts) */
  accepted: number;
  /** connections accepted and then dropped for lack of resources (nginx: accepts - handled) */
  dropped?: number;
  /** seconds since the server started (Apache's ServerUptimeSeconds) */
  uptime?: number;
}

/** The page is neither nginx's stub_status nor Apache's mod_status in its ?auto form. */
export class StatusFormatError extends Error {}

/** A stub_status or mod_status (?auto) page as figures; throws StatusFormatError on anything else. */
export function parseServerStatus(body: string): ServerStatus {
  const nginx = /^Active connections:\s*(\d+)\s*\nserver accepts handled requests\s*\n\s*(\d+)\s+(\d+)\s+(\d+)/m.exec(body);
  if (nginx) {
    const accepted = Number(nginx[2]);
    return { kind: 'nginx', active: Number(nginx[1]), accepted, dropped: Math.max(0, accepted - Number(nginx[3])) };
  }
  const fields = new Map<string, string>();
  for (const line of body.split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0) fields.set(line.slice(0, i).trim(), line.slice(i + 2).trim());
  }
  const num = (k: string) => (fields.has(k) && /^\d+$/.test(fields.get(k)!) ? Number(fields.get(k)) : undefined);
  const accesses = num('Total Accesses');
  const busy = num('ConnsTotal') ?? num('BusyWorkers');
  if (accesses !== undefined && busy !== undefined) {
    return { kind: 'apache', active: busy, accepted: accesses, uptime: num('ServerUptimeSeconds') ?? num('Uptime') };
  }
  throw new StatusFormatError(`not an nginx stub_status or Apache mod_status (?auto) page: ${JSON.stringify(body.slice(0, 60))}`);
}

/** GETs the status page (a fresh connection, bounded by `timeoutMs`) and parses it. */
export function fetchServerStatus(url: string, timeoutMs: number): Promise<ServerStatus> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const get = u.protocol === 'https:' ? https.get : http.get;
    const req = get(u, { agent: false, timeout: timeoutMs, headers: { Connection: 'close', 'User-Agent': 'madman' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 65536) body += d;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
        try {
          resolve(parseServerStatus(body));
        } catch (err) {
          reject(new Error(`${url}: ${(err as Error).message}`));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (err) => reject(err.message.startsWith(url) ? err : new Error(`${url}: ${err.message}`)));
  });
}
