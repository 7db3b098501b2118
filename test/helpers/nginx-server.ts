// A real nginx (Debian package nginx) as a private instance on a free loopback port, in a
// temporary directory, for the webmail source's tests: `location = /nginx_status` serves
// stub_status and `/` answers 200. Started in the foreground (`-g 'daemon off;'`, `-p DIR`: pid, logs and
// temp paths under DIR, nothing from /etc/nginx), its output in a file; stop() (idempotent,
// also from a process 'exit' handler) sends SIGQUIT and waits for the master to exit.
// Running as root, its worker runs as nobody.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freeTcpPort } from './ports.js';

export const NGINX = '/usr/sbin/nginx';

export interface NginxServer {
  dir: string;
  port: number;
  /** http://127.0.0.1:PORT/nginx_status */
  statusUrl: string;
  /** http://127.0.0.1:PORT */
  url: string;
  /** the master's pid */
  pid(): number;
  /** stops nginx (SIGQUIT) and starts it again on the same port: its counters start over */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function conf(dir: string, port: number): string {
  return `# written by test/helpers/nginx-server.ts
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    location = /nginx_status { stub_status; }
    location / { default_type text/plain; return 200 "ok\\n"; }
  }
}
`;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startNginx(): Promise<NginxServer> {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} missing: run scripts/test-deps.sh (as root)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-nginx-'));
  mkdirSync(path.join(dir, 'tmp'));
  const port = await freeTcpPort();
  const file = path.join(dir, 'nginx.conf');
  writeFileSync(file, conf(dir, port));
  let child: ChildProcess | undefined;
  const out = path.join(dir, 'nginx.out');

  const start = async () => {
    const fd = openSync(out, 'a');
    child = spawn(NGINX, ['-p', dir, '-c', file, '-g', 'daemon off;'], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    for (const deadline = Date.now() + 20000; !(await accepts(port)); await sleep(50)) {
      if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${readFileSync(out, 'utf8')}${readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
      if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}: ${readFileSync(out, 'utf8')}`);
    }
  };
  const halt = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGQUIT');
    const timer = setTimeout(() => c.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  };
  const onExit = () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  await start();
  let stopped: Promise<void> | undefined;
  return {
    dir,
    port,
    url: `http://127.0.0.1:${port}`,
    statusUrl: `http://127.0.0.1:${port}/nginx_status`,
    pid: () => child?.pid ?? 0,
    async restart() {
      await halt();
      await start();
    },
    stop: () =>
      (stopped ??= (async () => {
        process.removeListener('exit', onExit);
        await halt();
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}
