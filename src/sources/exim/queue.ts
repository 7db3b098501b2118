// Exim's queue in the model: a reading of `exim -bp` (queue-list.ts) becomes the MTA's stored
// totals and, per outbound group, the messages the log last saw tried on it, with the oldest.
// The log knows each message's exact size; the listing's is rounded above 1 KiB.

import { spawn } from 'node:child_process';
import type { MailSystem } from '../../model/mail-system.js';
import type { EximLog } from './apply.js';
import { parseQueueListing, type QueueListing } from './queue-list.js';

/** The queue command from the configuration: an array as given, a string split at spaces. */
export function queueCommand(spec: string | readonly string[]): string[] {
  const words = typeof spec === 'string' ? spec.trim().split(/\s+/).filter(Boolean) : [...spec];
  if (words.length === 0) throw new Error('empty exim queue command');
  return words;
}

/** Runs the queue command once and reads its output; rejects with the reason it failed. */
export function readQueue(command: readonly string[], timeoutMs = 60_000): Promise<QueueListing> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${command.join(' ')} ${signal ? `killed by ${signal}` : `exited ${code}`}: ${stderr.trim().split('\n')[0] ?? ''}`));
        return;
      }
      try {
        resolve(parseQueueListing(Buffer.concat(out).toString('utf8')));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

/** Puts a queue reading into the model: each message on the group the log last saw it tried on, with the log's exact size. */
export function applyQueue(model: MailSystem, log: EximLog, q: QueueListing): void {
  model.storeQueue(
    log.app,
    q.messages.map((m) => {
      const known = log.queued(m.id);
      return { size: known?.size ?? m.size, recipients: m.recipients, arrival: m.arrived, id: () => m.id, group: known?.group };
    }),
    { count: q.count },
  );
}
