// The `sendmail:` section and the --sendmail-* flags. Example:
//   sendmail:
//     log: /var/log/mail.log        # or  journal: sendmail.service  (or true)
//     cf: /etc/mail/sendmail.cf     # mailers, StatusFile, queue groups, daemons (the default)
//     statistics: /etc/mail/statistics   # default: the .cf's StatusFile; false: none
//     statisticsInterval: 5         # seconds between readings (mta_sendmail's sendmail_stats_t)
//     queue: true                   # scan the .cf's queue groups (false: no queue)
//     queueInterval: 10             # seconds between scans (mta_sendmail's sendmail_queue_t)
//     programs: [sm-mta, sendmail]  # syslog idents of the MTA
//     application: sendmail MTA on mx   # applName (default "sendmail MTA on <this host>")

import type { FlagDeclaration, SettingsInput } from '../registry.js';

/** Where Net-SNMP's mta_sendmail and sendmail itself look first. */
export const DEFAULT_CF = '/etc/mail/sendmail.cf';

export interface SendmailSettings {
  log?: string;
  journal?: { unit?: string };
  cf: string;
  /** the statistics file; undefined: the .cf's StatusFile; false: none */
  statistics?: string | false;
  statisticsInterval: number;
  queue: boolean;
  queueInterval: number;
  programs: string[];
  application?: string;
}

export interface SendmailFile {
  log?: string;
  journal?: string | boolean;
  cf?: string;
  statistics?: string | false;
  statisticsInterval?: number;
  queue?: boolean;
  queueInterval?: number;
  programs?: string[];
  application?: string;
}

const interval = { type: 'number', minimum: 1, maximum: 86400 } as const;

export const sendmailSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    log: { type: 'string', minLength: 1 },
    journal: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'boolean' }] },
    cf: { type: 'string', minLength: 1 },
    statistics: { anyOf: [{ type: 'string', minLength: 1 }, { const: false }] },
    statisticsInterval: interval,
    queue: { type: 'boolean' },
    queueInterval: interval,
    programs: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 64 } },
    application: { type: 'string', minLength: 1 },
  },
} as const;

export const sendmailFlags: readonly FlagDeclaration[] = [
  { flags: '--sendmail-log <path>', description: "follow this Sendmail log (the MTA's syslog lines)" },
  { flags: '--sendmail-journal [unit]', description: "follow Sendmail's lines in the systemd journal (of this unit, else by syslog ident)" },
  { flags: '--sendmail-cf <path>', description: `Sendmail's configuration (default ${DEFAULT_CF}): mailers, statistics file, queue groups` },
  { flags: '--sendmail-statistics <path>', description: "Sendmail's statistics file (default: the .cf's StatusFile)" },
];

/** The defaults of every key but the inputs. */
export function sendmailDefaults(): Omit<SendmailSettings, 'log' | 'journal' | 'statistics' | 'application'> {
  return { cf: DEFAULT_CF, statisticsInterval: 5, queue: true, queueInterval: 10, programs: ['sm-mta', 'sendmail'] };
}

/** The file's section (paths relative to the file), then the flags over it; undefined when neither names Sendmail. */
export function sendmailSettings({ file, flags, filePath, flagPath }: SettingsInput<SendmailFile>): SendmailSettings | undefined {
  const log = flags.sendmailLog as string | undefined;
  const journal = flags.sendmailJournal as string | boolean | undefined;
  const cf = flags.sendmailCf as string | undefined;
  const statistics = flags.sendmailStatistics as string | undefined;
  if (!file && log === undefined && journal === undefined && cf === undefined && statistics === undefined) return undefined;
  const s: SendmailSettings = { ...sendmailDefaults() };
  if (file) {
    if (file.log) s.log = filePath(file.log);
    if (file.journal !== undefined && file.journal !== false) s.journal = { unit: file.journal === true ? undefined : file.journal };
    if (file.cf) s.cf = filePath(file.cf);
    if (file.statistics !== undefined) s.statistics = file.statistics === false ? false : filePath(file.statistics);
    if (file.statisticsInterval !== undefined) s.statisticsInterval = file.statisticsInterval;
    if (file.queue !== undefined) s.queue = file.queue;
    if (file.queueInterval !== undefined) s.queueInterval = file.queueInterval;
    if (file.programs) s.programs = [...file.programs];
    if (file.application) s.application = file.application;
  }
  if (log !== undefined) {
    s.log = flagPath(log);
    s.journal = undefined;
  }
  if (journal !== undefined) {
    s.journal = { unit: typeof journal === 'string' ? journal : undefined };
    s.log = undefined;
  }
  if (cf !== undefined) s.cf = flagPath(cf);
  if (statistics !== undefined) s.statistics = flagPath(statistics);
  if (s.log && s.journal) throw new Error('sendmail: log and journal are exclusive');
  return s;
}
