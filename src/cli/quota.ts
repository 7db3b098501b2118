// `madman quota [-u USER | -d DOMAIN]`: mailbox quota usage in the layout of Sun's
// imquotacheck report, read from Dovecot with `doveadm quota get`. Users at or above the
// warning percentage (dovecot.quotaWarnPercent, or --over) are marked with '*' (overQuota(),
// src/model/services.ts): the same users madmanQuotaStatus reports as over and the quota
// alarm counts. Domain quotas (a Dovecot quota root kept per domain: domain-quota.ts) are
// lines "@DOMAIN" before the users. `-e` (imquotacheck 6.3's `-n` too) mails those marked a
// notice instead of printing the report (quota-notice.ts); `--dry-run` prints the mails.

import { settingsFrom, type Settings } from '../config/config.js';
import { dovecotDefaults, doveadmArgs, type DovecotSettings } from '../sources/dovecot/config.js';
import { overQuota, percentOf } from '../model/services.js';
import { domainQuotaRoots } from '../sources/dovecot/domain-quota.js';
import { readDoveadmQuotaReport, type QuotaFigures } from '../sources/dovecot/quota.js';
import { TemplateError, formatNotice, planNotices, sendNotices, templateText } from './quota-notice.js';

export interface QuotaFlags {
  user?: string;
  domain?: string;
  config?: string;
  dovecotConfig?: string;
  doveadm?: string;
  over?: string;
  /** mail a notice to each user (and domain) at or above the percentage */
  email?: boolean;
  /** imquotacheck 6.3's name for the same */
  notify?: boolean;
  /** with -e: print the notices, send nothing */
  dryRun?: boolean;
  /** with -e: the notice template file, instead of quotaNotice.template */
  template?: string;
}

const HEADER = 'diskquota         size(K)    %use    msgquota      msgs    %use    user';

function limitCell(limit: number | undefined, unit: string): string {
  return limit ? `${limit}${unit}` : 'no quota';
}

function pct(used: number, limit: number | undefined): string {
  return limit ? `${percentOf(used, limit)}%` : '';
}

/** One report line, columns as in the header; '*' after users (and domains) at or above `over` percent. */
export function reportLine(q: QuotaFigures, over: number): string {
  const flagged = overQuota(q, over);
  return (
    limitCell(q.storageLimitKb, 'K').padEnd(18) +
    String(q.storageKb).padEnd(11) +
    pct(q.storageKb, q.storageLimitKb).padEnd(8) +
    limitCell(q.messageLimit, '').padEnd(14) +
    String(q.messages).padEnd(8) +
    pct(q.messages, q.messageLimit).padEnd(8) +
    q.user +
    (flagged ? ' *' : '')
  );
}

const domainOf = (user: string): string => (user.includes('@') ? user.slice(user.lastIndexOf('@') + 1) : '');

const byName = (a: QuotaFigures, b: QuotaFigures) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0);

/**
 * The whole report as text. `domainQuotas` are the domains' own quotas (user = the domain),
 * when Dovecot keeps any: the header of `-d DOMAIN` shows its limits, and each is a line
 * "@DOMAIN" before the users.
 */
export function quotaReport(figures: QuotaFigures[], opts: { user?: string; domain?: string; over: number; domainQuotas?: QuotaFigures[] }): string {
  const rows = [...figures].sort(byName);
  const domainRows = [...(opts.domainQuotas ?? [])].sort(byName);
  const out: string[] = [];
  if (opts.user !== undefined) {
    out.push(`quota usage for user ${opts.user}`, HEADER, '');
  } else {
    const domains = new Set(rows.map((r) => domainOf(r.user)));
    const own = opts.domain === undefined ? undefined : domainRows.find((d) => d.user === opts.domain);
    const limit = (n: number | undefined, unit: string) => (n ? `${n}${unit}` : 'not set');
    out.push(`Domain${opts.domain ? ` ${opts.domain}` : ''} (diskquota = ${limit(own?.storageLimitKb, 'K')} msgquota = ${limit(own?.messageLimit, '')}) quota usage`, HEADER);
    out.push(`# of domains = ${domains.size}`, `# of users = ${rows.length}`, '');
  }
  for (const d of domainRows) out.push(reportLine({ ...d, user: `@${d.user}` }, opts.over));
  if (domainRows.length) out.push('');
  for (const r of rows) out.push(reportLine(r, opts.over));
  const flagged = rows.filter((r) => overQuota(r, opts.over)).length;
  if (flagged) out.push('', `# of users at or above ${opts.over}% = ${flagged} (marked *)`);
  const domainsFlagged = domainRows.filter((d) => overQuota(d, opts.over)).length;
  if (domainsFlagged) {
    if (!flagged) out.push('');
    out.push(`# of domains at or above ${opts.over}% = ${domainsFlagged} (marked *)`);
  }
  return out.join('\n') + '\n';
}

export async function quotaCommand(flags: QuotaFlags): Promise<number> {
  if (flags.user !== undefined && flags.domain !== undefined) {
    process.stderr.write('madman quota: give -u USER or -d DOMAIN, not both\n');
    return 2;
  }
  const notify = Boolean(flags.email || flags.notify);
  if (!notify && (flags.dryRun || flags.template !== undefined)) {
    process.stderr.write('madman quota: --dry-run and -t go with -e (send the notices)\n');
    return 2;
  }
  let settings: Settings | undefined;
  let s: DovecotSettings;
  try {
    settings = flags.config ? settingsFrom({ config: flags.config }) : undefined;
    s = settings?.dovecot ?? dovecotDefaults();
  } catch (err) {
    process.stderr.write(`madman: bad configuration: ${(err as Error).message}\n`);
    return 2;
  }
  if (flags.dovecotConfig) s.config = flags.dovecotConfig;
  if (flags.doveadm) s.doveadm = flags.doveadm;
  const over = flags.over !== undefined ? Number(flags.over) : s.quotaWarnPercent;
  if (!Number.isFinite(over) || over < 0) {
    process.stderr.write(`madman quota: --over must be a percentage, not "${flags.over}"\n`);
    return 2;
  }
  let template: string | undefined;
  try {
    if (notify) template = templateText(settings?.quotaNotice, flags.template);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    process.stderr.write(`madman quota: ${err.message}\n`);
    return 2;
  }
  let users: QuotaFigures[];
  let domains: QuotaFigures[];
  try {
    const roots = flags.user === undefined ? await domainQuotaRoots(s.doveadm, s.config) : new Set<string>();
    const report = await readDoveadmQuotaReport(s.doveadm, doveadmArgs(s), { user: flags.user, domainRoots: roots });
    users = [...report.users.values()];
    domains = [...report.domains.values()];
  } catch (err) {
    process.stderr.write(`madman quota: ${(err as Error).message}\n`);
    return 1;
  }
  if (flags.domain !== undefined) {
    users = users.filter((r) => domainOf(r.user) === flags.domain);
    domains = domains.filter((d) => d.user === flags.domain);
  }
  if (flags.user !== undefined && users.length === 0) {
    process.stderr.write(`madman quota: no quota information for user ${flags.user}\n`);
    return 1;
  }
  if (!notify) {
    process.stdout.write(quotaReport(users, { user: flags.user, domain: flags.domain, over, domainQuotas: domains }));
    return 0;
  }
  return notices(users, domains, over, settings, template!, Boolean(flags.dryRun));
}

/** -e: mails (or, dry run, prints) the notices; 1 when one could not be sent or has no address. */
async function notices(users: QuotaFigures[], domains: QuotaFigures[], over: number, settings: Settings | undefined, template: string, dryRun: boolean): Promise<number> {
  let plan;
  try {
    plan = planNotices(users, domains, over, settings?.quotaNotice, template);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    process.stderr.write(`madman quota: ${err.message}\n`);
    return 2;
  }
  const mail = settings?.notify.mail;
  const q = settings?.quotaNotice;
  const route = { host: q?.host ?? mail?.host ?? 'localhost', port: q?.port ?? mail?.port ?? 25, from: q?.from ?? mail?.from ?? 'Postmaster@localhost' };
  for (const u of plan.unaddressed) process.stderr.write(`madman quota: ${u} is at or above ${over}% but has no mail address (set quotaNotice.userDomain)\n`);
  if (dryRun) {
    for (const n of plan.notices) process.stdout.write(`${formatNotice(n, route.from)}\n`);
    process.stdout.write(`${plan.notices.length} notice${plan.notices.length === 1 ? '' : 's'} at or above ${over}% (dry run: none sent)\n`);
    return plan.unaddressed.length ? 1 : 0;
  }
  const results = plan.notices.length ? await sendNotices(route, plan.notices) : [];
  let failed = plan.unaddressed.length;
  plan.notices.forEach((n, i) => {
    const err = results[i];
    if (err) {
      failed++;
      process.stderr.write(`madman quota: notice to ${n.to} (${n.about}, ${n.percent}%) not sent: ${err.message}\n`);
    } else process.stdout.write(`notice sent to ${n.to} (${n.about}, ${n.percent}%)\n`);
  });
  process.stdout.write(`${plan.notices.length - (failed - plan.unaddressed.length)} of ${plan.notices.length} notice${plan.notices.length === 1 ? '' : 's'} sent at or above ${over}% via ${route.host}:${route.port}\n`);
  return failed ? 1 : 0;
}
