// The notices of `madman quota -e` (imquotacheck's notification): a mail to each user at or
// above the quota warning percentage, and to a domain's postmaster (quotaNotice.domainRecipient)
// when a Dovecot domain quota is, written from a template in Sun's notification-file form:
// a Subject: line, a blank line, the body, with %U% (user or domain), %Q% (percentage used),
// %R% (usage details), %M% (mailbox size) and %C% (the quota). Sent with nodemailer, one
// connection for all; --dry-run prints them instead.

import { readFileSync } from 'node:fs';
import type { QuotaNoticeSettings } from '../config/quota-notice.js';
import { overQuota, percentOf, quotaPercent } from '../model/services.js';
import type { QuotaFigures } from '../sources/dovecot/quota.js';

/** Sun's sample notification file, with its variables. */
export const DEFAULT_TEMPLATE = `Subject: [Warning] quota reached for %U%

Hello %U%,
Your quota: %C%
Your current mailbox usage: %M%
Your mailbox is now %Q% full.
%R%

Please clean up unwanted diskspace.
`;

/** One mail to send: to whom, about which user or domain, and its text. */
export interface Notice {
  /** the user, or "@domain" for a domain quota */
  about: string;
  to: string;
  subject: string;
  text: string;
  percent: number;
}

/** The template cannot be read or has no Subject: line (exit 2). */
export class TemplateError extends Error {}

/** The template's text: the configured one (a file is read now), else Sun's sample. */
export function templateText(settings: QuotaNoticeSettings | undefined, file?: string): string {
  const t = file !== undefined ? { file } : settings?.template;
  if (t === undefined) return DEFAULT_TEMPLATE;
  if ('text' in t) return t.text;
  try {
    return readFileSync(t.file, 'utf8');
  } catch (err) {
    throw new TemplateError(`cannot read the notice template ${t.file}: ${(err as Error).message}`);
  }
}

const limitText = (n: number | undefined, unit: string) => (n ? `${n}${unit}` : 'no quota');
const messages = (n: number) => `${n} message${n === 1 ? '' : 's'}`;

function details(q: QuotaFigures): string {
  const part = (what: string, used: number, limit: number | undefined, unit: string) =>
    limit ? `${what} ${used}${unit} of ${limit}${unit} (${percentOf(used, limit)}%)` : `${what} ${used}${unit} (no quota)`;
  return `${part('storage', q.storageKb, q.storageLimitKb, 'K')}, ${part('messages', q.messages, q.messageLimit, '')}`;
}

/** The template filled in for one user or domain. */
export function fillTemplate(template: string, name: string, q: QuotaFigures): { subject: string; text: string } {
  const values: Record<string, string> = {
    U: name,
    Q: `${quotaPercent(q)}%`,
    R: details(q),
    M: `${q.storageKb}K, ${messages(q.messages)}`,
    C: `${limitText(q.storageLimitKb, 'K')}, ${q.messageLimit ? messages(q.messageLimit) : 'no message quota'}`,
  };
  const filled = template.replace(/\r\n/g, '\n').replace(/%([UQRMC])%/g, (_m, k: string) => values[k]!);
  const m = /^Subject:[ \t]*(.*)\n(?:[ \t]*\n)?/.exec(filled);
  if (!m) throw new TemplateError('the notice template does not start with a Subject: line');
  return { subject: m[1]!.trim(), text: filled.slice(m[0].length) };
}

/** Where a user's notice goes: the user name when it is an address, else user@userDomain. */
export function userAddress(user: string, settings: QuotaNoticeSettings | undefined): string | undefined {
  if (user.includes('@')) return user;
  return settings?.userDomain ? `${user}@${settings.userDomain}` : undefined;
}

/** The notices to send, and the users over the percentage that have no address. */
export interface NoticePlan {
  notices: Notice[];
  /** users over who have no address (no @ and no quotaNotice.userDomain) */
  unaddressed: string[];
}

/** The notices for the users and domains at or above `over` percent. */
export function planNotices(
  users: QuotaFigures[],
  domains: QuotaFigures[],
  over: number,
  settings: QuotaNoticeSettings | undefined,
  template: string,
): NoticePlan {
  const notices: Notice[] = [];
  const unaddressed: string[] = [];
  // the one rule of `madman quota`'s '*', madmanQuotaStatus and the quota alarm
  const atOrAbove = (q: QuotaFigures) => overQuota(q, over);
  for (const u of users.filter(atOrAbove)) {
    const to = userAddress(u.user, settings);
    if (!to) {
      unaddressed.push(u.user);
      continue;
    }
    notices.push({ about: u.user, to, percent: quotaPercent(u), ...fillTemplate(template, u.user, u) });
  }
  for (const d of domains.filter(atOrAbove)) {
    const to = (settings?.domainRecipient ?? 'postmaster@%d').replace(/%d/g, d.user);
    notices.push({ about: `@${d.user}`, to, percent: quotaPercent(d), ...fillTemplate(template, d.user, d) });
  }
  return { notices, unaddressed };
}

/** How notices are sent: the SMTP server and sender. */
export interface MailRoute {
  host: string;
  port: number;
  from: string;
}

/** Sends the notices one after the other on one connection; the error of each that failed. */
export async function sendNotices(route: MailRoute, notices: Notice[]): Promise<Array<Error | undefined>> {
  // loaded only when mail is sent: the report alone needs no SMTP library
  const { default: nodemailer } = await import('nodemailer');
  const local = route.host === 'localhost' || route.host.startsWith('127.') || route.host === '::1';
  const transport = nodemailer.createTransport({
    host: route.host,
    port: route.port,
    secure: false,
    ignoreTLS: local,
    pool: true,
    maxConnections: 1,
    connectionTimeout: 10000,
    greetingTimeout: 10000,
    socketTimeout: 20000,
  });
  const out: Array<Error | undefined> = [];
  try {
    for (const n of notices) {
      try {
        await transport.sendMail({ from: route.from, to: n.to, subject: n.subject, text: n.text, headers: { 'Auto-Submitted': 'auto-generated' } });
        out.push(undefined);
      } catch (err) {
        out.push(err as Error);
      }
    }
  } finally {
    transport.close();
  }
  return out;
}

/** A notice as --dry-run prints it: the message it would send. */
export function formatNotice(n: Notice, from: string): string {
  return `From: ${from}\nTo: ${n.to}\nSubject: ${n.subject}\n\n${n.text.endsWith('\n') ? n.text : `${n.text}\n`}`;
}
