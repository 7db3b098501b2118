// Source 'disks': the file systems holding the configured paths (`disks:` in the config,
// --disk PATH), read every `interval` seconds. Sizes and the mount point come from
// systeminformation's fsSize() (df), matching the mount point that is the longest prefix
// of the path's real path; a file system fsSize() does not list (it skips some types) is
// read with statfs(2) instead. A path that cannot be read is reported in its row, in its
// madmanSourceTable row ("disk PATH") and the log, and tried again at the next interval;
// df and each stat are bounded (a hung NFS mount is reported, it does not stall the agent).

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../log.js';
import type { DiskUsage } from '../../model/disks.js';
import type { MailSystem, SourceInput } from '../../model/mail-system.js';
import type { Source } from '../registry.js';

export interface Mounted {
  mount: string;
  size: number;
  available: number;
}

/** The entry whose mount point is the longest prefix of `real` (an absolute real path). */
export function mountOf(real: string, mounts: readonly Mounted[]): Mounted | undefined {
  let best: Mounted | undefined;
  for (const m of mounts) {
    const prefix = m.mount.endsWith(path.sep) ? m.mount : m.mount + path.sep;
    if ((real === m.mount || real.startsWith(prefix)) && (!best || m.mount.length > best.mount.length)) best = m;
  }
  return best;
}

interface Reading {
  mountPoint: string;
  totalBytes: number;
  availBytes: number;
}

async function readDisk(p: string, mounts: readonly Mounted[]): Promise<Reading> {
  const real = await fsp.realpath(p);
  const m = mountOf(real, mounts);
  if (m && m.size > 0) return { mountPoint: m.mount, totalBytes: m.size, availBytes: m.available };
  const s = await fsp.statfs(real);
  return { mountPoint: m?.mount ?? '', totalBytes: s.blocks * s.bsize, availBytes: s.bavail * s.bsize };
}

/** How the file systems are read; tests give a file system that hangs (a dead NFS server). */
export interface DiskReader {
  fsSize(): Promise<Mounted[]>;
  read(path: string, mounts: readonly Mounted[]): Promise<Reading>;
  /** ms one df or one path's stat may take before it is reported as not answering */
  timeoutMs: number;
}

// systeminformation is loaded on first use: an agent without disks never pays for it
const REAL: DiskReader = { fsSize: async () => (await import('systeminformation')).default.fsSize(), read: readDisk, timeoutMs: 2500 };

/** `p`, or a rejection saying what did not answer within `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export class DiskSource implements Source {
  readonly name = 'disks';
  private timer?: NodeJS.Timeout;
  /** a refresh in progress: df on a hung NFS mount must not pile up readings */
  private busy = false;
  /** paths whose last stat has not returned: not asked again until it does */
  private readonly hung = new Set<number>();
  private readonly inputs = new Map<number, SourceInput>();
  private model?: MailSystem;
  private log?: Logger;

  constructor(
    private readonly paths: readonly string[],
    private readonly intervalS: number,
    private readonly reader: DiskReader = REAL,
  ) {}

  async start(model: MailSystem, log: Logger): Promise<void> {
    this.model = model;
    this.log = log;
    this.paths.forEach((p, i) => {
      model.disks.set(i + 1, { index: i + 1, path: p, mountPoint: '', totalBytes: 0, availBytes: 0, reason: '' });
      this.inputs.set(i + 1, model.addInput(`disk ${p}`, p));
    });
    // read before the agent answers, so the first walk and the first alarm check see figures;
    // bounded (df, then each path, at most timeoutMs): a hung mount must not stall the agent
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalS * 1000);
    this.timer.unref();
  }

  async refresh(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.readAll(this.model!);
    } finally {
      this.busy = false;
    }
  }

  private async readAll(model: MailSystem): Promise<void> {
    let mounts: Mounted[] = [];
    try {
      mounts = await within(this.reader.fsSize(), this.reader.timeoutMs, 'df');
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, 'fsSize failed; using statfs');
    }
    const now = Date.now();
    await Promise.all([...model.disks.values()].map((d) => this.readOne(model, d, mounts, now)));
  }

  private async readOne(model: MailSystem, d: DiskUsage, mounts: readonly Mounted[], now: number): Promise<void> {
    const input = this.inputs.get(d.index)!;
    try {
      if (this.hung.has(d.index)) throw new Error(d.reason || 'stat: no answer yet');
      this.hung.add(d.index);
      const p = this.reader.read(d.path, mounts);
      void p.then(
        () => this.hung.delete(d.index),
        () => this.hung.delete(d.index),
      );
      const r = await within(p, this.reader.timeoutMs, 'stat');
      const first = d.lastStat === undefined;
      Object.assign(d, r, { lastStat: now, reason: '' });
      model.inputStatus(input, true);
      // the row is served from its first reading on (madman-alarms.ts)
      if (first) model.disks.touch();
    } catch (err) {
      if (d.reason === '') this.log?.warn({ path: d.path, err: (err as Error).message }, 'cannot read disk');
      d.reason = (err as Error).message;
      model.inputStatus(input, false, d.reason);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
