// A line-oriented TCP connection for our own SMTP and POP3 clients: connect (plain or
// implicit TLS), read CRLF lines, write commands, upgrade with STARTTLS. Every wait is
// bounded by the check's Deadline; on timeout or error the socket is destroyed.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Endpoint } from './config.js';
import { Deadline } from './phases.js';

export function tlsOptions(ep: Endpoint): tls.ConnectionOptions {
  const o: tls.ConnectionOptions = { rejectUnauthorized: ep.tlsVerify };
  if (!net.isIP(ep.host)) o.servername = ep.host;
  if (ep.caFile) o.ca = readFileSync(ep.caFile);
  return o;
}

/** Node's certificate errors say what failed but not that it was TLS. */
export function tlsError(err: Error): Error {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ERR_TLS|ERR_SSL|EPROTO/.test(code)) {
    return Object.assign(new Error(`TLS: ${err.message}`), { code });
  }
  return err;
}

export class LineConnection {
  private buf = '';
  private lines: string[] = [];
  private waiter?: { resolve: (l: string) => void; reject: (e: Error) => void };
  private failure?: Error;
  private onData = (chunk: Buffer) => this.take(chunk.toString('latin1'));
  private onError = (err: Error) => this.fail(err);
  private onClose = () => this.fail(new Error('connection closed by the server'));

  private constructor(
    private sock: net.Socket,
    private readonly deadline: Deadline,
  ) {
    this.attach(sock);
  }

  /** Connects; with implicit TLS, the handshake is part of connecting. */
  static open(ep: Endpoint, deadline: Deadline): Promise<LineConnection> {
    const implicit = ep.tls === 'implicit';
    let sock: net.Socket | undefined;
    const p = new Promise<LineConnection>((resolve, reject) => {
      const s = implicit
        ? tls.connect({ host: ep.host, port: ep.port, ...tlsOptions(ep) })
        : net.connect({ host: ep.host, port: ep.port });
      sock = s;
      const fail = (err: Error) => {
        s.destroy();
        reject(tlsError(err));
      };
      // `on`, not `once`: a second 'error' without a listener would crash the agent
      s.on('error', fail);
      s.once(implicit ? 'secureConnect' : 'connect', () => {
        s.off('error', fail);
        resolve(new LineConnection(s, deadline));
      });
    });
    return deadline.race(p, implicit ? 'to connect and the TLS handshake' : 'to connect', () => sock?.destroy());
  }

  private attach(sock: net.Socket): void {
    sock.on('data', this.onData);
    sock.on('error', this.onError);
    sock.on('close', this.onClose);
  }

  private detach(): void {
    this.sock.off('data', this.onData);
    this.sock.off('error', this.onError);
    this.sock.off('close', this.onClose);
  }

  private take(text: string): void {
    this.buf += text;
    for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
      this.lines.push(this.buf.slice(0, nl).replace(/\r$/, ''));
      this.buf = this.buf.slice(nl + 1);
    }
    // a server that never ends its line is not allowed to fill our memory
    if (this.buf.length > 65536) this.fail(new Error('line longer than 64 KiB'));
    this.wake();
  }

  private fail(err: Error): void {
    this.failure ??= tlsError(err);
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    if (this.lines.length) {
      this.waiter = undefined;
      w.resolve(this.lines.shift()!);
    } else if (this.failure) {
      this.waiter = undefined;
      w.reject(this.failure);
    }
  }

  readLine(what: string): Promise<string> {
    const p = new Promise<string>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.wake();
    });
    return this.deadline.race(p, what, () => this.close());
  }

  write(line: string): void {
    if (!this.sock.destroyed) this.sock.write(`${line}\r\n`);
  }

  /** Writes raw text (a message body, already dot-stuffed and CRLF-terminated). */
  writeRaw(text: string): void {
    if (!this.sock.destroyed) this.sock.write(text);
  }

  /** Replaces the socket by a TLS one over it (after the server agreed to STARTTLS). */
  startTls(ep: Endpoint): Promise<void> {
    this.detach();
    // the TLS socket reports failures; the plain one under it must not throw unheard
    this.sock.on('error', () => {});
    const p = new Promise<void>((resolve, reject) => {
      const secure = tls.connect({ socket: this.sock, ...tlsOptions(ep) });
      const fail = (err: Error) => {
        secure.destroy();
        reject(tlsError(err));
      };
      secure.on('error', fail);
      secure.once('secureConnect', () => {
        secure.off('error', fail);
        this.sock = secure;
        this.attach(secure);
        resolve();
      });
      this.sock = secure;
    });
    return this.deadline.race(p, 'to the TLS handshake', () => this.close());
  }

  get encrypted(): boolean {
    return this.sock instanceof tls.TLSSocket;
  }

  close(): void {
    this.sock.destroy();
  }
}
