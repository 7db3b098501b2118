// The one way a source reads an input on an interval (a queue command, doveadm, an IMAP
// login): the next reading starts `interval` seconds after the previous one ended, so slow
// readings never overlap, and the input's madmanSourceTable row says ok, or failing and
// why. A failure is logged once per distinct reason and its recovery once; the input is
// tried again at the next interval.

import type { Logger } from '../../log.js';
import type { MailSystem, SourceInput } from '../../model/mail-system.js';

export interface PollerOptions {
  /** the input's madmanSourceTable row (model.addInput) */
  input: SourceInput;
  /** seconds from the end of one reading to the start of the next */
  intervalS: number;
  /** one reading; a rejection marks the input failing with its message */
  read(): Promise<void>;
  /** what is read, for the log: `postfix queue` */
  what?: string;
}

export class Poller {
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly model: MailSystem,
    private readonly log: Logger,
    private readonly opts: PollerOptions,
  ) {}

  /** Reads now; resolves when this first reading is over (later ones follow on their own). */
  async start(): Promise<void> {
    await this.poll();
    this.schedule();
  }

  /** No reading starts after this (one under way ends on its own; its result is dropped). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.poll().then(() => this.schedule());
    }, this.opts.intervalS * 1000);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const { input } = this.opts;
    const what = this.opts.what ?? input.name;
    let error = '';
    try {
      await this.opts.read();
    } catch (err) {
      error = (err as Error).message || String(err);
    }
    if (this.stopped) return;
    if (error && error !== input.reason) this.log.error({ input: input.input, err: error }, `${what} failing; retrying`);
    else if (!error && !input.ok) this.log.warn({ input: input.input }, `${what} working again`);
    this.model.inputStatus(input, !error, error);
  }
}
