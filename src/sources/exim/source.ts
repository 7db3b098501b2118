// The Exim source: follows Exim's mainlog with its rejectlog and paniclog beside it (or
// Exim's lines in a syslog file or the journal) into EximLog with the kit's LogSource, which
// counts the lines, keeps a madmanSourceTable row per log and checkpoints counters, in-flight
// messages and connections, and every log's position together; and reads the queue on an
// interval with the kit's Poller.

import type { Logger } from '../../log.js';
import type { MailSystem } from '../../model/mail-system.js';
import { LogSource, type LogCheckpoint, type SideLog } from '../kit/log-source.js';
import { Poller } from '../kit/poller.js';
import type { Source } from '../registry.js';
import { EximLog, type EximState } from './apply.js';
import type { EximSettings } from './config.js';
import { applyQueue, readQueue } from './queue.js';
import type { QueueListing } from './queue-list.js';
import { isEximLogState } from './state.js';

export type EximCheckpoint = LogCheckpoint<EximState>;

export class EximSource implements Source {
  readonly name = 'exim';
  private tail?: LogSource<EximState, EximLog>;
  private poller?: Poller;

  constructor(
    private readonly settings: EximSettings,
    private readonly stateDir: string,
    private readonly fromStart: boolean,
  ) {}

  async start(model: MailSystem, log: Logger): Promise<void> {
    const s = this.settings;
    const side: SideLog[] = [];
    if (s.log && s.rejectLog) side.push({ key: 'reject', input: 'exim rejectlog', file: s.rejectLog });
    if (s.log && s.panicLog) side.push({ key: 'panic', input: 'exim paniclog', file: s.panicLog, absentOk: true });
    const tail = (this.tail = new LogSource<EximState, EximLog>(model, log, {
      checkpoint: 'exim',
      input: 'exim log',
      log: s.journal ? { journal: s.journal.unit ? { unit: s.journal.unit } : { identifiers: ['exim', 'exim4'] } } : { file: s.log },
      side,
      stateDir: this.stateDir,
      fromStart: this.fromStart,
      isState: (v) => isEximLogState(v.log),
      reader: (saved) => new EximLog(model, { host: s.hostname, listeners: s.listeners }, saved?.log),
      owns: (app) => app === this.tail?.reader.app,
      downWhileUnreadable: true,
    }));
    tail.open();
    await tail.follow();
    if (s.queue) await this.startQueue(model, log, s.queue);
  }

  private async startQueue(model: MailSystem, log: Logger, command: string[]): Promise<void> {
    const input = model.addInput('exim queue', command.join(' '));
    let last: QueueListing | undefined;
    this.poller = new Poller(model, log, {
      input,
      what: 'exim queue',
      intervalS: this.settings.queueInterval,
      read: async () => {
        const q = await readQueue(command);
        if (this.poller?.isStopped || !this.tail) return;
        applyQueue(model, this.tail.reader, q);
        input.lines += q.messages.length;
        last = q;
      },
    });
    // A first reading taken while a backfill is still reading the log attributes only the
    // messages the log has shown so far to their groups: applied again once the log is read.
    const tail = this.tail!;
    void tail.caughtUp().then(() => {
      if (last && !this.poller?.isStopped) applyQueue(model, tail.reader, last);
    });
    await this.poller.start();
  }

  async stop(): Promise<void> {
    this.poller?.stop();
    await this.tail?.stop();
  }
}
