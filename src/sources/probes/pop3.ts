// POP3 probe, our own client (RFC 1939, STLS from RFC 2595): connect, greeting,
// STLS, USER/PASS, STAT, QUIT. The round trip also uses it to find (UIDL + TOP), RETR
// and DELE its tagged message.

import type { Endpoint, ProbeSpec } from './config.js';
import { LineConnection } from './conn.js';
import { Deadline, PhaseClock, readPassword, versionFrom, type ProbeOutcome } from './phases.js';

export class Pop3Error extends Error {}

export class Pop3Session {
  private constructor(private readonly c: LineConnection) {}

  /** Connects, reads the greeting, upgrades with STLS when asked, logs in. */
  static async open(ep: Endpoint, clock: PhaseClock, deadline: Deadline): Promise<{ s: Pop3Session; greeting: string }> {
    clock.current = 'password';
    const password = await readPassword(ep.passwordFile);
    clock.current = 'connect';
    const c = await clock.phase('connect', () => LineConnection.open(ep, deadline));
    const s = new Pop3Session(c);
    try {
      const greeting = await clock.phase('greeting', () => s.status('with a greeting'));
      if (ep.tls === 'starttls') {
        await clock.phase('stls', async () => {
          await s.cmd('STLS');
          await c.startTls(ep);
        });
      }
      if (ep.user) {
        await clock.phase('login', async () => {
          await s.cmd(`USER ${ep.user}`, 'USER');
          await s.cmd(`PASS ${password ?? ''}`, 'PASS');
        });
      }
      return { s, greeting };
    } catch (err) {
      c.close();
      throw err;
    }
  }

  private async status(what: string): Promise<string> {
    const l = await this.c.readLine(what);
    if (l.startsWith('+OK')) return l.slice(3).trim();
    throw new Pop3Error(l.startsWith('-ERR') ? l : `not a POP3 answer: ${l.slice(0, 80)}`);
  }

  /** A command with a one-line answer; `shown` replaces the command in errors (PASS). */
  async cmd(line: string, shown = line): Promise<string> {
    this.c.write(line);
    return this.status(`to ${shown.split(' ')[0]}`);
  }

  /** A command with a multi-line answer (dot-terminated), its lines un-stuffed. */
  async multi(line: string): Promise<string[]> {
    await this.cmd(line);
    const out: string[] = [];
    for (;;) {
      const l = await this.c.readLine(`to ${line.split(' ')[0]}`);
      if (l === '.') return out;
      out.push(l.startsWith('..') ? l.slice(1) : l);
    }
  }

  /** "+OK n size": the number of messages and their size. */
  async stat(): Promise<{ count: number; octets: number }> {
    const [n, o] = (await this.cmd('STAT')).split(/\s+/).map(Number);
    return { count: n ?? 0, octets: o ?? 0 };
  }

  async quit(): Promise<void> {
    try {
      await this.cmd('QUIT');
    } finally {
      this.c.close();
    }
  }

  close(): void {
    this.c.close();
  }
}

export async function probePop3(spec: ProbeSpec): Promise<ProbeOutcome> {
  const clock = new PhaseClock();
  const deadline = new Deadline(spec.timeout * 1000);
  let session: Pop3Session | undefined;
  try {
    const { s, greeting } = await Pop3Session.open(spec, clock, deadline);
    session = s;
    let detail = greeting;
    if (spec.user) {
      const st = await clock.phase('stat', () => s.stat());
      detail = `${st.count} messages (${st.octets} octets)`;
    }
    await clock.phase('quit', () => s.quit());
    return clock.ok({ detail, version: versionFrom(greeting) });
  } catch (err) {
    session?.close();
    return clock.failed(err);
  }
}
