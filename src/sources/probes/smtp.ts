// SMTP, submission and LMTP probe. Our own client on net/tls, because no library reports
// phase times: connect, greeting, EHLO (LHLO), STARTTLS, AUTH, and, when a recipient is
// configured, MAIL FROM, RCPT TO, DATA, the message, then QUIT (immonitor-access's phases).

import os from 'node:os';
import type { Endpoint, ProbeSpec } from './config.js';
import { LineConnection } from './conn.js';
import { Deadline, PhaseClock, readPassword, versionFrom, type ProbeOutcome } from './phases.js';

export interface SmtpReply {
  code: number;
  lines: string[];
}

export class ReplyError extends Error {}

async function reply(c: LineConnection, what: string, expect: number): Promise<SmtpReply> {
  const lines: string[] = [];
  for (;;) {
    const l = await c.readLine(what);
    const m = /^(\d{3})([ -]?)(.*)$/.exec(l);
    if (!m) throw new ReplyError(`not an SMTP reply: ${l.slice(0, 80)}`);
    lines.push(m[3]!);
    if (m[2] !== '-') {
      const code = Number(m[1]);
      if (Math.floor(code / 100) !== Math.floor(expect / 100)) throw new ReplyError(`${code} ${lines.join(' ').slice(0, 200)}`);
      return { code, lines };
    }
  }
}

async function command(c: LineConnection, line: string, what: string, expect: number): Promise<SmtpReply> {
  c.write(line);
  return reply(c, `to ${what}`, expect);
}

export interface Envelope {
  from: string;
  to: string;
  /** the message, headers and body, lines without CRLF */
  message: string[];
}

export interface SmtpOptions {
  lmtp: boolean;
  envelope?: Envelope;
}

/** One SMTP session with its phases on `clock`; returns the greeting. Throws on failure. */
export async function smtpSession(ep: Endpoint, o: SmtpOptions, clock: PhaseClock, deadline: Deadline): Promise<string> {
  clock.current = 'password';
  const password = await readPassword(ep.passwordFile);
  clock.current = 'connect';
  const c = await clock.phase('connect', () => LineConnection.open(ep, deadline));
  try {
    const greeting = await clock.phase('greeting', () => reply(c, 'with a greeting', 220));
    const hello = o.lmtp ? 'LHLO' : 'EHLO';
    const me = os.hostname() || 'localhost';
    let ext = await clock.phase(hello.toLowerCase(), () => command(c, `${hello} ${me}`, hello, 250));
    if (ep.tls === 'starttls') {
      await clock.phase('starttls', async () => {
        if (!has(ext, 'STARTTLS')) throw new ReplyError('the server does not offer STARTTLS');
        await command(c, 'STARTTLS', 'STARTTLS', 220);
        await c.startTls(ep);
      });
      ext = await clock.phase(`${hello.toLowerCase()}-tls`, () => command(c, `${hello} ${me}`, hello, 250));
    }
    if (ep.user && !(ep.authIfOffered && !has(ext, 'AUTH'))) {
      await clock.phase('auth', () => auth(c, ext, ep.user!, password ?? ''));
    }
    const env = o.envelope;
    if (env) {
      await clock.phase('mail', () => command(c, `MAIL FROM:<${env.from}>`, 'MAIL FROM', 250));
      await clock.phase('rcpt', () => command(c, `RCPT TO:<${env.to}>`, 'RCPT TO', 250));
      await clock.phase('data', () => command(c, 'DATA', 'DATA', 354));
      await clock.phase('message', async () => {
        const body = env.message.map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n');
        c.writeRaw(`${body}\r\n.\r\n`);
        await reply(c, 'to the message', 250);
      });
    }
    await clock.phase('quit', () => command(c, 'QUIT', 'QUIT', 221));
    return greeting.lines.join(' ');
  } finally {
    c.close();
  }
}

function has(ext: SmtpReply, keyword: string): boolean {
  return ext.lines.some((l) => l.toUpperCase().split(/[\s=]/)[0] === keyword);
}

async function auth(c: LineConnection, ext: SmtpReply, user: string, password: string): Promise<void> {
  const line = ext.lines.find((l) => /^AUTH[\s=]/i.test(l));
  if (!line) throw new ReplyError('the server offers no AUTH (STARTTLS first?)');
  const mechs = line.slice(5).toUpperCase().split(/\s+/);
  if (mechs.includes('PLAIN')) {
    await command(c, `AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`, 'AUTH', 235);
  } else if (mechs.includes('LOGIN')) {
    await command(c, 'AUTH LOGIN', 'AUTH', 334);
    await command(c, Buffer.from(user).toString('base64'), 'AUTH', 334);
    await command(c, Buffer.from(password).toString('base64'), 'AUTH', 235);
  } else {
    throw new ReplyError(`no AUTH mechanism we speak (offered: ${mechs.join(' ')})`);
  }
}

/** A small message carrying `tag`, so a round trip can find it again. */
export function probeMessage(from: string, to: string, tag: string): string[] {
  return [
    `From: <${from || 'MAILER-DAEMON'}>`,
    `To: <${to}>`,
    `Subject: madman probe ${tag}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${tag}@madman.probe>`,
    `X-Madman-Probe: ${tag}`,
    '',
    'This message was sent by the madman service probe and is deleted by it.',
  ];
}

export function probeTag(): string {
  return `${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 10)}`;
}

export async function probeSmtp(spec: ProbeSpec): Promise<ProbeOutcome> {
  const clock = new PhaseClock();
  const deadline = new Deadline(spec.timeout * 1000);
  const envelope = spec.to ? { from: spec.from ?? '', to: spec.to, message: probeMessage(spec.from ?? '', spec.to, probeTag()) } : undefined;
  try {
    const greeting = await smtpSession(spec, { lmtp: spec.protocol === 'lmtp', envelope }, clock, deadline);
    return clock.ok({ detail: greeting, version: versionFrom(greeting.replace(/^\S+\s+E?SMTP\s*/i, '')) });
  } catch (err) {
    return clock.failed(err);
  }
}
