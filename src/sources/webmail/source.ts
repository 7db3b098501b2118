// The webmail source (Sun's httpstat): follows Roundcube's userlogins log with the kit's
// LogSource (a file written by Roundcube's file or stdout driver, a syslog file, or the
// journal of its syslog driver) and reads the web server's status page with the kit's Poller,
// into the madmanServiceTable row "<instance> http" and its applTable row (stats.ts). The
// row's figures, the server's last totals and the log position are checkpointed together
// (webmail.json); after each status reading too, so a restart continues the running totals.

import { systemClock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { MailSystem } from '../../model/mail-system.js';
import { LogSource, type LogReader } from '../kit/log-source.js';
import { Poller } from '../kit/poller.js';
import { SyslogFramer } from '../kit/syslog.js';
import type { Source } from '../registry.js';
import type { WebmailSettings } from './config.js';
import { parseLoginLine, parseMessage, type LoginEvent } from './roundcube.js';
import { fetchServerStatus } from './server-status.js';
import { WebmailStats, type WebmailState } from './stats.js';

/** The reader's keys of the checkpoint; LogSource adds the model, counts and position. */
export interface WebmailCheckpoint {
  webmail: WebmailState;
}

/** The running webmail source: its log follower and its status poller. */
export class WebmailSource implements Source {
  readonly name = 'webmail';
  private tail?: LogSource<WebmailCheckpoint, LogReader<WebmailCheckpoint>>;
  private poller?: Poller;
  private stats?: WebmailStats;

  constructor(
    private readonly settings: WebmailSettings,
    private readonly stateDir: string,
    private readonly fromStart: boolean,
    private readonly clock = systemClock,
  ) {}

  async start(model: MailSystem, log: Logger): Promise<void> {
    const s = this.settings;
    if (s.log || s.journal) {
      const name = `${s.instance} http`;
      const tail = (this.tail = new LogSource<WebmailCheckpoint, LogReader<WebmailCheckpoint>>(model, log, {
        checkpoint: 'webmail',
        input: 'webmail log',
        log: s.journal ? { journal: { unit: s.journal.unit, identifiers: [s.syslogId] } } : { file: s.log },
        stateDir: this.stateDir,
        fromStart: this.fromStart,
        isState: (v) => typeof v.webmail === 'object' && v.webmail !== null,
        reader: (saved) => {
          const stats = (this.stats = new WebmailStats(model, s.instance, saved?.webmail));
          return this.reader(stats);
        },
        owns: (app) => app.name === name,
      }));
      await tail.follow();
    } else {
      this.stats = new WebmailStats(model, s.instance);
    }
    if (s.status) {
      const stats = this.stats!;
      const url = s.status;
      const input = model.addInput('webmail status', url);
      this.poller = new Poller(model, log, {
        input,
        what: 'webmail status page',
        intervalS: s.statusInterval,
        read: async () => {
          try {
            const r = await fetchServerStatus(url, s.statusTimeout * 1000);
            input.lines++;
            stats.reading(r, this.clock());
          } catch (err) {
            stats.up(false, this.clock());
            throw err;
          }
          this.tail?.save();
        },
      });
      void this.poller.start();
    }
  }

  /** Lines of Roundcube's own log, or of a syslog file (other programs' lines skipped), and journal entries. */
  private reader(stats: WebmailStats): LogReader<WebmailCheckpoint> {
    const id = this.settings.syslogId;
    const framer = new SyslogFramer<true>({ program: (p) => (p === id ? true : undefined), clock: this.clock });
    const apply = (e: LoginEvent | undefined): boolean => {
      if (e) stats.login(e, this.clock());
      return e !== undefined;
    };
    return {
      line: (l) => {
        const own = parseLoginLine(l);
        if (own) return apply(own);
        // a syslog line: Roundcube's is read, another program's is no concern of ours
        const h = framer.header(l);
        if (!h || h.afterStamp === 0) return false;
        const f = framer.body(l, h);
        return f ? apply(parseMessage(f.message, f.time)) : true;
      },
      entry: (e) => e.identifier !== id || apply(parseMessage(e.message, e.time)),
      state: () => ({ webmail: stats.state() }),
    };
  }

  async stop(): Promise<void> {
    this.poller?.stop();
    await this.tail?.stop();
  }
}
