// Sendmail's queue read from its directories, per queue group: the messages (qf files),
// their volume (df files), recipients still to deliver and the oldest message (from the
// qf files' R and T lines). A group's directory may end in `*` (several queue directories:
// every entry of the parent whose name starts with the prefix) and each directory may keep
// its control and data files in qf/ and df/ subdirectories, as sendmail allows.
//
// Reading every qf file on every scan would cost a large queue dear: a qf is parsed again
// only when its size or mtime changed since the last scan.

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { QueueGroupSpec } from './cf.js';
import { kbytes } from './statistics.js';

/** What one qf file says. */
export interface QueuedMessage {
  /** the queue id (the file name without "qf") */
  id: string;
  /** T line: when the message was queued (ms since the epoch) */
  queuedAt?: number;
  /** R lines: recipients not yet delivered */
  recipients: number;
  /** N line: delivery attempts so far */
  tries: number;
}

/** One queue group as found on disk. */
export interface QueueGroupScan {
  name: string;
  /** the directories holding its qf files */
  dirs: string[];
  /** qf files (what Net-SNMP's mta_sendmail counts as stored messages) */
  messages: number;
  /** octets in its df files */
  volume: number;
  /** sendmail's kilobytes of its df files, each rounded up (what mta_sendmail serves as mtaGroupStoredVolume) */
  kbytes: number;
  recipients: number;
  /** the message queued longest ago (by its T line) */
  oldest?: { id: string; at: number };
  /** directories or files that could not be read, with the reason */
  errors: string[];
  /**
   * false when a directory of the group could not be listed: the counts are not the
   * group's (a qf file that cannot be read still leaves them complete: it is counted)
   */
  complete: boolean;
}

/** Parses the lines of a qf file that monitoring needs. */
export function parseQf(id: string, text: string): QueuedMessage {
  const m: QueuedMessage = { id, recipients: 0, tries: 0 };
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const c = text.charCodeAt(start);
    if (c === 0x52 /* R */) m.recipients++;
    else if (c === 0x54 /* T */) {
      const t = Number(text.slice(start + 1, end));
      if (Number.isFinite(t) && t > 0) m.queuedAt = t * 1000;
    } else if (c === 0x4e /* N */) {
      const n = Number(text.slice(start + 1, end));
      if (Number.isInteger(n) && n >= 0) m.tries = n;
    } else if (c === 0x2e /* . */ && end === start + 1) break; // end of the control part
    start = end + 1;
  }
  return m;
}

/** The directories a queue group's path stands for (`/var/spool/mqueue/q*` -> q1, q2, ...). */
export async function expandQueuePath(p: string): Promise<string[]> {
  if (!p.endsWith('*')) return [p];
  const pattern = p.slice(0, -1);
  const parent = path.dirname(pattern.endsWith('/') ? `${pattern}x` : pattern);
  const prefix = pattern.endsWith('/') ? '' : path.basename(pattern);
  const names = await readdir(parent);
  return names
    .filter((n) => n.startsWith(prefix) && !n.startsWith('.'))
    .sort()
    .map((n) => path.join(parent, n));
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

interface Cached {
  size: number;
  mtimeMs: number;
  msg: QueuedMessage;
}

/** Scans the queue groups of a sendmail.cf; keep one per .cf (it caches parsed qf files). */
export class QueueScanner {
  private cache = new Map<string, Cached>();

  constructor(private groups: QueueGroupSpec[]) {}

  /** The .cf changed: scan these groups from now on. */
  setGroups(groups: QueueGroupSpec[]): void {
    this.groups = groups;
  }

  /** One pass over every group. Never throws: what cannot be read is in each group's errors. */
  async scan(): Promise<QueueGroupScan[]> {
    const seen = new Set<string>();
    const out: QueueGroupScan[] = [];
    for (const g of this.groups) out.push(await this.scanGroup(g, seen));
    for (const k of this.cache.keys()) if (!seen.has(k)) this.cache.delete(k);
    return out;
  }

  private async scanGroup(g: QueueGroupSpec, seen: Set<string>): Promise<QueueGroupScan> {
    const r: QueueGroupScan = { name: g.name, dirs: [], messages: 0, volume: 0, kbytes: 0, recipients: 0, errors: [], complete: true };
    let dirs: string[];
    try {
      dirs = await expandQueuePath(g.path);
    } catch (e) {
      r.errors.push(`${g.path}: ${errText(e)}`);
      r.complete = false;
      return r;
    }
    for (const dir of dirs) {
      const qfDir = (await isDir(path.join(dir, 'qf'))) ? path.join(dir, 'qf') : dir;
      const dfDir = (await isDir(path.join(dir, 'df'))) ? path.join(dir, 'df') : dir;
      r.dirs.push(qfDir);
      let qfNames: string[];
      try {
        qfNames = (await readdir(qfDir)).filter((n) => n.startsWith('qf'));
      } catch (e) {
        r.errors.push(`${qfDir}: ${errText(e)}`);
        r.complete = false;
        continue;
      }
      r.messages += qfNames.length;
      for (const n of qfNames) {
        const msg = await this.readQf(path.join(qfDir, n), n.slice(2), seen, r.errors);
        if (!msg) continue;
        r.recipients += msg.recipients;
        if (msg.queuedAt !== undefined && (r.oldest === undefined || msg.queuedAt < r.oldest.at)) r.oldest = { id: msg.id, at: msg.queuedAt };
      }
      let dfNames: string[];
      try {
        dfNames = (await readdir(dfDir)).filter((n) => n.startsWith('df'));
      } catch (e) {
        r.errors.push(`${dfDir}: ${errText(e)}`);
        r.complete = false;
        continue;
      }
      for (const n of dfNames) {
        try {
          const s = await stat(path.join(dfDir, n));
          r.volume += s.size;
          r.kbytes += kbytes(s.size);
        } catch {
          // delivered and removed between readdir and stat: no longer queued
        }
      }
    }
    return r;
  }

  private async readQf(file: string, id: string, seen: Set<string>, errors: string[]): Promise<QueuedMessage | undefined> {
    try {
      const s = await stat(file);
      seen.add(file);
      const c = this.cache.get(file);
      if (c && c.size === s.size && c.mtimeMs === s.mtimeMs) return c.msg;
      const msg = parseQf(id, await readFile(file, 'latin1'));
      this.cache.set(file, { size: s.size, mtimeMs: s.mtimeMs, msg });
      return msg;
    } catch (e) {
      // gone between readdir and open (delivered): not an error
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') errors.push(`${file}: ${errText(e)}`);
      return undefined;
    }
  }
}
