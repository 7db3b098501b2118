// A tiny source written on the source kit, registered from test code (importing this
// module registers it; `node --import` it before the CLI to give `madman` a new source).
// It proves that a new source is one module plus one registration: the config loader,
// `madman agent`'s flags, the agent and `madman counters` learn of it only through the
// registry.
//
// Its log has one line per message, `MAIL <octets> <recipients>`; anything else is not
// understood. Each message counts on group `in` of the MTA "tiny MTA" and on the MTA's
// totals (model.countTraffic). It follows the log with the kit's LogSource, so its lines
// are counted, its madmanSourceTable row kept and its checkpoint saved by the kit.
// Settings: `tiny: { log, events?, group? }` or --tiny-log PATH (and --tiny-events PATH);
// `events` is a file to which start and stop append a line, so a test can see them called.

import { appendFileSync } from 'node:fs';
import type { Application, Channel, MailSystem } from '../../src/model/mail-system.js';
import type { Logger } from '../../src/log.js';
import { LogSource, type LogReader } from '../../src/sources/kit/log-source.js';
import { checkpointIn, type ChannelReport, type Row } from '../../src/sources/kit/counters-rows.js';
import type { ModelSnapshot } from '../../src/model/persist.js';
import { registerSource, type Source, type SourceContext } from '../../src/sources/registry.js';

export interface TinySettings {
  log: string;
  events?: string;
  /** the group messages count on (default `in`) */
  group: string;
}

interface TinyFile {
  log?: string;
  events?: string;
  group?: string;
}

declare module '../../src/sources/registry.js' {
  interface SourceSettings {
    tiny: TinySettings;
  }
}

/** The reader: `MAIL <octets> <recipients>` lines. */
class TinyLog implements LogReader<{ messages: number }> {
  messages = 0;
  readonly app: Application;
  private readonly ch: Channel;
  constructor(
    private readonly model: MailSystem,
    group: string,
  ) {
    this.app = model.addApplication('tiny MTA', { description: 'the source kit test source' });
    this.ch = model.addChannel(this.app, group, { description: `tiny group ${group}` });
  }
  line(text: string): boolean {
    const m = /^MAIL (\d+) (\d+)$/.exec(text);
    if (!m) return false;
    this.messages++;
    this.model.countTraffic(this.app, this.ch, 'received', { messages: 1, volume: Number(m[1]), recipients: Number(m[2]) });
    return true;
  }
  state(): { messages: number } {
    return { messages: this.messages };
  }
}

export class TinySource implements Source {
  readonly name = 'tiny';
  private tail?: LogSource<{ messages: number }, TinyLog>;
  constructor(
    private readonly settings: TinySettings,
    private readonly ctx: SourceContext,
  ) {}
  async start(model: MailSystem, log: Logger): Promise<void> {
    if (this.settings.events) appendFileSync(this.settings.events, 'start\n');
    this.tail = new LogSource(model, log, {
      checkpoint: 'tiny',
      input: 'tiny log',
      log: { file: this.settings.log },
      stateDir: this.ctx.stateDir,
      fromStart: this.ctx.fromStart,
      isState: (v) => typeof v.messages === 'number',
      reader: (saved) => {
        const t = new TinyLog(model, this.settings.group);
        if (saved) t.messages = saved.messages;
        return t;
      },
      owns: (app) => app.name === 'tiny MTA',
    });
    await this.tail.follow();
  }
  async stop(): Promise<void> {
    await this.tail?.stop();
    if (this.settings.events) appendFileSync(this.settings.events, 'stop\n');
  }
}

/** `madman counters` rows: each group's received messages, recipients and blocks. */
function tinyReports(stateDir: string): ChannelReport[] {
  const cp = checkpointIn<{ model: ModelSnapshot }>(stateDir, 'tiny');
  const none: Row = { messages: null, recipients: null, blocks: null };
  const zero: Row = { messages: 0, recipients: 0, blocks: 0 };
  return (cp?.model.applications ?? []).flatMap((app) =>
    (app.mta?.channels ?? []).map((ch) => ({
      application: app.name,
      channel: ch.name,
      source: 'tiny',
      clearPending: false,
      counters: {
        received: { messages: Number(ch.fields.receivedMessages), recipients: Number(ch.fields.receivedRecipients), blocks: Math.ceil(Number(ch.fields.receivedVolume) / 1024) },
        stored: none,
        delivered: zero,
        submitted: none,
        attempted: none,
        rejected: none,
        failed: none,
      },
      absolute: {},
      deliveredFirstTime: null,
      queue: null,
      inAssocs: 0,
      outAssocs: 0,
    })),
  );
}

registerSource<TinySettings, TinyFile>({
  name: 'tiny',
  title: 'Tiny',
  key: 'tiny',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      log: { type: 'string', minLength: 1 },
      events: { type: 'string', minLength: 1 },
      group: { type: 'string', pattern: '^[a-z]+$' },
    },
  },
  check(f, ctx) {
    if (f.group !== undefined && f.log === undefined) ctx.fail(['group'], 'needs tiny.log');
  },
  settings({ file, flags, filePath, flagPath }) {
    const log = (flags.tinyLog as string | undefined) ?? (file?.log && filePath(file.log));
    const events = (flags.tinyEvents as string | undefined) ?? (file?.events && filePath(file.events));
    if (!log) return undefined;
    return { log: flags.tinyLog ? flagPath(log) : log, events: flags.tinyEvents ? flagPath(events!) : events, group: file?.group ?? 'in' };
  },
  flags: [
    { flags: '--tiny-log <path>', description: 'follow this tiny log' },
    { flags: '--tiny-events <path>', description: 'append start and stop to this file' },
  ],
  counters: { reports: tinyReports },
  load: async () => ({ createSource: (s, ctx) => new TinySource(s, ctx) }),
});
