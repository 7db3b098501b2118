// `madman quota [-u USER | -d DOMAIN]`: mailbox quota usage in the layout of Sun's
// imquotacheck report, read from Dovecot with `doveadm quota get`. Users at or above the
// warning percentage (dovecot.quotaWarnPercent, or --over) are marked with '*' (overQuota(),
// src/model/services.ts): the same users madmanQuotaStatus reports as over and the quota
// alarm counts.

import { settingsFrom } from '../config/config.js';
import { dovecotDefaults, doveadmArgs, type DovecotSettings } from '../sources/dovecot/config.js';
import { overQuota, percentOf } from '../model/services.js';
import { readDoveadmQuotas, type QuotaFigures } from '../sources/dovecot/quota.js';

export interface QuotaFlags {
  user?: string;
  domain?: string;
  config?: string;
  dovecotConfig?: string;
  doveadm?: string;
  over?: string;
}

const HEADER = 'diskquota         size(K)    %use    msgquota      msgs    %use    user';

function limitCell(limit: number | undefined, unit: string): string {
  return limit ? `${limit}${unit}` : 'no quota';
}

function pct(used: number, limit: number | undefined): string {
  return limit ? `${percentOf(used, limit)}%` : '';
}

/** One report line, columns as in the header; '*' after users at or above `over` percent. */
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

/** The whole report as text. */
export function quotaReport(figures: QuotaFigures[], opts: { user?: string; domain?: string; over: number }): string {
  const rows = [...figures].sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  const out: string[] = [];
  if (opts.user !== undefined) {
    out.push(`quota usage for user ${opts.user}`, HEADER, '');
  } else {
    const domains = new Set(rows.map((r) => domainOf(r.user)));
    // Dovecot has no domain-wide quotas: the domain limits are never set
    out.push(`Domain${opts.domain ? ` ${opts.domain}` : ''} (diskquota = not set msgquota = not set) quota usage`, HEADER);
    out.push(`# of domains = ${domains.size}`, `# of users = ${rows.length}`, '');
  }
  for (const r of rows) out.push(reportLine(r, opts.over));
  const flagged = rows.filter((r) => overQuota(r, opts.over)).length;
  if (flagged) out.push('', `# of users at or above ${opts.over}% = ${flagged} (marked *)`);
  return out.join('\n') + '\n';
}

export async function quotaCommand(flags: QuotaFlags): Promise<number> {
  if (flags.user !== undefined && flags.domain !== undefined) {
    process.stderr.write('madman quota: give -u USER or -d DOMAIN, not both\n');
    return 2;
  }
  let s: DovecotSettings;
  try {
    s = (flags.config ? settingsFrom({ config: flags.config }).dovecot : undefined) ?? dovecotDefaults();
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
  let figures: Map<string, QuotaFigures>;
  try {
    figures = await readDoveadmQuotas(s.doveadm, doveadmArgs(s), flags.user);
  } catch (err) {
    process.stderr.write(`madman quota: ${(err as Error).message}\n`);
    return 1;
  }
  let rows = [...figures.values()];
  if (flags.domain !== undefined) rows = rows.filter((r) => domainOf(r.user) === flags.domain);
  if (flags.user !== undefined && rows.length === 0) {
    process.stderr.write(`madman quota: no quota information for user ${flags.user}\n`);
    return 1;
  }
  process.stdout.write(quotaReport(rows, { user: flags.user, domain: flags.domain, over }));
  return 0;
}
