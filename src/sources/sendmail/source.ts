// The Sendmail source: reads sendmail.cf for the rows (re-read when it changes), the
// statistics file and the queue directories on their intervals (the kit's Poller, each
// with its madmanSourceTable row), and follows the log (the kit's LogSource: checkpoint
// with the in-flight state and imsimta counters, exact resume after kill -9 and rotation).
// Any of the three may be absent; docs/sendmail.md has what each one feeds.

import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import type { Logger } from '../../log.js';
import type { MailSystem } from '../../model/mail-system.js';
import { readClearRequest } from '../../state/counters-clear.js';
import { LogSource, type LogReader } from '../kit/log-source.js';
import { Poller } from '../kit/poller.js';
import { SyslogFramer } from '../kit/syslog.js';
import type { JournalEntry } from '../tail/index.js';
import type { Source } from '../registry.js';
import { parseSendmailCf, type SendmailCf } from './cf.js';
import type { SendmailSettings } from './config.js';
import { SENDMAIL_CHECKPOINT } from './counters.js';
import { QueueScanner } from './queue-dir.js';
import { applyQueue, StatisticsReadings } from './readings.js';
import { SendmailLog } from './reader.js';
import { SendmailRows } from './rows.js';
import { isSendmailState, type SendmailState } from './state.js';
import { parseStatistics } from './statistics.js';

const CLEAR_POLL_MS = 1000;

/** The LogReader the kit's LogSource drives: syslog framing, then the SendmailLog. */
export class SendmailLogReader implements LogReader<SendmailState> {
  private readonly framer: SyslogFramer<true>;

  constructor(
    readonly log: SendmailLog,
    private readonly programs: ReadonlySet<string>,
  ) {
    this.framer = new SyslogFramer({ program: (name) => (programs.has(name) ? true : undefined) });
  }

  line(text: string): boolean {
    const h = this.framer.header(text);
    if (!h) return false;
    const f = this.framer.body(text, h);
    if (f) return this.log.handle({ time: f.time, program: f.program, pid: f.pid || undefined, message: f.message });
    // not framed: another program's line (read past), or garbled (not understood)
    const m = /^([^[:\s]+)(?:\[\d+\])?: /.exec(text.slice(h.at));
    return m !== null && !this.programs.has(m[1]!);
  }

  entry(e: JournalEntry): boolean {
    return this.log.handle({ time: e.time, program: e.identifier, pid: e.pid, message: e.message });
  }

  state(): SendmailState {
    return this.log.state();
  }
}

/** The running Sendmail source: the .cf, the statistics file, the queue and the log, each with its row. */
export class SendmailSource implements Source {
  readonly name = 'sendmail';
  private tail?: LogSource<SendmailState, SendmailLogReader>;
  private rows?: SendmailRows;
  private cf?: SendmailCf;
  private cfStamp = '';
  private readonly readings: { statistics?: StatisticsReadings } = {};
  private scanner?: QueueScanner;
  private pollers: Poller[] = [];
  private statisticsPoller?: Poller;
  private queuePoller?: Poller;
  private clearTimer?: NodeJS.Timeout;
  private logger?: Logger;
  private model?: MailSystem;
  private stopped = false;

  constructor(
    private readonly settings: SendmailSettings,
    private readonly stateDir: string,
    private readonly fromStart: boolean,
    private readonly clock: () => number = Date.now,
  ) {}

  private get appName(): string {
    return this.settings.application ?? `sendmail MTA on ${os.hostname().split('.')[0]}`;
  }

  private get statisticsPath(): string | undefined {
    const s = this.settings.statistics;
    return s === false ? undefined : (s ?? this.cf?.statusFile);
  }

  /**
   * Does the statistics file own the mailers' message and volume columns? When the .cf
   * could not be read yet, it is taken to name one (the m4 kit's .cf always does).
   */
  private get statisticsOwned(): boolean {
    const s = this.settings.statistics;
    return s !== false && (s !== undefined || !this.cf || this.cf.statusFile !== undefined);
  }

  async start(model: MailSystem, log: Logger): Promise<void> {
    this.logger = log;
    this.model = model;
    const s = this.settings;
    const programs = new Set(s.programs);
    // the .cf first: it names the statistics file and the rows. One that cannot be read is
    // reported and read again on the statistics interval; what it names starts then.
    const cf = new Poller(model, log, { input: model.addInput('sendmail cf', s.cf), intervalS: s.statisticsInterval, read: () => this.readCf(), what: 'sendmail cf' });
    this.pollers.push(cf);
    await cf.start();
    const makeRows = () => {
      this.rows ??= new SendmailRows(model, this.appName, this.statisticsOwned);
      if (this.cf) this.rows.declare(this.cf, this.clock());
      return this.rows;
    };
    if (s.log || s.journal) {
      this.tail = new LogSource<SendmailState, SendmailLogReader>(model, log, {
        checkpoint: SENDMAIL_CHECKPOINT,
        input: 'sendmail log',
        log: s.journal ? { journal: { unit: s.journal.unit, identifiers: s.programs } } : { file: s.log! },
        stateDir: this.stateDir,
        fromStart: this.fromStart,
        isState: isSendmailState,
        // the model's counters are restored before this: the rows are found again by name
        reader: (saved) => new SendmailLogReader(new SendmailLog(makeRows(), programs, saved), programs),
        owns: (app) => app.name === this.appName,
      });
      this.tail.open();
    } else makeRows();
    await this.startFileInputs();
    if (this.tail) {
      this.checkClear(false);
      await this.tail.follow();
      this.clearTimer = setInterval(() => this.checkClear(), CLEAR_POLL_MS);
      this.clearTimer.unref();
    }
  }

  /** The statistics file and the queue, once the .cf (or the settings) name them. */
  private async startFileInputs(): Promise<void> {
    const model = this.model!;
    const log = this.logger!;
    const s = this.settings;
    const stats = this.statisticsPath;
    if (stats && !this.statisticsPoller && !this.stopped) {
      const input = model.addInput('sendmail statistics', stats);
      this.readings.statistics = new StatisticsReadings(this.rows!);
      this.statisticsPoller = new Poller(model, log, { input, intervalS: s.statisticsInterval, read: () => this.readStatistics(stats), what: 'sendmail statistics' });
      this.pollers.push(this.statisticsPoller);
      await this.statisticsPoller.start();
    }
    if (s.queue && this.cf && this.cf.queueGroups.length > 0 && !this.queuePoller && !this.stopped) {
      const input = model.addInput('sendmail queue', this.cf.queueGroups.map((g) => g.path).join(' '));
      this.scanner = new QueueScanner(this.cf.queueGroups);
      this.queuePoller = new Poller(model, log, { input, intervalS: s.queueInterval, read: () => this.readQueue(), what: 'sendmail queue' });
      this.pollers.push(this.queuePoller);
      await this.queuePoller.start();
    }
  }

  /**
   * Reads the .cf when it is new or changed; its rows are declared again. A .cf sendmail
   * itself would refuse (no local mailer: garbage, a sendmail.mc, a truncated file) is
   * reported, and the last good one kept.
   */
  private async readCf(): Promise<void> {
    const file = this.settings.cf;
    const st = await stat(file);
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (stamp === this.cfStamp) return;
    const cf = parseSendmailCf(await readFile(file, 'latin1'));
    if (!cf.mailerSpecs.has('local')) throw new Error(`${file}: not a sendmail.cf sendmail would run with: it defines no local mailer (Mlocal)`);
    for (const w of cf.warnings) this.logger?.warn({ cf: file }, w);
    this.cf = cf;
    this.cfStamp = stamp;
    this.scanner?.setGroups(cf.queueGroups);
    if (!this.rows) return; // the first reading, at start: the rows are made next
    this.rows.declare(cf, this.clock());
    if (this.settings.statistics === undefined && cf.statusFile === undefined && this.rows.statisticsOwned) {
      // taken to name one while it could not be read: the log counts the mailers from now on
      this.rows.statisticsOwned = false;
      this.logger?.warn({ cf: file }, 'sendmail.cf names no StatusFile: the log counts the mailers');
    }
    await this.startFileInputs();
  }

  private async readStatistics(file: string): Promise<void> {
    const st = parseStatistics(await readFile(file));
    this.readings.statistics!.apply(st, this.cf?.mailers ?? [], this.clock());
  }

  private async readQueue(): Promise<void> {
    const scans = await this.scanner!.scan();
    applyQueue(this.rows!, scans, this.clock());
    const errors = scans.flatMap((g) => g.errors);
    if (errors.length > 0) throw new Error(errors[0]);
  }

  /** A new `madman counters clear` request zeroes the imsimta counters (once per request). */
  private checkClear(save = true): void {
    const reader = this.tail?.reader.log;
    if (!reader) return;
    const req = readClearRequest(this.stateDir);
    if (!req || req.seq <= reader.clearSeq) return;
    reader.clear(req.seq, req.at);
    this.logger?.info({ seq: req.seq, at: new Date(req.at).toISOString() }, 'sendmail channel counters cleared');
    if (save) this.tail?.save();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.clearTimer);
    for (const p of this.pollers) p.stop();
    await this.tail?.stop();
  }
}
