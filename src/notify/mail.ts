// The mail notice, like msprobe's: when an alarm is raised (and repeated), a mail to the
// configured recipient through an SMTP server (nodemailer), subject
// `ALARM: <description> of "<instance>" is <value>`, body with the fields of Sun's notice.
// Mails wait in a bounded RetryQueue while the server cannot be reached.

import os from 'node:os';
import type { Transporter } from 'nodemailer';
import type { AlarmEvent } from '../alarms/engine.js';
import type { MailSettings } from '../config/alarms.js';
import type { Logger } from '../log.js';
import type { AlarmInstance } from '../model/alarms.js';
import { RateLimitedLog } from '../rate-limited-log.js';
import { RetryQueue, type RetryOptions } from './retry-queue.js';

export interface MailNoticeText {
  subject: string;
  text: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Sun's timestamp: 17/Jul/2001:16:37:08 -0700, in local time. */
export function sunTime(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(a / 60))}${pad(a % 60)}`;
}

/** Values as Sun prints them: integers as such, others with at most 2 decimals. */
function num(v: number | undefined): string {
  if (v === undefined) return '';
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
}

export function mailNotice(a: AlarmInstance, at: number, serverInstance: string): MailNoticeText {
  const cond = a.direction === 'above' ? 'over' : 'under';
  return {
    subject: `ALARM: ${a.description} of "${a.instance}" is ${num(a.current)}`,
    text: [
      `Server instance: ${serverInstance}`,
      `Alarmid: ${a.alarm}`,
      `Instance: ${a.instance}`,
      `Description: ${a.description}`,
      `Current measured value (${sunTime(at)}): ${num(a.current)}`,
      `Lowest recorded value: ${num(a.low)}`,
      `Highest recorded value: ${num(a.high)}`,
      `Monitoring interval: ${a.statInterval} seconds`,
      `Alarm condition is when ${cond} threshold of ${num(a.threshold)}`,
      `Number of times ${cond} threshold: ${a.countOverThreshold}`,
      '',
    ].join('\n'),
  };
}

/** Printable ASCII (and spaces): a header value that needs no encoding. */
const PLAIN = /^[\x20-\x7e]*$/;
/** RFC 5322 2.1.1: lines of at most 78 characters, folded at whitespace. */
const LINE = 78;

/**
 * How the Subject goes to nodemailer: as a prepared header, plain, when it is printable
 * ASCII (nodemailer would RFC 2047-encode it for its double quotes, and a filter on
 * `^Subject: ALARM` would miss it), folded at spaces past 78 characters; else as `subject`,
 * which nodemailer encodes (RFC 2047), as a non-ASCII instance name needs.
 */
export function subjectField(subject: string): { subject: string } | { headers: Record<string, { prepared: true; value: string }> } {
  if (!PLAIN.test(subject)) return { subject };
  // unfolding (removing each CRLF) gives the subject back: a fold goes before a space
  const lines: string[] = [];
  let line: string | undefined;
  let room = LINE - 'Subject: '.length;
  for (const word of subject.split(' ')) {
    if (line === undefined) line = word;
    else if (word !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = ` ${word}`;
      room = LINE;
    } else line = `${line} ${word}`;
  }
  lines.push(line ?? '');
  return { headers: { Subject: { prepared: true, value: lines.join('\r\n') } } };
}

export class MailNotice {
  private readonly queue: RetryQueue<MailNoticeText>;
  /** made at the first mail: nodemailer is loaded only by an agent that sends one */
  private transport: Promise<Transporter> | undefined;
  private readonly warnings: RateLimitedLog;
  sent = 0;

  constructor(
    private readonly settings: MailSettings,
    log: Logger,
    retry: RetryOptions,
    private readonly serverInstance = `madman on ${os.hostname()}`,
  ) {
    // a dead SMTP server fails every mail: one line per cause per minute, with counts
    this.warnings = new RateLimitedLog((msg, count, f) => log.warn({ to: settings.to, ...f, count }, msg));
    this.warnings.startTimer();
    this.queue = new RetryQueue(
      async (m) => {
        const transport = await this.open();
        await transport.sendMail({ from: settings.from, to: settings.to, ...subjectField(m.subject), text: m.text });
        this.sent++;
      },
      retry,
      (err, wait, queued) => this.warnings.note('alarm mail not sent; will retry', { err: err.message, retryInMs: wait, queued }),
      (dropped) => this.warnings.note('alarm mail queue full; oldest dropped', { dropped }),
    );
  }

  private open(): Promise<Transporter> {
    const s = this.settings;
    this.transport ??= import('nodemailer').then((m) =>
      m.default.createTransport({
        host: s.host,
        port: s.port,
        secure: false,
        ignoreTLS: s.host === 'localhost' || s.host.startsWith('127.'),
        connectionTimeout: 10000,
        greetingTimeout: 10000,
        socketTimeout: 20000,
      }),
    );
    return this.transport;
  }

  /** An alarm engine listener: mails raises and repeats. */
  readonly onEvent = (e: AlarmEvent): void => {
    if (e.transition === 'cleared') return;
    this.queue.push(mailNotice(e.alarm, e.at, this.serverInstance));
  };

  close(): void {
    this.queue.close();
    this.warnings.stop();
    void this.transport?.then((t) => t.close()).catch(() => {});
  }
}
