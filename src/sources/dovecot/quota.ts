// Mailbox quotas from `doveadm quota get -A` (tab format): one STORAGE and one MESSAGE line per
// user and quota root, values in KB and messages, "-" for no limit. The output of 100,000 users
// is parsed as it streams in (each chunk in its own turn of the event loop, so the agent keeps
// answering), and the model's rows are then updated in one synchronous step: a walk never sees
// half a refresh. quotasVersion moves only when users appear or vanish; the row objects of
// known users are updated in place, so the sorted rows the OID index caches stay valid.

import { spawn } from 'node:child_process';
import type { MailSystem } from '../../model/mail-system.js';
import { quotaPercent, type QuotaUsage } from '../../model/services.js';

export interface QuotaFigures {
  user: string;
  storageKb: number;
  storageLimitKb?: number;
  messages: number;
  messageLimit?: number;
}

/**
 * Line-by-line parser of `doveadm -f tab quota get -A`. A user with several quota roots gets
 * the first root's figures (the one Dovecot lists first, its main quota).
 */
export class QuotaParser {
  readonly users = new Map<string, QuotaFigures>();
  /** `user`: the output of `quota get -u USER`, whose lines have no username column */
  constructor(private readonly user?: string) {}
  private rest = '';
  /** lines that were not a header or a quota line */
  bad = 0;
  private root = new Map<string, string>();

  push(chunk: string): void {
    const text = this.rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.line(text.slice(start, nl));
      start = nl + 1;
    }
    this.rest = text.slice(start);
  }

  end(): Map<string, QuotaFigures> {
    if (this.rest) this.line(this.rest);
    this.rest = '';
    return this.users;
  }

  private line(line: string): void {
    if (!line || line.startsWith('Username\t') || line.startsWith('Quota name\t')) return;
    const f = line.split('\t');
    if (this.user !== undefined) f.unshift(this.user);
    if (f.length < 5) {
      this.bad++;
      return;
    }
    const [user, root, type, value, limit] = f as [string, string, string, string, string];
    const v = Number(value);
    const l = limit === '-' ? undefined : Number(limit);
    if (!Number.isFinite(v) || (l !== undefined && !Number.isFinite(l))) {
      this.bad++;
      return;
    }
    const first = this.root.get(user);
    if (first !== undefined && first !== root) return;
    this.root.set(user, root);
    let u = this.users.get(user);
    if (!u) this.users.set(user, (u = { user, storageKb: 0, messages: 0 }));
    if (type === 'STORAGE') {
      u.storageKb = v;
      u.storageLimitKb = l || undefined;
    } else if (type === 'MESSAGE') {
      u.messages = v;
      u.messageLimit = l || undefined;
    } else this.bad++;
  }
}

export class DoveadmError extends Error {}

/**
 * Runs `doveadm ARGS -f tab quota get -A` (or `-u USER`) and parses its output as it arrives;
 * rejects on a non-zero exit (with stderr's first line).
 */
export function readDoveadmQuotas(doveadm: string, args: string[], user?: string, timeoutMs = 10 * 60 * 1000): Promise<Map<string, QuotaFigures>> {
  return new Promise((resolve, reject) => {
    const parser = new QuotaParser(user);
    let stderr = '';
    const who = user === undefined ? ['-A'] : ['-u', user];
    const child = spawn(doveadm, [...args, '-f', 'tab', 'quota', 'get', ...who], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => parser.push(d));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new DoveadmError(`${doveadm}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(parser.end());
      const why = stderr.trim().split('\n').find((l) => l.length > 0) ?? '';
      reject(new DoveadmError(`doveadm quota get ${who.join(' ')} exited ${code ?? signal}${why ? `: ${why}` : ''}`));
    });
  });
}

/** Row indexes of users: stable while the agent runs, never reused. */
export class QuotaIndexes {
  private readonly byUser = new Map<string, number>();
  private next = 1;
  indexOf(user: string): number {
    let i = this.byUser.get(user);
    if (i === undefined) this.byUser.set(user, (i = this.next++));
    return i;
  }
  forget(user: string): void {
    this.byUser.delete(user);
  }
}

/**
 * Replaces the model's quota rows with `figures`, in one synchronous step. Users not in
 * `figures` vanish. `warnPercent` sets each row's `over`.
 */
export function applyQuotas(
  model: MailSystem,
  figures: Map<string, QuotaFigures>,
  indexes: QuotaIndexes,
  warnPercent: number,
  at = Date.now(),
): { added: number; removed: number; over: number } {
  let added = 0;
  let removed = 0;
  let over = 0;
  for (const [index, row] of model.quotas) {
    if (figures.has(row.user)) continue;
    model.quotas.delete(index);
    indexes.forget(row.user);
    removed++;
  }
  for (const f of figures.values()) {
    const index = indexes.indexOf(f.user);
    let row = model.quotas.get(index);
    if (!row) {
      row = { index, user: f.user, storageKb: 0, messages: 0, readAt: at };
      model.quotas.set(index, row);
      added++;
    }
    row.storageKb = f.storageKb;
    row.storageLimitKb = f.storageLimitKb;
    row.messages = f.messages;
    row.messageLimit = f.messageLimit;
    row.readAt = at;
    row.over = quotaPercent(row) >= warnPercent;
    if (row.over) over++;
  }
  if (added || removed) model.quotasVersion++;
  return { added, removed, over };
}

export type { QuotaUsage };
