// The Dovecot source: follows Dovecot's log (a file, or the journal) into per-service
// statistics (stats.ts) with the kit's LogSource, cross-checks the current sessions with
// `doveadm who` (who.ts), and reads mailbox quotas with `doveadm quota get -A` (quota.ts) or
// over IMAP as a master user (imap-quota.ts) on an interval (the kit's Poller). Each input has
// a madmanSourceTable row; an input that fails (log unreadable, Dovecot down, doveadm or the
// master login refused) is reported there and retried at its next interval. Counters, open
// sessions and the log position are checkpointed together (checkpoint.ts) at most once a
// second and at stop, so a restart continues the counts.

import { execFile } from 'node:child_process';
import type { Logger } from '../../log.js';
import type { MailSystem, SourceInput } from '../../model/mail-system.js';
import { LogSource, type LogReader } from '../kit/log-source.js';
import { Poller } from '../kit/poller.js';
import type { Source } from '../registry.js';
import type { ServiceSnapshot } from './session.js';
import { doveadmArgs, type DovecotSettings } from './config.js';
import { readImapQuotas } from './imap-quota.js';
import { DovecotLineParser, parseMessage } from './parse.js';
import { QuotaTable, readDoveadmQuotas } from './quota.js';
import { DovecotStats } from './stats.js';
import { parseWho, reconcile } from './who.js';

/** The reader's keys of the checkpoint (dovecot.json); LogSource adds the model, counts and position. */
export interface DovecotState {
  services: ServiceSnapshot[];
}

export class DovecotSource implements Source {
  readonly name = 'dovecot';
  private stats?: DovecotStats;
  private tail?: LogSource<DovecotState, LogReader<DovecotState>>;
  private readonly pollers: Poller[] = [];
  private stopped = false;
  private quotaTable?: QuotaTable;
  private log?: Logger;

  constructor(
    private readonly settings: DovecotSettings,
    private readonly fromStart: boolean,
    private readonly stateDir: string,
  ) {}

  async start(model: MailSystem, log: Logger): Promise<void> {
    const s = this.settings;
    this.log = log;
    const stats = (this.stats = new DovecotStats(model, 'dovecot', s.services, s.quotaMethod === 'imap' ? s.imap?.master : undefined));
    this.quotaTable = new QuotaTable(model);
    if (s.log || s.journal) {
      const names = () => new Set(stats.services().map((st) => st.app.name));
      const tail = (this.tail = new LogSource<DovecotState, LogReader<DovecotState>>(model, log, {
        checkpoint: 'dovecot',
        input: 'dovecot log',
        log: s.journal ? { journal: { unit: s.journal.unit, identifiers: ['dovecot'] } } : { file: s.log },
        stateDir: this.stateDir,
        fromStart: this.fromStart,
        isState: (v) => Array.isArray(v.services),
        reader: (saved) => {
          if (saved) stats.restore(saved.services);
          const parser = new DovecotLineParser();
          return {
            line: (l) => {
              const ev = parser.parseLine(l);
              if (ev) stats.apply(ev);
              return ev?.kind !== 'unparsed';
            },
            entry: (e) => {
              const ev = parseMessage(e.message, e.time, e.identifier === 'dovecot');
              if (ev) stats.apply(ev);
              return ev?.kind !== 'unparsed';
            },
            state: () => ({ services: stats.snapshot() }),
          };
        },
        owns: (app) => names().has(app.name),
      }));
      await tail.follow();
    }
    const doveadm = [s.doveadm, ...doveadmArgs(s)].join(' ');
    if (s.whoInterval > 0) {
      const input = model.addInput('dovecot sessions', `${doveadm} who`);
      this.poll(model, log, input, 'doveadm who', s.whoInterval, () => this.who(input));
    }
    if (s.quotaInterval > 0) {
      const imap = s.quotaMethod === 'imap' ? s.imap : undefined;
      const input = model.addInput('dovecot quotas', imap ? `IMAP GETQUOTAROOT ${imap.host}:${imap.port} as *${imap.master}` : `${doveadm} quota get -A`);
      this.poll(model, log, input, 'quota reading', s.quotaInterval, () => this.quotas(input));
    }
  }

  /** Reads `input` now and then `seconds` after each reading ends (the kit's Poller). */
  private poll(model: MailSystem, log: Logger, input: SourceInput, what: string, seconds: number, read: () => Promise<void>): void {
    const p = new Poller(model, log, { input, what, intervalS: seconds, read });
    this.pollers.push(p);
    void p.start();
  }

  /** One `doveadm who` cross-check (who.ts says what is corrected). */
  async who(input: SourceInput): Promise<void> {
    const s = this.settings;
    const ranAt = Date.now();
    const r = await run(s.doveadm, [...doveadmArgs(s), '-f', 'tab', 'who', '-1']);
    if (this.stopped || !this.stats) return;
    if (r.error) throw new Error(r.error);
    const entries = parseWho(r.stdout);
    input.lines += entries.length;
    const { closed, opened } = reconcile(this.stats, entries, ranAt);
    if (closed || opened) this.log?.info({ closed, opened }, 'sessions corrected by doveadm who');
  }

  /** One quota refresh: the table changes only when the whole reading succeeded. */
  async quotas(input: SourceInput): Promise<void> {
    const s = this.settings;
    const imap = s.quotaMethod === 'imap' ? s.imap : undefined;
    const figures = imap
      ? await readImapQuotas(imap, [...imap.users, ...(this.stats?.users ?? [])], {
          loggingIn: (user) => this.stats?.own.expect(user),
          // a user seen logging in that no longer exists is not asked again
          unknown: (user) => this.stats?.users.delete(user),
        })
      : await readDoveadmQuotas(s.doveadm, doveadmArgs(s));
    if (this.stopped || !this.quotaTable) return;
    const r = await this.quotaTable.refresh(figures, s.quotaWarnPercent);
    input.lines += figures.size;
    this.log?.debug({ users: figures.size, ...r }, 'quotas read');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of this.pollers) p.stop();
    await this.tail?.stop();
  }
}

function run(cmd: string, args: string[]): Promise<{ stdout: string; error: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const why = String(stderr).trim().split('\n').find((l) => l.length > 0) ?? '';
      resolve({ stdout: String(stdout), error: err ? `${cmd} ${args.join(' ')} failed${why ? `: ${why}` : `: ${err.message}`}` : '' });
    });
  });
}
