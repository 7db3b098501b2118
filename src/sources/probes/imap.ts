// IMAP probe with imapflow: login (imapflow's connect covers TCP, TLS, greeting,
// capabilities and LOGIN, so they are one phase), select, search, logout. Without
// credentials imapflow cannot connect at all, so a few lines of our own read the greeting. The round trip
// reuses openImap() to find, fetch and delete its tagged message.

import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import type { Endpoint, ProbeSpec } from './config.js';
import { LineConnection, tlsOptions } from './conn.js';
import { Deadline, PhaseClock, readPassword, versionFrom, type ProbeOutcome } from './phases.js';

/** A logged-in imapflow client; closed on timeout. */
export async function openImap(ep: Endpoint, clock: PhaseClock, deadline: Deadline): Promise<ImapFlow> {
  clock.current = 'password';
  const pass = await readPassword(ep.passwordFile);
  const ms = Math.max(1, Math.ceil(deadline.remaining()));
  const opts: ImapFlowOptions = {
    host: ep.host,
    port: ep.port,
    secure: ep.tls === 'implicit',
    doSTARTTLS: ep.tls === 'starttls' ? true : ep.tls === 'none' ? false : undefined,
    tls: tlsOptions(ep),
    logger: false,
    connectionTimeout: ms,
    greetingTimeout: ms,
    socketTimeout: ms,
    disableAutoIdle: true,
  };
  if (ep.user) opts.auth = { user: ep.user, pass: pass ?? '' };
  // loaded on first use: an agent without IMAP probes never pays for imapflow's memory
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow(opts);
  // imapflow emits 'error' on socket failures after connect: a probe reports, never crashes
  client.on('error', () => {});
  await clock.phase(ep.user ? 'login' : 'connect', () => deadline.race(client.connect(), 'to connect and log in', () => client.close()));
  return client;
}

/** Runs `f`, closing the client when the deadline passes. */
export function bounded<T>(client: ImapFlow, deadline: Deadline, what: string, f: () => Promise<T>): Promise<T> {
  return deadline.race(f(), what, () => client.close());
}

/** imapflow's errors carry the server's answer in responseText; "Command failed" alone says little. */
export function imapError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  const e = err as Error & { responseText?: string; authenticationFailed?: boolean; serverResponseCode?: string };
  if (e.authenticationFailed) return new Error(`authentication failed${e.responseText ? `: ${e.responseText}` : ''}`);
  if (e.responseText) return new Error(`${e.message}: ${e.responseText}`);
  return err;
}

/** Reads tagged command answers; untagged lines before the tagged one are skipped. */
async function tagged(c: LineConnection, tag: string, command: string): Promise<string> {
  c.write(`${tag} ${command}`);
  for (;;) {
    const l = await c.readLine(`to ${command}`);
    if (!l.startsWith(`${tag} `)) continue;
    if (/^\S+ OK\b/i.test(l)) return l;
    throw new Error(l.slice(tag.length + 1));
  }
}

/** Without credentials (like check_imap): connect, greeting, STARTTLS when asked, LOGOUT. */
async function probeGreeting(spec: ProbeSpec, clock: PhaseClock, deadline: Deadline): Promise<ProbeOutcome> {
  const c = await clock.phase('connect', () => LineConnection.open(spec, deadline));
  try {
    const greeting = await clock.phase('greeting', async () => {
      const l = await c.readLine('with a greeting');
      if (!/^\* (OK|PREAUTH)\b/i.test(l)) throw new Error(l.slice(0, 200));
      return l.replace(/^\* \S+\s*(\[[^\]]*\]\s*)?/, '');
    });
    if (spec.tls === 'starttls') {
      await clock.phase('starttls', async () => {
        await tagged(c, 'a1', 'STARTTLS');
        await c.startTls(spec);
      });
    }
    await clock.phase('logout', () => tagged(c, 'a2', 'LOGOUT'));
    return clock.ok({ detail: greeting, version: versionFrom(greeting) });
  } finally {
    c.close();
  }
}

export async function probeImap(spec: ProbeSpec): Promise<ProbeOutcome> {
  const clock = new PhaseClock();
  const deadline = new Deadline(spec.timeout * 1000);
  if (!spec.user) {
    try {
      return await probeGreeting(spec, clock, deadline);
    } catch (err) {
      return clock.failed(err);
    }
  }
  let client: ImapFlow | undefined;
  try {
    client = await openImap(spec, clock, deadline);
    const c = client;
    const box = await clock.phase('select', () => bounded(c, deadline, 'to SELECT', () => c.mailboxOpen(spec.mailbox ?? 'INBOX', { readOnly: true })));
    await clock.phase('search', () => bounded(c, deadline, 'to SEARCH', () => c.search({ seen: false })));
    await clock.phase('logout', () => bounded(c, deadline, 'to LOGOUT', () => c.logout()));
    return clock.ok({ detail: `${box.exists} messages in ${box.path}`, version: versionFrom(c.greeting ?? '') });
  } catch (err) {
    client?.close();
    return clock.failed(imapError(err));
  }
}
