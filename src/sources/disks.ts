// Source 'disks': the file systems holding the configured paths (`disks:` in the config,
// --disk PATH), read every `interval` seconds. Sizes and the mount point come from
// systeminformation's fsSize() (df), matching the mount point that is the longest prefix
// of the path's real path; a file system fsSize() does not list (it skips some types) is
// read with statfs(2) instead. A path that cannot be read is reported in its row and
// tried again at the next interval.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import si from 'systeminformation';
import type { Logger } from '../log.js';
import type { DiskUsage } from '../model/disks.js';
import type { MailSystem } from '../model/mail-system.js';
import { registerSource, type Source } from './registry.js';

interface Mounted {
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

async function readDisk(d: DiskUsage, mounts: readonly Mounted[], now: number): Promise<void> {
  const real = await fsp.realpath(d.path);
  const m = mountOf(real, mounts);
  if (m && m.size > 0) {
    d.mountPoint = m.mount;
    d.totalBytes = m.size;
    d.availBytes = m.available;
  } else {
    const s = await fsp.statfs(real);
    d.mountPoint = m?.mount ?? '';
    d.totalBytes = s.blocks * s.bsize;
    d.availBytes = s.bavail * s.bsize;
  }
  d.lastStat = now;
  d.reason = '';
}

export class DiskSource implements Source {
  readonly name = 'disks';
  private timer?: NodeJS.Timeout;
  /** a refresh in progress: df on a hung NFS mount must not pile up readings */
  private busy = false;
  private model?: MailSystem;
  private log?: Logger;

  constructor(
    private readonly paths: readonly string[],
    private readonly intervalS: number,
  ) {}

  async start(model: MailSystem, log: Logger): Promise<void> {
    this.model = model;
    this.log = log;
    this.paths.forEach((p, i) => {
      model.disks.set(i + 1, { index: i + 1, path: p, mountPoint: '', totalBytes: 0, availBytes: 0, reason: '' });
    });
    model.disksVersion++;
    // read before the agent answers, so the first walk and the first alarm check see figures
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
      mounts = await si.fsSize();
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, 'fsSize failed; using statfs');
    }
    const now = Date.now();
    for (const d of model.disks.values()) {
      try {
        const first = d.lastStat === undefined;
        await readDisk(d, mounts, now);
        // the row is served from its first reading on (madman-alarms.ts)
        if (first) model.disksVersion++;
      } catch (err) {
        if (d.reason === '') this.log?.warn({ path: d.path, err: (err as Error).message }, 'cannot read disk');
        d.reason = (err as Error).message;
      }
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

registerSource('disks', (settings) => (settings.disks.paths.length ? new DiskSource(settings.disks.paths, settings.disks.interval) : undefined));
