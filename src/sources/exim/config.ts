// The `exim:` section and the --exim-* flags: schema, defaults, and the checks across keys.

import path from 'node:path';
import os from 'node:os';
import type { CheckContext, FlagDeclaration, SettingsInput } from '../registry.js';

export interface EximSettings {
  /** the mainlog (or a syslog file holding Exim's lines) */
  log?: string;
  /** the rejectlog and paniclog, followed beside the mainlog (undefined: not read) */
  rejectLog?: string;
  panicLog?: string;
  /** follow the systemd journal instead (Exim logging to syslog), optionally of one unit */
  journal?: { unit?: string };
  /** the queue command (`exim -bp`), run without a shell */
  queue?: string[];
  /** seconds between queue readings */
  queueInterval: number;
  /** the host in applName */
  hostname: string;
  /** listener port -> inbound group name */
  listeners: Record<string, string>;
}

/** The section as the file has it. */
export interface EximFile {
  log?: string;
  rejectLog?: string | false;
  panicLog?: string | false;
  journal?: string | boolean;
  queue?: string | string[];
  queueInterval?: number;
  hostname?: string;
  listeners?: Record<string, string>;
}

export const eximSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    log: { type: 'string', minLength: 1 },
    rejectLog: { anyOf: [{ type: 'string', minLength: 1 }, { const: false }] },
    panicLog: { anyOf: [{ type: 'string', minLength: 1 }, { const: false }] },
    journal: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'boolean' }] },
    queue: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }] },
    queueInterval: { type: 'number', minimum: 1, maximum: 86400 },
    hostname: { type: 'string', minLength: 1, maxLength: 200 },
    listeners: {
      type: 'object',
      propertyNames: { pattern: '^[1-9][0-9]{0,4}$' },
      additionalProperties: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' },
    },
  },
} as const;

export const eximFlags: readonly FlagDeclaration[] = [
  { flags: '--exim-log <path>', description: 'follow this Exim mainlog (and the rejectlog and paniclog beside it)' },
  { flags: '--exim-journal [unit]', description: 'follow the systemd journal (optionally of one unit) for Exim logging to syslog' },
  { flags: '--exim-queue <command>', description: 'read the Exim queue with this command (e.g. "exim -bp")' },
];

export function checkExim(f: EximFile, ctx: CheckContext): void {
  if (f.log !== undefined && f.journal !== undefined && f.journal !== false) ctx.fail(['journal'], 'exim.log and exim.journal exclude each other');
  // the queue is attributed to the MTA the log shows
  if (f.queue !== undefined && !f.log && !f.journal) ctx.fail(['queue'], 'needs exim.log or exim.journal');
  for (const k of ['rejectLog', 'panicLog'] as const) if (typeof f[k] === 'string' && !f.log) ctx.fail([k], 'needs exim.log');
  const seen = new Set<string>();
  for (const [port, name] of Object.entries(f.listeners ?? {})) {
    if (Number(port) > 65535) ctx.fail(['listeners', port], 'is not a port');
    if (['local', 'bounce', 'routing', 'exim'].includes(name)) ctx.fail(['listeners', port], `"${name}" is the name of another Exim group`);
    if (seen.has(name)) ctx.fail(['listeners', port], `"${name}" already names another port`);
    seen.add(name);
  }
}

/** The rejectlog and paniclog beside a mainlog: `mainlog` -> `rejectlog`, `exim_mainlog` -> `exim_rejectlog`. */
export function besideMainlog(log: string, which: 'reject' | 'panic'): string | undefined {
  const base = path.basename(log);
  if (!base.includes('main')) return undefined;
  return path.join(path.dirname(log), base.replace('main', which));
}

/** The file's section (paths relative to the file), then the flags over it. */
export function eximSettings({ file: f, flags, filePath, flagPath }: SettingsInput<EximFile>): EximSettings | undefined {
  const log = flags.eximLog as string | undefined;
  const journal = flags.eximJournal as string | boolean | undefined;
  const queue = flags.eximQueue as string | undefined;
  if (!f && !log && !journal && !queue) return undefined;
  const s: EximSettings = {
    queueInterval: f?.queueInterval ?? 60,
    hostname: f?.hostname ?? os.hostname().split('.')[0]!,
    listeners: { ...(f?.listeners ?? {}) },
  };
  if (f?.log) s.log = filePath(f.log);
  if (f?.journal !== undefined && f.journal !== false) s.journal = { unit: f.journal === true ? undefined : f.journal };
  if (f?.queue) s.queue = typeof f.queue === 'string' ? f.queue.trim().split(/\s+/) : [...f.queue];
  if (log) {
    s.log = flagPath(log);
    s.journal = undefined;
  }
  if (journal) {
    s.journal = { unit: journal === true ? undefined : journal };
    s.log = undefined;
  }
  if (queue) s.queue = queue.trim().split(/\s+/);
  if (s.queue && !s.log && !s.journal) throw new Error('--exim-queue needs --exim-log or --exim-journal (the queue belongs to the MTA the log shows)');
  if (s.log) {
    // beside the mainlog unless the file says otherwise (false: not read)
    const side = (which: 'reject' | 'panic', v: string | false | undefined) => (v === false ? undefined : v !== undefined ? filePath(v) : besideMainlog(s.log!, which));
    s.rejectLog = side('reject', f?.rejectLog);
    s.panicLog = side('panic', f?.panicLog);
  }
  return s;
}
