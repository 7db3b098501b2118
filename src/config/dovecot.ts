// The `dovecot:` part of the configuration (schema fragment, types, reader), wired into
// config.ts. Example:
//   dovecot:
//     log: /var/log/dovecot.log     # or  journal: dovecot.service  (or true)
//     config: /etc/dovecot/dovecot.conf   # passed to doveadm as -c (default: doveadm's own)
//     quotaInterval: 300            # seconds between `doveadm quota get -A` (0: no quotas)
//     whoInterval: 30               # seconds between `doveadm who` cross-checks (0: never)
//     quotaWarnPercent: 90          # users at or above this percentage are flagged
//     services: [imap, pop3]        # rows shown before the log names them

import path from 'node:path';
import { SERVICES, type DovecotService } from '../sources/dovecot/parse.js';

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
}

export const dovecotSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    log: { type: 'string', minLength: 1 },
    journal: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'boolean' }] },
    config: { type: 'string', minLength: 1 },
    doveadm: { type: 'string', minLength: 1 },
    quotaInterval: { type: 'number', minimum: 0, maximum: 86400 },
    whoInterval: { type: 'number', minimum: 0, maximum: 86400 },
    quotaWarnPercent: { type: 'number', minimum: 0, maximum: 1000 },
    services: { type: 'array', items: { enum: [...SERVICES] }, uniqueItems: true },
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
}

export function dovecotDefaults(): DovecotSettings {
  return { doveadm: 'doveadm', quotaInterval: 300, whoInterval: 30, quotaWarnPercent: 90, services: ['imap', 'pop3'] };
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
