// The HTTP listener as a client meets it: routes, HEAD, gzip, basic and bearer
// authentication, TLS with a real certificate, and the limits that keep a slow or
// hostile client from holding the agent: oversized headers (431), bodies (413), other
// methods (405), a client that never finishes its headers (closed after requestTimeout),
// the connection cap; SNMP is answered all the while.

import { expect } from 'chai';
import https from 'node:https';
import net from 'node:net';
import { gunzipSync } from 'node:zlib';
import { defaultHttpSettings, type HttpSettings } from '../../src/config/http.js';
import { snmp, startTestAgent, type TestAgent } from '../helpers/harness.js';
import { selfSigned, until } from '../helpers/probe-support.js';

const USER = 'prom';
const PASS = 'scrape pass phrase';
const TOKEN = '0123456789abcdef0123';

/** One raw HTTP exchange: writes `request`, returns what the server sent until it closed (or `ms`). */
function raw(port: number, request: string | Buffer, ms = 15_000): Promise<{ text: string; closed: boolean; after: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const chunks: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    const done = (closed: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed, after: Date.now() - t0 });
    };
    const timer = setTimeout(() => done(false), ms);
    s.on('data', (d) => chunks.push(d));
    s.on('close', () => done(true));
    s.on('error', () => done(true));
  });
}

describe('HTTP listener (e2e)', function () {
  this.timeout(60_000);
  let agent: TestAgent;
  let port: number;
  const base = () => `http://127.0.0.1:${port}`;

  before(async () => {
    const http: HttpSettings = {
      ...defaultHttpSettings([{ host: '127.0.0.1', port: 0 }]),
      auth: { kinds: ['basic', 'bearer'], users: new Map([[USER, PASS]]), tokens: [TOKEN] },
      maxConnections: 20,
      requestTimeoutMs: 1500,
    };
    agent = await startTestAgent({ settings: { demo: true, http } });
    port = Number(new URL(agent.agent.http!.urls[0]!).port);
  });
  after(() => agent.stop());

  const basic = { Authorization: `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}` };

  it('asks for credentials (both schemes) and takes a right password or token only', async () => {
    let r = await fetch(`${base()}/metrics`);
    expect(r.status).to.equal(401);
    expect(r.headers.get('www-authenticate')).to.equal('Basic realm="madman", charset="UTF-8", Bearer realm="madman"');
    r = await fetch(`${base()}/metrics`, { headers: { Authorization: `Basic ${Buffer.from(`${USER}:wrong pass phrase`).toString('base64')}` } });
    expect(r.status).to.equal(401);
    r = await fetch(`${base()}/metrics`, { headers: { Authorization: `Basic ${Buffer.from(`nobody:${PASS}`).toString('base64')}` } });
    expect(r.status).to.equal(401);
    r = await fetch(`${base()}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}x` } });
    expect(r.status).to.equal(401);
    r = await fetch(`${base()}/metrics`, { headers: basic });
    expect(r.status).to.equal(200);
    expect(await r.text()).to.match(/^madman_mta_received_messages_total\{mta="demo MTA on [^"]+"\} \d+$/m);
    r = await fetch(`${base()}/api/status`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(r.status).to.equal(200);
    expect(((await r.json()) as { mtas: unknown[] }).mtas).to.have.length(1);
  });

  it('serves the page, its assets, /healthz, HEAD without a body, 404 elsewhere', async () => {
    for (const [path, type] of [
      ['/', 'text/html; charset=utf-8'],
      ['/assets/status.js', 'text/javascript; charset=utf-8'],
      ['/assets/uPlot.min.js', 'text/javascript; charset=utf-8'],
      ['/assets/uPlot.min.css', 'text/css; charset=utf-8'],
      ['/healthz', 'text/plain'],
    ] as const) {
      const r = await fetch(`${base()}${path}`, { headers: basic });
      expect([path, r.status, r.headers.get('content-type')]).to.deep.equal([path, 200, type]);
      expect(r.headers.get('content-security-policy')).to.match(/^default-src 'self'/);
    }
    const head = await raw(port, `HEAD /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic.Authorization}\r\nConnection: close\r\n\r\n`);
    expect(head.text).to.match(/^HTTP\/1\.1 200 OK\r\n/);
    const length = Number(/Content-Length: (\d+)/i.exec(head.text)![1]);
    expect(length).to.be.greaterThan(1000);
    expect(head.text.endsWith('\r\n\r\n'), 'no body after the headers').to.equal(true);
    expect((await fetch(`${base()}/nothing`, { headers: basic })).status).to.equal(404);
  });

  it('compresses /metrics for a scraper that takes gzip', async () => {
    const got = await new Promise<{ enc?: string; body: Buffer }>((resolve, reject) => {
      const req = net.connect(port, '127.0.0.1', () =>
        req.write(`GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nAuthorization: ${basic.Authorization}\r\nConnection: close\r\n\r\n`),
      );
      const chunks: Buffer[] = [];
      req.on('data', (d) => chunks.push(d));
      req.on('error', reject);
      req.on('close', () => {
        const all = Buffer.concat(chunks);
        const end = all.indexOf('\r\n\r\n');
        const head = all.subarray(0, end).toString();
        resolve({ enc: /content-encoding: (\S+)/i.exec(head)?.[1], body: all.subarray(end + 4) });
      });
    });
    expect(got.enc).to.equal('gzip');
    const plain = await (await fetch(`${base()}/metrics`, { headers: { ...basic, 'Accept-Encoding': 'identity' } })).text();
    const text = gunzipSync(got.body).toString();
    // the same families in the same order (the values may have moved in between)
    const names = (t: string) => t.split('\n').filter((l) => l.startsWith('# TYPE'));
    expect(names(text)).to.deep.equal(names(plain));
  });

  it('refuses other methods (405), bodies (413) and headers over 8 KiB (431), and closes', async () => {
    let r = await raw(port, 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
    expect(r.text).to.match(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(r.text).to.match(/\r\nAllow: GET, HEAD\r\n/);
    expect(r.closed).to.equal(true);
    r = await raw(port, `GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\nAuthorization: ${basic.Authorization}\r\n\r\nabc`);
    expect(r.text).to.match(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(r.closed).to.equal(true);
    r = await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`);
    expect(r.text).to.match(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(r.closed).to.equal(true);
  });

  it('closes a client that never finishes its headers, and answers SNMP meanwhile', async () => {
    // a slowloris: half a request line, then nothing
    const slow = raw(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n');
    const get = await snmp('snmpget', [agent.target, '1.3.6.1.2.1.1.3.0']);
    expect(get.code, get.stderr).to.equal(0);
    const r = await slow;
    expect(r.closed, 'closed by the server').to.equal(true);
    expect(r.text).to.match(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    // requestTimeout 1.5 s, checked every second; well before the test's 15 s
    expect(r.after).to.be.below(10_000);
  });

  it('caps open connections: over maxConnections a client is dropped; SNMP still answers', async () => {
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => {});
        await new Promise<void>((r) => s.once('connect', () => r()));
        held.push(s);
      }
      await until('the server to count 20 connections', async () => (await raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 2000)).closed);
      const extra = await raw(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic.Authorization}\r\n\r\n`);
      expect(extra.text).to.equal('');
      expect(extra.closed).to.equal(true);
      const get = await snmp('snmpget', [agent.target, '1.3.6.1.2.1.1.3.0']);
      expect(get.code, get.stderr).to.equal(0);
    } finally {
      for (const s of held) s.destroy();
    }
    await until('a connection to be taken again', async () => (await fetch(`${base()}/healthz`, { headers: basic }).catch(() => undefined))?.status === 200);
  });
});

describe('HTTPS listener (e2e)', function () {
  this.timeout(30_000);
  let agent: TestAgent;
  let cert: ReturnType<typeof selfSigned>;
  before(async () => {
    cert = selfSigned();
    const http: HttpSettings = { ...defaultHttpSettings([{ host: '127.0.0.1', port: 0 }]), tls: { cert: Buffer.from(cert.cert), key: Buffer.from(cert.key) } };
    agent = await startTestAgent({ settings: { demo: true, http } });
  });
  after(async () => {
    await agent.stop();
    cert.remove();
  });

  it('serves /metrics over TLS with the configured certificate', async () => {
    const url = agent.agent.http!.urls[0]!;
    expect(url).to.match(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`${url}metrics`, { ca: cert.cert }, (res) => {
          expect(res.socket && (res.socket as import('node:tls').TLSSocket).getPeerCertificate().subject.CN).to.equal('localhost');
          let b = '';
          res.on('data', (d: Buffer) => (b += d.toString()));
          res.on('end', () => resolve(b));
        })
        .on('error', reject);
    });
    expect(body).to.match(/^madman_agent_info\{version="\d+\.\d+\.\d+"\} 1$/m);
    // plain HTTP on the TLS port is not answered as HTTP
    const port = Number(new URL(url).port);
    const r = await raw(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n', 5000);
    expect(r.text).to.not.match(/^HTTP\/1\.1 200/);
  });
});
