// The Postfix source: follows a Postfix log (file or journal) into PostfixLog with the
// kit's LogSource (which counts the lines, keeps the madmanSourceTable row and checkpoints
// counters, in-flight messages and the log position together, so that a restart, kill -9
// included, counts exactly), and reads the queue on an interval (the kit's Poller).

import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import os from 'node:os';
import type { Logger } from '../../log.js';
import type { MailSystem } from '../../model/mail-system.js';
import { watchClears } from '../../state/counters-clear.js';
import { LogSource, type LogCheckpoint } from '../kit/log-source.js';
import { Poller } from '../kit/poller.js';
import type { Source } from '../registry.js';
import { PostfixLog, type PostfixLogState } from './apply.js';
import type { PostfixSettings } from './config.js';
import { applyQueue, DEFAULT_BACKOFF, nextAttempt, postfixSeconds, queueCommand, readQueue, type Backoff, type QueueRead } from './queue.js';

/** The reader's keys of the checkpoint (postfix.json); LogSource adds the model, counts and position. */
export interface PostfixState {
  log: PostfixLogState;
}

export type PostfixCheckpoint = LogCheckpoint<PostfixState>;

export class PostfixSource implements Source {
  readonly name = 'postfix';
  private tail?: LogSource<PostfixState, PostfixLog>;
  private poller?: Poller;
  private syslogName?: string;
  private mailVersion = '';
  private clears?: ReturnType<typeof watchClears>;
  private model?: MailSystem;
  /** a queue reading taken before the log showed its MTA: applied as soon as it does */
  private waitingQueue?: QueueRead;
  /** qmgr's backoff between attempts (postconf, when the queue is a config directory) */
  private backoff: Backoff = DEFAULT_BACKOFF;

  constructor(
    private readonly settings: PostfixSettings,
    private readonly stateDir: string,
    private readonly fromStart: boolean,
  ) {}

  async start(model: MailSystem, log: Logger): Promise<void> {
    const { settings } = this;
    this.model = model;
    const tail = (this.tail = new LogSource<PostfixState, PostfixLog>(model, log, {
      checkpoint: 'postfix',
      input: 'postfix log',
      log: settings.journal ? { journal: settings.journal } : { file: settings.log },
      stateDir: this.stateDir,
      fromStart: this.fromStart,
      isState: (v) => typeof v.log === 'object' && v.log !== null,
      reader: (saved) => {
        const plog = new PostfixLog(model, { contentFilterServices: settings.contentFilterServices, described: settings });
        // after the counters: the in-flight state re-opens the sessions still open
        if (saved) plog.restore(saved.log);
        return plog;
      },
      owns: (app) => this.tail?.reader.owns(app) ?? false,
      legacyCounts: (saved) => legacyCounts(saved.log),
      downWhileUnreadable: true,
      // a queue reading waiting for the log's MTA lands on it with the batch that makes it
      afterBatch: () => {
        if (this.waitingQueue) this.applyReading(this.waitingQueue);
      },
    }));
    const plog = tail.open();
    // a clear asked for while the agent was stopped: applied now, saved with the first batch
    this.clears = watchClears(this.stateDir, () => plog.channelCounters.clearSeq, (req, timer) => {
      plog.clearCounters(req.seq, req.at);
      log.info({ seq: req.seq, at: new Date(req.at).toISOString() }, 'channel counters cleared');
      if (timer) tail.save();
    });
    this.clears.check();
    // Before the first line: the MTA of a queue given as a config directory exists from the start.
    const queue = settings.queue;
    if (queue && isDir(queue)) await this.declareQueueMta(queue, log);
    await tail.follow();
    if (queue) await this.startQueue(model, log, queue);
  }

  private async startQueue(model: MailSystem, log: Logger, spec: string): Promise<void> {
    const command = queueCommand(spec);
    const input = model.addInput('postfix queue', command.join(' '));
    this.poller = new Poller(model, log, {
      input,
      what: 'postfix queue',
      intervalS: this.settings.queueInterval,
      read: async () => {
        const read = await readQueue(command);
        if (this.poller?.isStopped) return;
        // before the log shows the MTA (a command: its instance cannot be asked) the reading
        // waits for the log's batch that makes it, so the first request that sees the MTA has the figures
        if (!this.applyReading(read)) this.waitingQueue = read;
        input.lines += read.messages.length;
        input.unparsed += read.bad;
      },
    });
    await this.poller.start();
  }

  /** Puts a queue reading on the MTA of the log; false when the log has shown none yet. */
  private applyReading(read: QueueRead): boolean {
    const ctx = this.tail?.reader.queueContext(this.syslogName);
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

  /**
   * The queue's instance from its main.cf: its MTA is made now, named as its log lines
   * will name it (`<syslog_name> MTA on <host>`), so that the queue has a row before the
   * log speaks and the log's first line lands on that row. The host is what a line will
   * carry: Postfix's own maillog_file writes myhostname's first label, syslogd (by
   * default) this machine's short name; journal entries get this machine's name (apply.ts).
   */
  private async declareQueueMta(dir: string, log: Logger): Promise<void> {
    const conf = await postconf(dir, ['syslog_name', 'myhostname', 'mail_version', 'maillog_file', 'minimal_backoff_time', 'maximal_backoff_time']);
    const min = postfixSeconds(conf.get('minimal_backoff_time'));
    const max = postfixSeconds(conf.get('maximal_backoff_time'));
    if (min !== undefined && max !== undefined) this.backoff = { min, max };
    const syslogName = conf.get('syslog_name')?.split('/')[0];
    if (!syslogName) {
      log.warn({ dir }, 'postconf cannot tell the queue\'s syslog_name; its MTA waits for the log');
      return;
    }
    const version = conf.get('mail_version');
    this.syslogName = syslogName;
    if (version) this.mailVersion = `Postfix ${version}`;
    let host: string | undefined;
    if (!this.settings.journal) host = (conf.get('maillog_file') ? conf.get('myhostname') : os.hostname())?.split('.')[0];
    this.tail!.reader.declare(syslogName, host, this.mailVersion || undefined);
  }

  async stop(): Promise<void> {
    this.clears?.stop();
    this.poller?.stop();
    await this.tail?.stop();
  }
}

/** Lines and unparsed lines of a checkpoint written before the source kit (PostfixLog counted them). */
function legacyCounts(saved: PostfixLogState): { lines: number; unparsed: number } {
  const stats = saved.stats as PostfixLogState['stats'] & { lines?: number };
  let unparsed = 0;
  for (const n of Object.values(stats.unparsed)) unparsed += n;
  return { lines: stats.lines ?? 0, unparsed };
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
