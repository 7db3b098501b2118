// The `dovecot:` part of the configuration (schema fragment, types, reader), wired into
// config.ts. Example:
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

import path from 'node:path';
import { ACCESS_SERVICES as SERVICES, type AccessService as DovecotService } from '../model/services.js';

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

/** Settings from the file's `dovecot:` (paths relative to the file's directory). */
export function dovecotFromFile(f: DovecotFile, baseDir: string): DovecotSettings {
  const d = dovecotDefaults();
  return {
    log: f.log && path.resolve(baseDir, f.log),
    journal: f.journal === undefined || f.journal === false ? undefined : { unit: f.journal === true ? undefined : f.journal },
    config: f.config && path.resolve(baseDir, f.config),
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

/** `--dovecot-log PATH` and `--dovecot-config PATH` over what the file said. */
export function dovecotFromFlags(s: DovecotSettings | undefined, flags: { dovecotLog?: string; dovecotConfig?: string }): DovecotSettings | undefined {
  if (!flags.dovecotLog && !flags.dovecotConfig) return s;
  const out = s ?? dovecotDefaults();
  if (flags.dovecotLog) {
    out.log = path.resolve(flags.dovecotLog);
    out.journal = undefined;
  }
  if (flags.dovecotConfig) out.config = path.resolve(flags.dovecotConfig);
  return out;
}

/** doveadm's arguments before the command: `-c CONFIG` when one is set. */
export function doveadmArgs(s: Pick<DovecotSettings, 'config'>): string[] {
  return s.config ? ['-c', s.config] : [];
}
