// The `webmail:` section (schema fragment, types, reader) and the --webmail-* flags, for the
// source's declaration (index.ts). Example:
//   webmail:
//     instance: webmail                  # rows "webmail http" (default)
//     log: /var/log/roundcube/userlogins.log   # Roundcube's log_logins (file driver), or
//     journal: true                      # its syslog driver into the journal (or a unit)
//     syslogId: roundcube                # Roundcube's syslog_id (syslog lines and journal entries)
//     status: http://127.0.0.1/nginx_status    # nginx stub_status, or Apache's .../server-status?auto
//     statusInterval: 30                 # seconds between readings
//     statusTimeout: 10                  # seconds a reading may take

import type { FlagDeclaration, SettingsInput } from '../registry.js';

/** The webmail source's settings, defaults filled in. */
export interface WebmailSettings {
  /** names the rows: "<instance> http" */
  instance: string;
  log?: string;
  journal?: { unit?: string };
  /** Roundcube's syslog_id: the program of its syslog lines and journal entries */
  syslogId: string;
  /** the web server's status page */
  status?: string;
  statusInterval: number;
  statusTimeout: number;
}

/** The `webmail:` section as the file holds it. */
export interface WebmailFile {
  instance?: string;
  log?: string;
  journal?: string | boolean;
  syslogId?: string;
  status?: string;
  statusInterval?: number;
  statusTimeout?: number;
}

const seconds = { type: 'number', minimum: 1, maximum: 86400 } as const;

/** JSON schema of the `webmail:` section (checked with the whole file). */
export const webmailSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    instance: { type: 'string', minLength: 1, pattern: '^\\S+$' },
    log: { type: 'string', minLength: 1 },
    journal: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'boolean' }] },
    syslogId: { type: 'string', minLength: 1, pattern: '^\\S+$' },
    status: { type: 'string', pattern: '^https?://' },
    statusInterval: seconds,
    statusTimeout: seconds,
  },
} as const;

/** The source's options of `madman agent`. */
export const webmailFlags: readonly FlagDeclaration[] = [
  { flags: '--webmail-log <path>', description: "follow Roundcube's userlogins log (webmail logins: httpstat)" },
  { flags: '--webmail-status <url>', description: "read the web server's status page: nginx stub_status or Apache server-status?auto" },
];

/** The file's section, then --webmail-log and --webmail-status over it. */
export function webmailSettings({ file, flags, filePath, flagPath }: SettingsInput<WebmailFile>): WebmailSettings | undefined {
  const logFlag = flags.webmailLog as string | undefined;
  const statusFlag = flags.webmailStatus as string | undefined;
  if (!file && !logFlag && !statusFlag) return undefined;
  const f = file ?? {};
  const s: WebmailSettings = {
    instance: f.instance ?? 'webmail',
    log: f.log && filePath(f.log),
    journal: f.journal === undefined || f.journal === false ? undefined : { unit: f.journal === true ? undefined : f.journal },
    syslogId: f.syslogId ?? 'roundcube',
    status: f.status,
    statusInterval: f.statusInterval ?? 30,
    statusTimeout: f.statusTimeout ?? 10,
  };
  if (logFlag) {
    s.log = flagPath(logFlag);
    s.journal = undefined;
  }
  if (statusFlag) {
    if (!/^https?:\/\//.test(statusFlag) || !URL.canParse(statusFlag)) throw new Error(`--webmail-status ${statusFlag}: not an http(s) URL`);
    s.status = statusFlag;
  }
  return s;
}
