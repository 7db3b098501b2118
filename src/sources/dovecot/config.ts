// The `dovecot:` section (schema fragment, types, reader) and the --dovecot-* flags, for
// the source's declaration (index.ts). Example:
//   dovecot:
//     log: /var/log/dovecot.log     # or  journal: dovecot.service  (or true)
//     config: /etc/dovecot/dovecot.conf   # passed to doveadm as -c (default: doveadm's own)
//     quotaInterval: 300            # seconds between `doveadm quota get -A` (0: no quotas)
//     whoInterval: 30               # seconds between `doveadm who` cross-checks (0: never)
//     quotaWarnPercent: 90          # users at or above this percentage are flagged
//     services: [imap, pop3]        # rows shown before the log names them
//     quotaMethod: imap             # instead of doveadm: GETQUOTAROOT as a master user
//     imap: {host: mail.example.org, port: 993, tls: implicit, master: admin, password: ...,
//            users: [a@example.org]}  # users besides those the log shows logging in

import { ACCESS_SERVICES as SERVICES, type AccessService as DovecotService } from '../../model/services.js';
import type { FlagDeclaration, SettingsInput } from '../registry.js';

export interface DovecotSettings {
  log?: string;
  journal?: { unit?: string };
  /** dovecot.conf for `doveadm -c` */
  config?: string;
  /** the doveadm executable */
  doveadm: string;
  /** seconds; 0 turns quota reading off */
  quotaInterval: number;
  /** seconds; 0 turns the doveadm who cross-check off */
  whoInterval: number;
  quotaWarnPercent: number;
  services: DovecotService[];
  /** how quotas are read (docs/dovecot.md) */
  quotaMethod: 'doveadm' | 'imap';
  imap?: DovecotImapSettings;
}

export interface DovecotImapSettings {
  host: string;
  port: number;
  tls: 'implicit' | 'starttls' | 'none';
  master: string;
  password: string;
  users: string[];
}

export const dovecotSchema = {
  type: 'object',
  additionalProperties: false,
  // quotaMethod: imap needs the imap: settings
  if: { properties: { quotaMethod: { const: 'imap' } }, required: ['quotaMethod'] },
  then: { required: ['imap'] },
  properties: {
    log: { type: 'string', minLength: 1 },
    journal: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'boolean' }] },
    config: { type: 'string', minLength: 1 },
    doveadm: { type: 'string', minLength: 1 },
    // 0 = off, else at least a second: a fraction would poll doveadm / IMAP in a tight loop
    quotaInterval: { anyOf: [{ const: 0 }, { type: 'number', minimum: 1, maximum: 86400 }] },
    whoInterval: { anyOf: [{ const: 0 }, { type: 'number', minimum: 1, maximum: 86400 }] },
    quotaWarnPercent: { type: 'number', minimum: 0, maximum: 1000 },
    services: { type: 'array', items: { enum: [...SERVICES] }, uniqueItems: true },
    quotaMethod: { enum: ['doveadm', 'imap'] },
    imap: {
      type: 'object',
      additionalProperties: false,
      required: ['host', 'master', 'password'],
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        tls: { enum: ['implicit', 'starttls', 'none'] },
        master: { type: 'string', minLength: 1 },
        password: { type: 'string' },
        users: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
    },
  },
} as const;

export interface DovecotFile {
  log?: string;
  journal?: string | boolean;
  config?: string;
  doveadm?: string;
  quotaInterval?: number;
  whoInterval?: number;
  quotaWarnPercent?: number;
  services?: DovecotService[];
  quotaMethod?: 'doveadm' | 'imap';
  imap?: { host: string; port?: number; tls?: 'implicit' | 'starttls' | 'none'; master: string; password: string; users?: string[] };
}

export function dovecotDefaults(): DovecotSettings {
  return { doveadm: 'doveadm', quotaInterval: 300, whoInterval: 30, quotaWarnPercent: 90, services: ['imap', 'pop3'], quotaMethod: 'doveadm' };
}

export const dovecotFlags: readonly FlagDeclaration[] = [
  { flags: '--dovecot-log <path>', description: 'follow this Dovecot log file (service statistics)' },
  { flags: '--dovecot-config <path>', description: 'dovecot.conf for doveadm (quotas, doveadm who)' },
];

/** The file's section, then `--dovecot-log PATH` and `--dovecot-config PATH` over it. */
export function dovecotSettings({ file, flags, filePath, flagPath }: SettingsInput<DovecotFile>): DovecotSettings | undefined {
  const s = file && dovecotFromFile(file, filePath);
  return dovecotFromFlags(s, { dovecotLog: flags.dovecotLog as string | undefined, dovecotConfig: flags.dovecotConfig as string | undefined }, flagPath);
}

/** Settings from the file's `dovecot:` (`filePath` resolves against the file's directory). */
function dovecotFromFile(f: DovecotFile, filePath: (p: string) => string): DovecotSettings {
  const d = dovecotDefaults();
  return {
    log: f.log && filePath(f.log),
    journal: f.journal === undefined || f.journal === false ? undefined : { unit: f.journal === true ? undefined : f.journal },
    config: f.config && filePath(f.config),
    doveadm: f.doveadm ?? d.doveadm,
    quotaInterval: f.quotaInterval ?? d.quotaInterval,
    whoInterval: f.whoInterval ?? d.whoInterval,
    quotaWarnPercent: f.quotaWarnPercent ?? d.quotaWarnPercent,
    services: f.services ?? d.services,
    quotaMethod: f.quotaMethod ?? d.quotaMethod,
    imap: f.imap && {
      host: f.imap.host,
      tls: f.imap.tls ?? 'implicit',
      port: f.imap.port ?? ((f.imap.tls ?? 'implicit') === 'implicit' ? 993 : 143),
      master: f.imap.master,
      password: f.imap.password,
      users: f.imap.users ?? [],
    },
  };
}

function dovecotFromFlags(
  s: DovecotSettings | undefined,
  flags: { dovecotLog?: string; dovecotConfig?: string },
  flagPath: (p: string) => string,
): DovecotSettings | undefined {
  if (!flags.dovecotLog && !flags.dovecotConfig) return s;
  const out = s ?? dovecotDefaults();
  if (flags.dovecotLog) {
    out.log = flagPath(flags.dovecotLog);
    out.journal = undefined;
  }
  if (flags.dovecotConfig) out.config = flagPath(flags.dovecotConfig);
  return out;
}

/** doveadm's arguments before the command: `-c CONFIG` when one is set. */
export function doveadmArgs(s: Pick<DovecotSettings, 'config'>): string[] {
  return s.config ? ['-c', s.config] : [];
}
