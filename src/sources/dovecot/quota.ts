// Mailbox quotas from `doveadm quota get -A` (tab format): one STORAGE and one MESSAGE line per
// user and quota root, values in KB and messages, "-" for no limit. The output of 100,000 users
// is parsed as it streams in (each chunk in its own turn of the event loop, so the agent keeps
// answering), and the model's rows are then updated in one synchronous step: a walk never sees
// half a refresh. quotasVersion moves only when users appear or vanish; the row objects of
// known users are updated in place, so the sorted rows the OID index caches stay valid.

import { spawn } from 'node:child_process';
import type { MailSystem } from '../../model/mail-system.js';
import { overQuota, type QuotaUsage } from '../../model/services.js';

export interface QuotaFigures {
  user: string;
  storageKb: number;
  storageLimitKb?: number;
  messages: number;
  messageLimit?: number;
}

/**
 * Line-by-line parser of `doveadm -f tab quota get -A`. A user with several quota roots gets
 * the first root's figures (the one Dovecot lists first, its main quota); the roots named in
 * `domainRoots` (domain quotas: the same figures on every user of the domain) go to `domains`,
 * by domain, instead.
 */
export class QuotaParser {
  readonly users = new Map<string, QuotaFigures>();
  /** domain quotas by domain; `user` is the domain */
  readonly domains = new Map<string, QuotaFigures>();
  /** `user`: the output of `quota get -u USER`, whose lines have no username column */
  constructor(
    private readonly user?: string,
    private readonly domainRoots?: ReadonlySet<string>,
  ) {}
  private rest = '';
  /** lines that were not a header or a quota line */
  bad = 0;
  private root = new Map<string, string>();
  private last?: QuotaFigures;
  private lastRoot?: string;

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
    if (this.domainRoots?.has(root)) return this.domainLine(user, type, v, l);
    // doveadm prints a user's lines together: look the user up once, not per line
    let u = this.last;
    if (!u || u.user !== user) {
      u = this.users.get(user);
      if (!u) {
        this.users.set(user, (u = { user, storageKb: 0, messages: 0 }));
        this.root.set(user, root);
        this.lastRoot = root;
      } else this.lastRoot = this.root.get(user);
      this.last = u;
    }
    if (this.lastRoot !== root) return;
    this.set(u, type, v, l);
  }

  private domainLine(user: string, type: string, v: number, l: number | undefined): void {
    // a user without a domain has none: Dovecot's %d is empty there
    if (!user.includes('@')) return;
    const domain = user.slice(user.lastIndexOf('@') + 1);
    let d = this.domains.get(domain);
    if (!d) this.domains.set(domain, (d = { user: domain, storageKb: 0, messages: 0 }));
    this.set(d, type, v, l);
  }

  private set(q: QuotaFigures, type: string, v: number, l: number | undefined): void {
    if (type === 'STORAGE') {
      q.storageKb = v;
      q.storageLimitKb = l || undefined;
    } else if (type === 'MESSAGE') {
      q.messages = v;
      q.messageLimit = l || undefined;
    } else this.bad++;
  }
}

export class DoveadmError extends Error {}

/**
 * Runs `doveadm ARGS -f tab quota get -A` (or `-u USER`) and parses its output as it arrives;
 * rejects on a non-zero exit (with stderr's first line).
 */
export async function readDoveadmQuotas(doveadm: string, args: string[], user?: string, timeoutMs = 10 * 60 * 1000): Promise<Map<string, QuotaFigures>> {
  return (await readDoveadmQuotaReport(doveadm, args, { user, timeoutMs })).users;
}

/** readDoveadmQuotas(), with the domain quotas of `domainRoots` (domain-quota.ts finds them). */
export function readDoveadmQuotaReport(
  doveadm: string,
  args: string[],
  opts: { user?: string; domainRoots?: ReadonlySet<string>; timeoutMs?: number } = {},
): Promise<{ users: Map<string, QuotaFigures>; domains: Map<string, QuotaFigures> }> {
  const { user, timeoutMs = 10 * 60 * 1000 } = opts;
  return new Promise((resolve, reject) => {
    const parser = new QuotaParser(user, opts.domainRoots);
    let stderr = '';
    const who = user === undefined ? ['-A'] : ['-u', user];
    const child = spawn(doveadm, [...args, '-f', 'tab', 'quota', 'get', ...who], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      parser.push(d);
      // libuv reads up to 32 chunks in one go: let requests in between chunks
      child.stdout.pause();
      setImmediate(() => child.stdout.resume());
    });
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
      if (code === 0) return resolve({ users: parser.end(), domains: parser.domains });
      const why = stderr.trim().split('\n').find((l) => l.length > 0) ?? '';
      reject(new DoveadmError(`doveadm quota get ${who.join(' ')} exited ${code ?? signal}${why ? `: ${why}` : ''}`));
    });
  });
}

const yieldNow = () => new Promise<void>((r) => setImmediate(r));

/**
 * The model's quota rows, keyed by user as well. A refresh is worked out in slices of
 * `slice` users with a turn of the event loop between them (the user look-ups are what costs:
 * about 1 µs each), then applied in one synchronous step of plain field writes: a walk sees
 * the table before or after a refresh, never in between. Row indexes are given in order of
 * first sight, stay with the user while the agent runs and are never reused.
 */
export class QuotaTable {
  private readonly byUser = new Map<string, QuotaUsage>();
  private next = 1;

  constructor(private readonly model: MailSystem) {}

  async refresh(
    figures: Map<string, QuotaFigures>,
    warnPercent: number,
    at = Date.now(),
    slice = 5000,
  ): Promise<{ added: number; removed: number; over: number }> {
    // parallel arrays, not 100,000 little tuples for the garbage collector
    const rows: QuotaUsage[] = [];
    const values: QuotaFigures[] = [];
    const added: QuotaUsage[] = [];
    const removed: QuotaUsage[] = [];
    let n = 0;
    for (const f of figures.values()) {
      let row = this.byUser.get(f.user);
      if (!row) {
        row = { index: this.next++, user: f.user, storageKb: 0, messages: 0, readAt: at };
        this.byUser.set(f.user, row);
        added.push(row);
      }
      rows.push(row);
      values.push(f);
      if (++n % slice === 0) await yieldNow();
    }
    for (const row of this.byUser.values()) {
      if (!figures.has(row.user)) removed.push(row);
      if (++n % slice === 0) await yieldNow();
    }
    for (const row of removed) this.byUser.delete(row.user);
    // the one step
    let over = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const f = values[i]!;
      row.storageKb = f.storageKb;
      row.storageLimitKb = f.storageLimitKb;
      row.messages = f.messages;
      row.messageLimit = f.messageLimit;
      row.readAt = at;
      row.over = overQuota(row, warnPercent);
      if (row.over) over++;
    }
    for (const row of added) this.model.quotas.set(row.index, row);
    for (const row of removed) this.model.quotas.delete(row.index);
    return { added: added.length, removed: removed.length, over };
  }
}

export type { QuotaUsage };
