// The Postfix source: follows a Postfix log (file or journal), feeds PostfixLog,
// reads the queue on an interval, and checkpoints counters, in-flight messages and
// the log position together so that a restart (kill -9 included) counts exactly.

import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import os from 'node:os';
import type { PostfixSettings, Settings } from '../../config/config.js';
import type { Logger } from '../../log.js';
import type { MailSystem, OperStatus, SourceInput } from '../../model/mail-system.js';
import { restoreModel, snapshotModel, type ModelSnapshot } from '../../model/persist.js';
import { Checkpoint } from '../../state/checkpoint.js';
import { CheckpointSaver } from '../../state/checkpoint-saver.js';
import { watchClears } from '../../state/counters-clear.js';
import { registerSource, type Source } from '../registry.js';
import { FileFollower, JournalFollower, type FilePosition, type FollowerStatus, type JournalPosition } from '../tail/index.js';
import { PostfixLog, type PostfixLogState } from './apply.js';
import { parseMessage } from './parse.js';
import { applyQueue, DEFAULT_BACKOFF, nextAttempt, postfixSeconds, queueCommand, readQueue, type Backoff, type QueueRead } from './queue.js';

export interface PostfixCheckpoint {
  version: 1;
  model: ModelSnapshot;
  log: PostfixLogState;
  position?: FilePosition | JournalPosition;
}

function isCheckpoint(v: unknown): v is PostfixCheckpoint {
  const o = v as Partial<PostfixCheckpoint> | null;
  return typeof o === 'object' && o !== null && o.version === 1 && typeof o.model === 'object' && typeof o.log === 'object';
}

export class PostfixSource implements Source {
  readonly name = 'postfix';
  private plog?: PostfixLog;
  private follower?: FileFollower | JournalFollower;
  private checkpoint: Checkpoint<PostfixCheckpoint>;
  private saver?: CheckpointSaver<PostfixCheckpoint, FilePosition | JournalPosition>;
  private model?: MailSystem;
  private log?: Logger;
  private queueTimer?: NodeJS.Timeout;
  private progressTimer?: NodeJS.Timeout;
  private queueError = '';
  private syslogName?: string;
  private logDown = false;
  private appNames = new Set<string>();
  private logInput?: SourceInput;
  private clears?: ReturnType<typeof watchClears>;
  /** a queue reading taken before the log showed its MTA: applied as soon as it does */
  private waitingQueue?: QueueRead;
  private backoff: Backoff = DEFAULT_BACKOFF;

  constructor(
    private readonly settings: PostfixSettings,
    private readonly stateDir: string,
    private readonly fromStart: boolean,
  ) {
    this.checkpoint = new Checkpoint(stateDir, 'postfix', isCheckpoint);
  }

  async start(model: MailSystem, log: Logger): Promise<void> {
    this.model = model;
    this.log = log;
    const plog = (this.plog = new PostfixLog(model, { contentFilterServices: this.settings.contentFilterServices, described: this.settings }));
    this.saver = new CheckpointSaver(this.checkpoint, (position) => this.body(position), log, (at) => {
      if (this.logInput) this.logInput.lastCheckpoint = at;
    });
    const saved = this.checkpoint.load();
    if (saved) {
      // Counters first, then in-flight state (which re-opens the sessions still open).
      restoreModel(model, saved.model);
      plog.restore(saved.log);
      for (const a of saved.model.applications) this.appNames.add(a.name);
      log.info({ file: this.checkpoint.file, lines: saved.log.stats.lines }, 'resumed from checkpoint');
    }
    const journal = this.settings.journal;
    this.logInput = model.addInput('postfix log', journal ? `journal${journal.unit ? ` ${journal.unit}` : ''}` : (this.settings.log ?? ''));
    this.counted();
    // Before the first line: the MTA of a queue given as a config directory exists from the start.
    const queue = this.settings.queue;
    if (queue && isDir(queue)) await this.declareQueueMta(queue);
    // a clear asked for while the agent was stopped is applied now and saved with the first batch
    this.clears = watchClears(this.stateDir, () => plog.channelCounters.clearSeq, (req, timer) => {
      plog.clearCounters(req.seq, req.at);
      log.info({ seq: req.seq, at: new Date(req.at).toISOString() }, 'channel counters cleared');
      if (timer) this.saver?.save(this.follower?.position());
    });
    this.clears.check();
    const onStatus = (s: FollowerStatus) => this.inputStatus(s);
    const onError = (err: Error) => log.error({ err: err.message }, 'applying log lines failed');
    if (this.settings.journal) {
      const unit = this.settings.journal.unit;
      this.follower = new JournalFollower({
        units: unit ? [unit] : undefined,
        fromStart: this.fromStart && !saved,
        position: saved?.position && 'cursor' in saved.position ? saved.position : undefined,
        onStatus,
        onError,
        onBatch: (entries, pos) => {
          for (const e of entries) {
            plog.stats.lines++;
            const p = parseMessage(e.identifier, e.pid, e.message, e.time);
            if (p) plog.apply(p);
          }
          this.counted();
          this.queueWaiting();
          this.saver?.saved(pos, entries.length === 0);
        },
      });
    } else if (this.settings.log) {
      const follower = new FileFollower(this.settings.log, {
        fromStart: this.fromStart && !saved,
        position: saved?.position && 'ino' in saved.position ? saved.position : undefined,
        onStatus,
        onError,
        onBatch: (lines, pos) => {
          for (const l of lines) plog.line(l);
          this.counted();
          this.queueWaiting();
          this.saver?.saved(pos, lines.length === 0);
        },
      });
      this.follower = follower;
      if (this.fromStart && !saved && process.stderr.isTTY) this.showProgress(follower);
    }
    this.follower?.start();
    if (this.settings.queue) await this.startQueue(this.settings.queue);
  }

  /** Lines read and not understood, for madmanSourceTable. */
  private counted(): void {
    if (!this.logInput || !this.plog) return;
    const st = this.plog.stats;
    this.logInput.lines = st.lines;
    let unparsed = 0;
    for (const n of Object.values(st.unparsed)) unparsed += n;
    this.logInput.unparsed = unparsed;
  }

  /** What is checkpointed (by this.saver, at most once a second and at stop). */
  private body(position: FilePosition | JournalPosition | undefined): PostfixCheckpoint | undefined {
    if (!this.plog || !this.model) return undefined;
    const plogState = this.plog.snapshot();
    for (const i of plogState.instances) this.appNames.add(`${i.syslogName} MTA on ${i.host}`);
    return {
      version: 1,
      model: snapshotModel(this.model, (app) => this.appNames.has(app.name)),
      log: plogState,
      position,
    };
  }

  /** An unreadable log marks the MTAs down (their state is unknown); readable again, they are back. */
  private inputStatus(s: FollowerStatus): void {
    const apps = [...(this.model?.applications.values() ?? [])].filter((a) => this.appNames.has(a.name));
    if (this.model && this.logInput) this.model.inputStatus(this.logInput, s.ok, s.ok ? '' : s.reason);
    if (!s.ok) {
      this.log?.error({ log: this.settings.log ?? 'journal', reason: s.reason }, 'postfix log unreadable; retrying');
      this.logDown = true;
      for (const a of apps) setStatus(a, 'down');
    } else if (this.logDown) {
      this.logDown = false;
      this.log?.warn({ log: this.settings.log ?? 'journal' }, 'postfix log readable again');
      for (const a of apps) setStatus(a, 'up');
    }
  }

  private async startQueue(spec: string): Promise<void> {
    const command = queueCommand(spec);
    const input = this.model!.addInput('postfix queue', command.join(' '));
    const poll = async () => {
      try {
        const read = await readQueue(command);
        // before the log shows the MTA (a command: its instance cannot be asked) the reading
        // waits for the log's first batch, so the first request after start has the figures
        if (!this.applyReading(read)) this.waitingQueue = read;
        if (this.queueError) this.log?.warn({ command: command.join(' ') }, 'postfix queue readable again');
        this.queueError = '';
        input.lines += read.messages.length;
        input.unparsed += read.bad;
        this.model?.inputStatus(input, true);
      } catch (err) {
        const msg = (err as Error).message;
        if (msg !== this.queueError) this.log?.error({ command: command.join(' '), err: msg }, 'cannot read the postfix queue; retrying');
        this.queueError = msg;
        this.model?.inputStatus(input, false, msg);
      }
    };
    // The next reading is scheduled when this one is over, so slow readings never overlap.
    const loop = async () => {
      await poll();
      if (this.stopped) return;
      this.queueTimer = setTimeout(() => void loop(), this.settings.queueInterval * 1000);
      this.queueTimer.unref();
    };
    await loop();
  }

  private stopped = false;

  /** Puts a queue reading on the MTA of the log; false when the log has shown none yet. */
  private applyReading(read: QueueRead): boolean {
    const ctx = this.plog?.queueContext(this.syslogName);
    if (!ctx || !this.model) return false;
    this.waitingQueue = undefined;
    const backoff = this.backoff;
    applyQueue(this.model, ctx.app, read, ctx.groupOf, {
      retryAt: (m) => {
        const at = ctx.deferredAt(m.id);
        return at === undefined ? undefined : nextAttempt(at, m.arrival, backoff);
      },
    });
    if (!ctx.app.version && this.mailVersion) ctx.app.version = this.mailVersion;
    return true;
  }

  /** After a batch of log lines: a queue reading that waited for the MTA is applied once the log shows it. */
  private queueWaiting(): void {
    if (this.waitingQueue) this.applyReading(this.waitingQueue);
  }

  /**
   * The queue's instance from its main.cf: its MTA is made now, named as its log lines
   * will name it (`<syslog_name> MTA on <host>`), so that the queue has a row before the
   * log speaks and the log's first line lands on that row. The host is what a line will
   * carry: Postfix's own maillog_file writes myhostname's first label, syslogd (by
   * default) this machine's short name; journal entries get this machine's name (apply.ts).
   */
  private async declareQueueMta(dir: string): Promise<void> {
    const conf = await postconf(dir, ['syslog_name', 'myhostname', 'mail_version', 'maillog_file', 'minimal_backoff_time', 'maximal_backoff_time']);
    const min = postfixSeconds(conf.get('minimal_backoff_time'));
    const max = postfixSeconds(conf.get('maximal_backoff_time'));
    if (min !== undefined && max !== undefined) this.backoff = { min, max };
    const syslogName = conf.get('syslog_name')?.split('/')[0];
    if (!syslogName) {
      this.log?.warn({ dir }, 'postconf cannot tell the queue\'s syslog_name; its MTA waits for the log');
      return;
    }
    const version = conf.get('mail_version');
    this.syslogName = syslogName;
    if (version) this.mailVersion = `Postfix ${version}`;
    let host: string | undefined;
    if (!this.settings.journal) host = (conf.get('maillog_file') ? conf.get('myhostname') : os.hostname())?.split('.')[0];
    const app = this.plog!.declare(syslogName, host, this.mailVersion || undefined);
    if (app) this.appNames.add(app.name);
  }

  private mailVersion = '';

  private showProgress(f: FileFollower): void {
    const draw = () => {
      const { offset, size } = f.progress();
      const pct = size ? Math.min(100, Math.floor((offset * 100) / size)) : 100;
      const bar = '#'.repeat(Math.floor(pct / 4)).padEnd(25, '.');
      process.stderr.write(`\rreading ${this.settings.log} [${bar}] ${pct}%`);
      if (pct >= 100) {
        process.stderr.write('\n');
        clearInterval(this.progressTimer);
      }
    };
    this.progressTimer = setInterval(draw, 200);
    this.progressTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clears?.stop();
    clearTimeout(this.queueTimer);
    clearInterval(this.progressTimer);
    await this.follower?.stop();
    this.saver?.flush(this.follower?.position());
  }
}

function setStatus(a: { operStatus: OperStatus; lastChange?: number }, s: OperStatus): void {
  if (a.operStatus !== s) {
    a.operStatus = s;
    a.lastChange = Date.now();
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** `postconf -c DIR -x NAME...` as name -> value (empty values left out; none when postconf fails). */
function postconf(dir: string, names: string[]): Promise<Map<string, string>> {
  return new Promise((resolve) => {
    // -x expands $names: a default syslog_name is "${multi_instance_name?...}" unexpanded.
    // Not -h: a parameter an old Postfix does not know would shift the lines.
    execFile('postconf', ['-c', dir, '-x', ...names], { timeout: 10_000 }, (err, stdout) => {
      const out = new Map<string, string>();
      if (!err) {
        for (const m of stdout.matchAll(/^(\w+) = (.*)$/gm)) if (m[2]!.trim()) out.set(m[1]!, m[2]!.trim());
      }
      resolve(out);
    });
  });
}

registerSource('postfix', (s: Settings) =>
  s.postfix && (s.postfix.log || s.postfix.journal) ? new PostfixSource(s.postfix, s.stateDir, s.fromStart) : undefined,
);
