// Postfix's queue, read with `postqueue -j` (one JSON object per queued message)
// on an interval: what is stored now, per MTA and per outbound group, and the
// oldest message. A queue that cannot be read is reported and tried again.

import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Application, Channel, MailSystem } from '../../model/mail-system.js';

export interface QueuedMessage {
  queue: string;
  id: string;
  /** ms since the epoch */
  arrival: number;
  size: number;
  recipients: number;
}

export interface QueueRead {
  messages: QueuedMessage[];
  /** lines that were not a queue entry */
  bad: number;
}

/** One `postqueue -j` line; undefined when it is not a queue entry. */
export function parseQueueLine(line: string): QueuedMessage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.queue_id !== 'string' || typeof o.arrival_time !== 'number') return undefined;
  return {
    queue: typeof o.queue_name === 'string' ? o.queue_name : '',
    id: o.queue_id,
    arrival: o.arrival_time * 1000,
    size: typeof o.message_size === 'number' ? o.message_size : 0,
    recipients: Array.isArray(o.recipients) ? o.recipients.length : 0,
  };
}

/** The command for `--postfix-queue COMMAND|DIR`: a config directory means `postqueue -c DIR -j`. */
export function queueCommand(spec: string): string[] {
  try {
    if (statSync(spec).isDirectory()) return ['postqueue', '-c', spec, '-j'];
  } catch {
    // not a path: a command line
  }
  const words = spec.trim().split(/\s+/).filter(Boolean);
  if (!words.length) throw new Error('empty postfix queue command');
  return words;
}

/** Runs the queue command once, streaming its output (a queue can be large). */
export function readQueue(command: string[], timeoutMs = 60_000): Promise<QueueRead> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    const messages: QueuedMessage[] = [];
    let bad = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.trim()) return;
      const m = parseQueueLine(line);
      if (m) messages.push(m);
      else bad++;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ messages, bad });
      else reject(new Error(`${command.join(' ')} ${signal ? `killed by ${signal}` : `exited ${code}`}: ${stderr.trim().split('\n')[0] ?? ''}`));
    });
  });
}

/** Postfix's backoff between delivery attempts of a deferred message, in seconds (main.cf). */
export interface Backoff {
  /** minimal_backoff_time (default 300s) */
  min: number;
  /** maximal_backoff_time (default 4000s) */
  max: number;
}

export const DEFAULT_BACKOFF: Backoff = { min: 300, max: 4000 };

/**
 * When qmgr next tries a message deferred at `deferredAt` (ms) that arrived at `arrival`
 * (ms): as qmgr schedules it, the deferral time plus the message's age then, kept within
 * [minimal_backoff_time, maximal_backoff_time] (so the wait doubles with each attempt).
 * qmgr sets the deferred queue file's time to this; it runs the file at its first deferred
 * queue scan (queue_run_delay) from then on.
 */
export function nextAttempt(deferredAt: number, arrival: number, b: Backoff = DEFAULT_BACKOFF): number {
  const age = Math.max(0, (deferredAt - arrival) / 1000);
  return deferredAt + Math.min(b.max, Math.max(b.min, age)) * 1000;
}

/** A Postfix time value (`300s`, `5m`, `1h`, `1d`, `1w`; a bare number is seconds) in seconds; undefined if unreadable. */
export function postfixSeconds(v: string | undefined): number | undefined {
  const m = v === undefined ? null : /^(\d+)\s*([smhdw]?)$/.exec(v.trim());
  if (!m) return undefined;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as '' | 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

/**
 * Puts a queue reading into the model: the MTA's stored totals, and per group the
 * messages `groupOf` attributes to it (the transport that last tried them); and each
 * group's next scheduled attempt (mtaGroupScheduledRetry): the earliest `retryAt` of its
 * messages in the deferred queue (those whose deferral the log showed).
 */
export function applyQueue(
  model: MailSystem,
  app: Application,
  read: QueueRead,
  groupOf: (queueId: string) => Channel | undefined,
  opts: { messageIdOf?: (queueId: string) => string | undefined; retryAt?: (m: QueuedMessage) => number | undefined } = {},
): void {
  model.storeQueue(
    app,
    read.messages.map((m) => ({
      size: m.size,
      recipients: m.recipients,
      arrival: m.arrival,
      id: () => opts.messageIdOf?.(m.id) ?? m.id,
      group: groupOf(m.id),
      retryAt: m.queue === 'deferred' ? opts.retryAt?.(m) : undefined,
    })),
    { retries: true },
  );
}
