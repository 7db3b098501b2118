// The Dovecot source: follows Dovecot's log (a file, or the journal) into per-service
// statistics (stats.ts), cross-checks the current sessions with `doveadm who` (who.ts), and
// reads mailbox quotas with `doveadm quota get -A` (quota.ts) or over IMAP as a master user
// (imap-quota.ts) on an interval. Each input has a madmanSourceTable row; an input that fails
// (log unreadable, Dovecot down, doveadm or the master login refused) is reported there and
// retried at its next interval. Counters, open sessions and the log position are checkpointed
// together (checkpoint.ts) at most once a second and at stop, so a restart continues the counts.

import { execFile } from 'node:child_process';
import { doveadmArgs, type DovecotSettings } from '../../config/dovecot.js';
import type { Settings } from '../../config/config.js';
import type { Logger } from '../../log.js';
import type { MailSystem, SourceInput } from '../../model/mail-system.js';
import { restoreModel, snapshotModel } from '../../model/persist.js';
import { Checkpoint } from '../../state/checkpoint.js';
import { CheckpointSaver } from '../../state/checkpoint-saver.js';
import { registerSource, type Source } from '../registry.js';
import { FileFollower, JournalFollower, trackBackfill, type BackfillReport, type FilePosition, type FollowerStatus, type JournalPosition } from '../tail/index.js';
import { isDovecotCheckpoint, type DovecotCheckpoint } from './checkpoint.js';
import { readImapQuotas } from './imap-quota.js';
import { parseLine, parseMessage } from './parse.js';
import { QuotaTable, readDoveadmQuotas } from './quota.js';
import { DovecotStats } from './stats.js';
import { parseWho, reconcile } from './who.js';

export class DovecotSource implements Source {
  readonly name = 'dovecot';
  private model?: MailSystem;
  private log?: Logger;
  private stats?: DovecotStats;
  private follower?: FileFollower | JournalFollower;
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private quotaTable?: QuotaTable;
  private logInput?: SourceInput;
  private lines = 0;

  private readonly checkpoint: Checkpoint<DovecotCheckpoint>;
  private saver?: CheckpointSaver<DovecotCheckpoint, FilePosition | JournalPosition>;

  constructor(
    private readonly settings: DovecotSettings,
    private readonly fromStart: boolean,
    stateDir: string,
  ) {
    this.checkpoint = new Checkpoint(stateDir, 'dovecot', isDovecotCheckpoint);
  }

  start(model: MailSystem, log: Logger): void {
    this.model = model;
    this.log = log;
    this.saver = new CheckpointSaver(this.checkpoint, (position) => this.body(position), log, (at) => {
      if (this.logInput) this.logInput.lastCheckpoint = at;
    });
    const s = this.settings;
    const stats = (this.stats = new DovecotStats(model, 'dovecot', s.services, s.quotaMethod === 'imap' ? s.imap?.master : undefined));
    this.quotaTable = new QuotaTable(model);
    const saved = this.checkpoint.load();
    if (saved) {
      restoreModel(model, saved.model);
      stats.restore(saved.services);
      this.lines = saved.lines;
      stats.counts.unparsed = saved.unparsed;
      log.info({ file: this.checkpoint.file, lines: saved.lines }, 'resumed from checkpoint');
    }
    const fromStart = this.fromStart && !saved;
    const onStatus = (st: FollowerStatus) => this.status(this.logInput!, 'dovecot log', st.ok ? '' : st.reason);
    const onError = (err: Error) => log.error({ err: err.message }, 'applying dovecot log lines failed');
    if (s.journal) {
      this.logInput = model.addInput('dovecot log', `journal${s.journal.unit ? ` ${s.journal.unit}` : ''}`);
      this.follower = new JournalFollower({
        units: s.journal.unit ? [s.journal.unit] : undefined,
        identifiers: s.journal.unit ? undefined : ['dovecot'],
        fromStart,
        position: saved?.position && 'cursor' in saved.position ? saved.position : undefined,
        onStatus,
        onError,
        onBatch: (entries, pos) => {
          for (const e of entries) {
            this.lines++;
            const ev = parseMessage(e.message, e.time, e.identifier === 'dovecot');
            if (ev) stats.apply(ev);
          }
          this.counted();
          this.saver?.saved(pos, entries.length === 0);
        },
      });
    } else if (s.log) {
      this.logInput = model.addInput('dovecot log', s.log);
      this.follower = new FileFollower(s.log, {
        fromStart,
        position: saved?.position && 'ino' in saved.position ? saved.position : undefined,
        onStatus,
        onError,
        onBatch: (lines, pos) => {
          const now = Date.now();
          for (const l of lines) {
            this.lines++;
            const ev = parseLine(l, { now });
            if (ev) stats.apply(ev);
          }
          this.counted();
          this.saver?.saved(pos, lines.length === 0);
        },
      });
    }
    if (fromStart && this.follower instanceof FileFollower) this.backfill = trackBackfill(this.follower, 'dovecot log', log);
    this.follower?.start();
    const doveadm = [s.doveadm, ...doveadmArgs(s)].join(' ');
    if (s.whoInterval > 0) {
      const input = model.addInput('dovecot sessions', `${doveadm} who`);
      this.every(s.whoInterval, () => this.who(input));
    }
    if (s.quotaInterval > 0) {
      const imap = s.quotaMethod === 'imap' ? s.imap : undefined;
      const input = model.addInput('dovecot quotas', imap ? `IMAP GETQUOTAROOT ${imap.host}:${imap.port} as *${imap.master}` : `${doveadm} quota get -A`);
      this.every(s.quotaInterval, () => this.quotas(input));
    }
  }

  /** Runs `task` now and then `seconds` after each run ends (runs never overlap). */
  private every(seconds: number, task: () => Promise<void>): void {
    const loop = async () => {
      await task();
      if (this.stopped) return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        void loop();
      }, seconds * 1000);
      t.unref();
      this.timers.add(t);
    };
    void loop();
  }

  private counted(): void {
    if (!this.logInput || !this.stats) return;
    this.logInput.lines = this.lines;
    this.logInput.unparsed = this.stats.counts.unparsed;
  }

  private status(input: SourceInput, what: string, error: string): void {
    if (!this.model) return;
    if (error && error !== input.reason) this.log?.error({ input: input.input, err: error }, `${what} failing; retrying`);
    else if (!error && !input.ok) this.log?.warn({ input: input.input }, `${what} working again`);
    this.model.inputStatus(input, !error, error);
  }

  /** One `doveadm who` cross-check (who.ts says what is corrected). */
  async who(input: SourceInput): Promise<void> {
    const s = this.settings;
    const ranAt = Date.now();
    const r = await run(s.doveadm, [...doveadmArgs(s), '-f', 'tab', 'who', '-1']);
    if (this.stopped || !this.stats) return;
    if (r.error) return this.status(input, 'doveadm who', r.error);
    const entries = parseWho(r.stdout);
    input.lines += entries.length;
    const { closed, opened } = reconcile(this.stats, entries, ranAt);
    if (closed || opened) this.log?.info({ closed, opened }, 'sessions corrected by doveadm who');
    this.status(input, 'doveadm who', '');
  }

  /** One quota refresh: the table changes only when the whole reading succeeded. */
  async quotas(input: SourceInput): Promise<void> {
    const s = this.settings;
    try {
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
      this.status(input, 'quota reading', '');
    } catch (err) {
      if (!this.stopped) this.status(input, 'quota reading', (err as Error).message);
    }
  }

  /** What is checkpointed (by this.saver, at most once a second and at stop). */
  private body(position: FilePosition | JournalPosition | undefined): DovecotCheckpoint | undefined {
    if (!this.stats || !this.model) return undefined;
    const names = new Set(this.stats.services().map((st) => st.app.name));
    return {
      version: 1,
      model: snapshotModel(this.model, (app) => names.has(app.name)),
      services: this.stats.snapshot(),
      lines: this.lines,
      unparsed: this.stats.counts.unparsed,
      position,
    };
  }

  private backfill?: BackfillReport;

  async stop(): Promise<void> {
    this.backfill?.stop();
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.follower?.stop();
    if (this.follower) this.saver?.flush(this.follower.position());
    else this.saver?.cancel();
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

registerSource('dovecot', (settings: Settings) =>
  settings.dovecot ? new DovecotSource(settings.dovecot, settings.fromStart, settings.stateDir) : undefined,
);
