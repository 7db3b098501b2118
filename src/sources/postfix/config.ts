// The `postfix:` section and the --postfix-* flags: schema, defaults, and the one check
// across keys (a queue needs a log: the queue belongs to the MTA the log shows).

import { mtaDescription, mtaDescriptionProperties, type MtaDescription } from '../../config/mta-description.js';
import type { CheckContext, FlagDeclaration, SettingsInput } from '../registry.js';

/** With applURL, applDirectoryName and mtaGroupURL (url, directoryName, groupUrls) the log cannot give. */
export interface PostfixSettings extends MtaDescription {
  /** a log file to follow (syslog's mail.log, or Postfix's maillog_file) */
  log?: string;
  /** follow the systemd journal instead, optionally of one unit */
  journal?: { unit?: string };
  /** `postqueue -j` command, or a Postfix config directory */
  queue?: string;
  /** seconds between queue readings */
  queueInterval: number;
  /** smtpd services (names, or HOST:PORT of their listener) that re-inject filtered mail */
  contentFilterServices: string[];
}

/** The section as the file has it. */
export interface PostfixFile extends MtaDescription {
  log?: string;
  journal?: string | boolean;
  queue?: string;
  queueInterval?: number;
  contentFilterServices?: string[];
}

export const postfixSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    log: { type: 'string', minLength: 1 },
    journal: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'boolean' }] },
    queue: { type: 'string', minLength: 1 },
    queueInterval: { type: 'number', minimum: 1, maximum: 86400 },
    contentFilterServices: { type: 'array', items: { type: 'string', minLength: 1 } },
    ...mtaDescriptionProperties,
  },
} as const;

export const postfixFlags: readonly FlagDeclaration[] = [
  { flags: '--postfix-log <path>', description: 'follow this Postfix log file' },
  { flags: '--postfix-journal [unit]', description: 'follow the systemd journal (optionally of one unit) for Postfix' },
  { flags: '--postfix-queue <command|dir>', description: 'read the queue with this command, or postqueue -c DIR -j' },
];

export function checkPostfix(f: PostfixFile, ctx: CheckContext): void {
  // The queue is attributed to the MTA the log shows: without a log there is none.
  if (f.queue !== undefined && !f.log && !f.journal) ctx.fail(['queue'], 'needs postfix.log or postfix.journal');
}

/** The file's section (the log relative to the file), then the flags over it. */
export function postfixSettings({ file: f, flags, filePath, flagPath }: SettingsInput<PostfixFile>): PostfixSettings | undefined {
  let s: PostfixSettings | undefined;
  if (f) {
    s = {
      log: f.log && filePath(f.log),
      journal: f.journal === undefined || f.journal === false ? undefined : { unit: f.journal === true ? undefined : f.journal },
      queue: f.queue,
      queueInterval: f.queueInterval ?? 60,
      contentFilterServices: f.contentFilterServices ?? [],
      ...mtaDescription(f),
    };
  }
  const log = flags.postfixLog as string | undefined;
  const journal = flags.postfixJournal as string | boolean | undefined;
  const queue = flags.postfixQueue as string | undefined;
  if (log || journal || queue) {
    s ??= { queueInterval: 60, contentFilterServices: [] };
    if (log) s.log = flagPath(log);
    if (journal) s.journal = { unit: journal === true ? undefined : journal };
    if (queue) s.queue = queue;
  }
  if (s?.queue !== undefined && !s.log && !s.journal) {
    throw new Error('--postfix-queue needs --postfix-log or --postfix-journal (the queue belongs to the MTA the log shows)');
  }
  return s;
}
