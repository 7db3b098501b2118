// An AgentX session with a master agent (RFC 2741): connect, Open, Register our
// subtrees, answer the master's requests, ping it, and start over with backoff
// whenever the socket breaks, the master closes the session or stops answering.
// Nothing the master sends can throw out of here: bad PDUs are counted and answered
// parseError, or, when they cannot even be framed, the session is closed and reopened.

import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Logger } from '../../log.js';
import { formatOid } from '../oid.js';
import { closePdu, decodeClose, decodeRequest, decodeResponse, openPdu, pingPdu, registerPdu, responsePdu, type Ids, type ResponseBody } from './messages.js';
import { Framer } from './framer.js';
import { AgentxError, AgentxParseError, CloseReason, PduType, type Header } from './pdu.js';
import type { Responder } from './responder.js';

export type MasterAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export const DEFAULT_MASTER = '/var/agentx/master';

/** unix:PATH, tcp:HOST:PORT (IPv6 in brackets), or a bare absolute path, as Net-SNMP's agentXSocket. */
export function parseMasterAddress(text: string): MasterAddress {
  const t = text.trim();
  if (t.startsWith('unix:') && t.length > 5) return { kind: 'unix', path: t.slice(5) };
  if (t.startsWith('/')) return { kind: 'unix', path: t };
  const m = /^tcp:(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(t);
  if (m && Number(m[3]) > 0 && Number(m[3]) < 65536) return { kind: 'tcp', host: m[1] ?? m[2]!, port: Number(m[3]) };
  throw new Error(`"${text}" is not an AgentX master address (unix:PATH or tcp:HOST:PORT)`);
}

export function formatMasterAddress(a: MasterAddress): string {
  return a.kind === 'unix' ? `unix:${a.path}` : `tcp:${a.host}:${a.port}`;
}

export interface Subtree {
  name: string;
  oid: readonly number[];
}

export interface SessionOptions {
  address: MasterAddress;
  responder: Responder;
  subtrees: Subtree[];
  /** Open-PDU id and description */
  id: readonly number[];
  description: string;
  uptime: () => number;
  log: Logger;
  /** our requests (Open, Register, Ping, Notify) fail after this long; the session is then restarted */
  requestTimeoutMs?: number;
  pingIntervalMs?: number;
  /** first and largest wait before reconnecting; doubles in between */
  backoffMs?: { min: number; max: number };
  /** the Open-PDU's timeout for the master (seconds; 0: the master's default) */
  masterTimeoutS?: number;
}

export interface SessionStats {
  connects: number;
  /** PDUs answered parseError, and streams that could not be framed */
  parseErrors: number;
  refusedRegistrations: number;
  requests: number;
  pingFailures: number;
}

interface Pending {
  resolve(r: ResponseBody): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Emits 'open', 'registered' (subtree name), 'ready' (all subtrees registered) and 'down' (reason). */
export class AgentxSession extends EventEmitter {
  readonly stats: SessionStats = { connects: 0, parseErrors: 0, refusedRegistrations: 0, requests: 0, pingFailures: 0 };
  private sock: net.Socket | undefined;
  private framer = new Framer();
  private sessionId = 0;
  private nextPacket = 1;
  private pending = new Map<number, Pending>();
  private timers = new Set<NodeJS.Timeout>();
  private pingTimer: NodeJS.Timeout | undefined;
  private backoff: number;
  private stopped = false;
  private generation = 0;
  private registered = new Set<string>();
  private open = false;
  private readonly timeoutMs: number;
  private readonly backoffMs: { min: number; max: number };

  constructor(private readonly o: SessionOptions) {
    super();
    this.timeoutMs = o.requestTimeoutMs ?? 5000;
    this.backoffMs = o.backoffMs ?? { min: 200, max: 5000 };
    this.backoff = this.backoffMs.min;
  }

  /** True once the session is open and every subtree is registered. */
  get ready(): boolean {
    return this.open && this.registered.size === this.o.subtrees.length;
  }

  get isOpen(): boolean {
    return this.open;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const s = this.sock;
    if (s && this.open && s.writable) {
      // Say goodbye (the master drops our registrations at once), but never wait long for it.
      const pdu = closePdu(this.ids(), CloseReason.shutdown);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 1000);
        s.end(pdu, () => {
          clearTimeout(t);
          r();
        });
      });
    }
    this.teardown('stopped');
  }

  /**
   * Sends a PDU built by `build` once the session is open; rejects on timeout or a broken
   * session. An error of `build` itself is thrown at once (it is the caller's, not the session's).
   */
  request(build: (ids: Ids) => Buffer): Promise<ResponseBody> {
    const s = this.sock;
    if (!s || !this.open) return Promise.reject(new Error('AgentX session not open'));
    return this.send(s, build);
  }

  private ids(): Ids {
    return { sessionId: this.sessionId, transactionId: this.nextPacket, packetId: this.nextPacket++ };
  }

  private send(s: net.Socket, build: (ids: Ids) => Buffer): Promise<ResponseBody> {
    const ids = this.ids();
    const pdu = build(ids);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ids.packetId);
        reject(new Error(`no answer from the master within ${this.timeoutMs} ms`));
        this.restart('master does not answer');
      }, this.timeoutMs);
      this.pending.set(ids.packetId, { resolve, reject, timer });
      s.write(pdu);
    });
  }

  private later(ms: number, f: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      f();
    }, ms);
    this.timers.add(t);
  }

  private connect(): void {
    if (this.stopped) return;
    const gen = ++this.generation;
    const a = this.o.address;
    const s = a.kind === 'unix' ? net.createConnection({ path: a.path }) : net.createConnection({ host: a.host, port: a.port });
    this.sock = s;
    this.framer.reset();
    s.on('error', (err) => {
      if (gen === this.generation) this.restart(`socket: ${err.message}`);
    });
    s.on('close', () => {
      if (gen === this.generation) this.restart('the master closed the connection');
    });
    s.on('data', (chunk: Buffer) => {
      if (gen === this.generation) this.onData(s, chunk);
    });
    s.on('connect', () => {
      if (a.kind === 'tcp') s.setNoDelay(true);
      this.stats.connects++;
      void this.openSession(s, gen);
    });
  }

  private async openSession(s: net.Socket, gen: number): Promise<void> {
    const { log } = this.o;
    this.sessionId = 0;
    let r: ResponseBody;
    try {
      r = await this.send(s, (ids) => openPdu(ids, this.o.masterTimeoutS ?? 0, this.o.id, this.o.description));
    } catch {
      return; // timed out: already restarting
    }
    if (gen !== this.generation) return;
    if (r.error !== AgentxError.noError) {
      this.restart(`the master refused to open a session (error ${r.error})`);
      return;
    }
    this.open = true;
    log.info({ master: formatMasterAddress(this.o.address), session: this.sessionId }, 'AgentX session open');
    for (const t of this.o.subtrees) void this.register(t, gen, this.backoffMs.min);
    this.emit('open');
    this.pingTimer = setInterval(() => void this.ping(gen), this.o.pingIntervalMs ?? 15000);
  }

  private async register(t: Subtree, gen: number, retryMs: number): Promise<void> {
    if (gen !== this.generation || this.stopped || !this.sock) return;
    let r: ResponseBody;
    try {
      r = await this.send(this.sock, (ids) => registerPdu(ids, t.oid));
    } catch {
      return;
    }
    if (gen !== this.generation) return;
    if (r.error !== AgentxError.noError) {
      this.stats.refusedRegistrations++;
      this.o.log.warn({ subtree: t.name, oid: formatOid(t.oid), error: r.error, retryMs }, 'AgentX registration refused; will retry');
      this.later(retryMs, () => void this.register(t, gen, Math.min(retryMs * 2, this.backoffMs.max)));
      return;
    }
    this.registered.add(t.name);
    this.emit('registered', t.name);
    if (this.ready) {
      this.backoff = this.backoffMs.min;
      this.o.log.info({ subtrees: this.o.subtrees.map((x) => x.name) }, 'AgentX subtrees registered');
      this.emit('ready');
    }
  }

  private async ping(gen: number): Promise<void> {
    if (gen !== this.generation || !this.sock || !this.open) return;
    try {
      const r = await this.send(this.sock, (ids) => pingPdu(ids));
      if (r.error !== AgentxError.noError && gen === this.generation) this.restart(`ping answered error ${r.error}`);
    } catch {
      this.stats.pingFailures++;
    }
  }

  /** Drops the connection and reconnects after the current backoff. */
  private restart(reason: string): void {
    if (!this.sock) return;
    const wasOpen = this.open;
    this.teardown(reason);
    if (this.stopped) return;
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.backoffMs.max);
    // One warning when a working session goes; retries of a master that is not there are debug.
    if (wasOpen) this.o.log.warn({ reason, retryMs: wait }, 'AgentX session lost; reconnecting');
    else this.o.log.debug({ reason, retryMs: wait }, 'AgentX master not reachable; retrying');
    this.later(wait, () => this.connect());
  }

  private teardown(reason: string): void {
    this.generation++;
    const s = this.sock;
    this.sock = undefined;
    s?.destroy();
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    const pend = [...this.pending.values()];
    this.pending.clear();
    for (const p of pend) {
      clearTimeout(p.timer);
      p.reject(new Error(`session ended: ${reason}`));
    }
    const was = this.open;
    this.open = false;
    this.registered.clear();
    if (was) this.emit('down', reason);
  }

  private onData(s: net.Socket, chunk: Buffer): void {
    try {
      this.framer.push(chunk, (h, buf) => this.onPdu(s, h, buf));
    } catch (err) {
      if (!(err instanceof AgentxParseError)) {
        // A bug of ours, not the master's input: say so, and start afresh rather than crash.
        this.o.log.error({ err: err instanceof Error ? err.stack : String(err) }, 'internal error answering the AgentX master');
        this.restart('internal error');
        return;
      }
      // The stream cannot be framed any more: nothing after this point can be trusted.
      this.stats.parseErrors++;
      this.o.log.warn({ err: err.message }, 'AgentX stream cannot be parsed; closing the session');
      if (s.writable) s.write(closePdu({ sessionId: this.sessionId, transactionId: 0, packetId: 0 }, CloseReason.parseError));
      this.restart('unparsable stream');
    }
  }

  private onPdu(s: net.Socket, h: Header, buf: Buffer): void {
    const ids: Ids = { sessionId: h.sessionId, transactionId: h.transactionId, packetId: h.packetId };
    const reply = (error: number, index = 0) => s.write(responsePdu(ids, this.o.uptime(), error, index));
    try {
      switch (h.type) {
        case PduType.Response: {
          const p = this.pending.get(h.packetId);
          if (!p) return; // late, after a timeout
          let body: ResponseBody;
          try {
            body = decodeResponse(h, buf);
          } catch (err) {
            if (!(err instanceof AgentxParseError)) throw err;
            // A reply we cannot read leaves our request unanswered for good: start over
            // (teardown rejects it and every other pending request).
            this.stats.parseErrors++;
            this.o.log.warn({ packetId: h.packetId, err: err.message }, 'malformed AgentX Response; restarting the session');
            this.restart('malformed response from the master');
            return;
          }
          this.pending.delete(h.packetId);
          clearTimeout(p.timer);
          if (this.sessionId === 0) this.sessionId = h.sessionId;
          p.resolve(body);
          return;
        }
        case PduType.Get:
        case PduType.GetNext:
        case PduType.GetBulk: {
          this.stats.requests++;
          const req = decodeRequest(h, buf);
          if (req.context) return void reply(AgentxError.unsupportedContext);
          s.write(this.o.responder.answer(ids, req));
          return;
        }
        // Everything we serve is read-only.
        case PduType.TestSet:
          return void reply(AgentxError.notWritable, 1);
        case PduType.CommitSet:
          return void reply(AgentxError.commitFailed);
        case PduType.UndoSet:
          return void reply(AgentxError.undoFailed);
        case PduType.CleanupSet:
          return;
        case PduType.Close: {
          const reason = decodeClose(h, buf);
          this.o.log.warn({ reason }, 'the AgentX master closed the session');
          this.restart(`closed by the master (reason ${reason})`);
          return;
        }
        default:
          throw new AgentxParseError(`unexpected PDU type ${h.type}`);
      }
    } catch (err) {
      if (!(err instanceof AgentxParseError)) throw err;
      this.stats.parseErrors++;
      this.o.log.warn({ type: h.type, packetId: h.packetId, err: err.message }, 'malformed AgentX PDU answered parseError');
      if (h.type !== PduType.Response) reply(AgentxError.parseError);
    }
  }
}
