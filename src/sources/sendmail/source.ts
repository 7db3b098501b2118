// The Sendmail source: reads sendmail.cf for the rows (re-read when it changes), the
// statistics file and the queue directories on their intervals (the kit's Poller, each
// with its madmanSourceTable row), and follows the log (the kit's LogSource: checkpoint
// with the in-flight state and imsimta counters, exact resume after kill -9 and rotation).
// Any of the three may be absent; docs/sendmail.md has what each one feeds.

import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import type { Logger } from '../../log.js';
import type { MailSystem, SourceInput } from '../../model/mail-system.js';
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

export class SendmailSource implements Source {
  readonly name = 'sendmail';
  private tail?: LogSource<SendmailState, SendmailLogReader>;
  private rows?: SendmailRows;
  private cf?: SendmailCf;
  private cfStamp = '';
  private readonly readings: { statistics?: StatisticsReadings } = {};
  private scanner?: QueueScanner;
  private pollers: Poller[] = [];
  private clearTimer?: NodeJS.Timeout;
  private logger?: Logger;

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

  async start(model: MailSystem, log: Logger): Promise<void> {
    this.logger = log;
    const s = this.settings;
    const programs = new Set(s.programs);
    // the .cf first: it names the statistics file and the rows (a missing .cf is reported, not fatal)
    const cfInput = model.addInput('sendmail cf', s.cf);
    await this.readCf(model, cfInput);
    const owned = s.statistics !== false && (s.statistics !== undefined || this.cf?.statusFile !== undefined);
    const makeRows = () => {
      this.rows ??= new SendmailRows(model, this.appName, owned);
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

    const stats = this.statisticsPath;
    if (stats) {
      const input = model.addInput('sendmail statistics', stats);
      this.readings.statistics = new StatisticsReadings(this.rows!);
      this.pollers.push(new Poller(model, log, { input, intervalS: s.statisticsInterval, read: () => this.readStatistics(model, cfInput, stats), what: 'sendmail statistics' }));
    }
    if (s.queue && this.cf && this.cf.queueGroups.length > 0) {
      const input = model.addInput('sendmail queue', this.cf.queueGroups.map((g) => g.path).join(' '));
      this.scanner = new QueueScanner(this.cf.queueGroups);
      this.pollers.push(new Poller(model, log, { input, intervalS: s.queueInterval, read: () => this.readQueue(), what: 'sendmail queue' }));
    }
    for (const p of this.pollers) await p.start();
    if (this.tail) {
      this.checkClear(false);
      await this.tail.follow();
      this.clearTimer = setInterval(() => this.checkClear(), CLEAR_POLL_MS);
      this.clearTimer.unref();
    }
  }

  /** Reads the .cf when it is new or changed; its rows are declared again. */
  private async readCf(model: MailSystem, input: SourceInput): Promise<void> {
    try {
      const st = await stat(this.settings.cf);
      const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
      if (stamp === this.cfStamp) return;
      const cf = parseSendmailCf(await readFile(this.settings.cf, 'latin1'));
      for (const w of cf.warnings) this.logger?.warn({ cf: this.settings.cf }, w);
      this.cf = cf;
      this.cfStamp = stamp;
      this.scanner?.setGroups(cf.queueGroups);
      if (this.rows) this.rows.declare(cf, this.clock());
      model.inputStatus(input, true, '', this.clock());
    } catch (err) {
      const reason = (err as Error).message;
      if (reason !== input.reason) this.logger?.error({ cf: this.settings.cf, err: reason }, 'sendmail cf unreadable');
      model.inputStatus(input, false, reason, this.clock());
    }
  }

  private async readStatistics(model: MailSystem, cfInput: SourceInput, file: string): Promise<void> {
    await this.readCf(model, cfInput);
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
    clearInterval(this.clearTimer);
    for (const p of this.pollers) p.stop();
    await this.tail?.stop();
  }
}
