// A real Prometheus server (Debian's prometheus package) for tests: its own config,
// data directory and loopback port in a temporary directory, scraping the targets given
// every `scrapeSeconds`; queried through its HTTP API.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeTcpPort } from './ports.js';

export interface PrometheusServer {
  url: string;
  /** an instant query; the result vector as labels and value */
  query(q: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  /** the scrape targets' health ("up", "down", "unknown") and last error */
  targets(): Promise<Array<{ health: string; lastError: string; scrapeUrl: string }>>;
  stop(): Promise<void>;
  /** what the server wrote on stderr (for a failing test's message) */
  output(): string;
}

export interface PrometheusOptions {
  /** host:port of the agents' HTTP listeners */
  targets: string[];
  scrapeSeconds?: number;
  basicAuth?: { user: string; password: string };
}

export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-prometheus-'));
  const port = await freeTcpPort();
  const every = `${opts.scrapeSeconds ?? 1}s`;
  const auth = opts.basicAuth;
  if (auth) writeFileSync(path.join(dir, 'password'), auth.password, { mode: 0o600 });
  const config = [
    'global:',
    `  scrape_interval: ${every}`,
    `  evaluation_interval: ${every}`,
    'scrape_configs:',
    '  - job_name: madman',
    `    scrape_timeout: ${every}`,
    ...(auth ? ['    basic_auth:', `      username: ${auth.user}`, `      password_file: ${path.join(dir, 'password')}`] : []),
    '    static_configs:',
    `      - targets: [${opts.targets.map((t) => `"${t}"`).join(', ')}]`,
  ].join('\n');
  writeFileSync(path.join(dir, 'prometheus.yml'), `${config}\n`);
  let stderr = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // ready once its API answers (the TSDB opened); generous for a loaded machine
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
    }
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async query(q) {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await r.json()) as { status: string; error?: string; data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`query ${q}: ${body.error}`);
      return body.data.result.map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
    },
    async targets() {
      const r = await fetch(`${url}/api/v1/targets`);
      const body = (await r.json()) as { data: { activeTargets: Array<{ health: string; lastError: string; scrapeUrl: string }> } };
      return body.data.activeTargets;
    },
    stop,
    output: () => stderr,
  };
}
