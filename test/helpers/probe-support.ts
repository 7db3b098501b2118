// Shared bits of the probe tests: servers that misbehave on purpose (a port that accepts
// and never answers, an SMTP server that greets late), a self-signed certificate made by
// openssl, snmpwalk output as rows, and polling.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { ProbeSpec } from '../../src/sources/probes/config.js';
import { MIB_OPTS, snmp } from './harness.js';

export interface TestServer {
  port: number;
  close(): Promise<void>;
}

/** Accepts connections and never says a word (a hung service). */
export async function startSilentServer(): Promise<TestServer> {
  return listen(() => {});
}

/** An SMTP server that greets after `delayMs` and then answers EHLO and QUIT. */
export async function startSlowSmtp(delayMs: number): Promise<TestServer> {
  return listen((sock) => {
    const t = setTimeout(() => sock.write('220 slow.test ESMTP slow 1.0\r\n'), delayMs);
    sock.on('close', () => clearTimeout(t));
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const verb = buf.slice(0, 4).toUpperCase();
        buf = buf.slice(nl + 1);
        if (verb === 'EHLO') sock.write('250 slow.test\r\n');
        else if (verb === 'QUIT') sock.end('221 2.0.0 Bye\r\n');
        else sock.write('502 5.5.2 not here\r\n');
      }
    });
  });
}

/** A TCP server that does what `onConn` does with each connection (faults real servers do not show). */
export async function listen(onConn: (sock: net.Socket) => void): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    onConn(sock);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A self-signed certificate for 127.0.0.1/localhost, made by `openssl req`. */
export function selfSigned(): { cert: string; key: string; certFile: string; dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-cert-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return {
    cert: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
    certFile,
    dir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A probe spec with test defaults. */
export function spec(p: Partial<ProbeSpec> & Pick<ProbeSpec, 'protocol' | 'port'>): ProbeSpec {
  return { name: 't', host: '127.0.0.1', tls: 'none', tlsVerify: true, timeout: 5, interval: 60, ...p };
}

export type Row = Record<string, string>;

/** snmpwalk with the MIBs, -OsQUt, as rows: index -> column name -> value. */
export async function walkRows(target: string, oid: string): Promise<Map<string, Row>> {
  const r = await snmp('snmpwalk', [...MIB_OPTS, '-OsQUt', target, oid]);
  expect(r.code, `snmpwalk ${oid}: ${r.stderr}`).to.equal(0);
  const out = new Map<string, Row>();
  for (const m of r.stdout.matchAll(/^(\S+) = (.*)$/gm)) {
    if (/^No Such (Object|Instance)/.test(m[2]!)) continue;
    const k = m[1]!;
    const dot = k.indexOf('.');
    const idx = k.slice(dot + 1);
    if (!out.has(idx)) out.set(idx, {});
    out.get(idx)![k.slice(0, dot)] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `f` until it returns true; fails naming `what` after timeoutMs. */
export async function until(what: string, f: () => boolean | Promise<boolean>, timeoutMs = 15000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    if (await f()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Waits until a row of `table` at `target` has every column of `want` (walking it with
 * snmpwalk) and returns it; the error shows the table as last walked, then `context()`
 * (e.g. the agent's log).
 */
export async function waitForRow(target: string, table: string, want: Row, opts: { timeoutMs?: number; context?: () => string } = {}): Promise<Row> {
  let rows = new Map<string, Row>();
  const match = () => [...rows.values()].find((r) => Object.entries(want).every(([k, v]) => r[k] === v));
  try {
    await until(`${table} ${JSON.stringify(want)}`, async () => {
      rows = await walkRows(target, table);
      return match() !== undefined;
    }, opts.timeoutMs ?? 60000);
  } catch (err) {
    throw new Error(`${(err as Error).message}; the agent shows ${JSON.stringify([...rows.values()])}${opts.context ? `\n${opts.context()}` : ''}`);
  }
  return match()!;
}
