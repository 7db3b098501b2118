// Which file the file follower reads next, and from where. At its start: the
// file at the path, at its end (from the start of an unfinished last line) or
// from 0; or a saved position, which after a restart may name the file at the
// path, a copytruncate copy of it, or a rotated file of it (see
// file-follower.ts for the rules). Resuming in a copy or a rotated file plans a
// catch-up: the rotated files written after it (newerRotations), oldest first,
// then the file at the path, each read from 0 when the follower is done with
// the previous one. Each is opened again by device and inode, wherever it was
// renamed since; one that is gone is passed over. Compressed ones cannot be
// read: they are skipped and counted.

import { promises as fsp, type Stats } from 'node:fs';
import { canResume, findByInode, findCopy, lastLineBoundary, newerRotations, openRegular, reopen } from './file-probe.js';
import type { FileId, FoundFile } from './file-probe.js';
import type { FilePosition } from './types.js';

export type Start = { kind: 'end' } | { kind: 'start' } | { kind: 'at'; position: FilePosition };

/** Starts reading `file` at `offset`; `detached`: a copytruncate copy, written by nobody, to leave at its end. */
export type UseFile = (file: FoundFile, offset: number, detached: boolean) => Promise<void>;

export class FileOpener {
  /** after a restart across rotations: the files still to read, oldest first, the live one last */
  private catchUp: FileId[] = [];
  private readonly skipped = new Set<string>();

  constructor(
    private readonly path: string,
    private readonly maxLineBytes: number,
    private readonly counters: { truncations: number; skippedCompressed: number },
    private readonly use: UseFile,
  ) {}

  /**
   * Opens the file to read from `start` and hands it to `use`. When there is none
   * (yet): the error, and where to start on the next try.
   */
  async open(start: Start): Promise<{ error: unknown; retry: Start } | void> {
    if (start.kind === 'start' && (await this.openCatchUp())) return;
    let fh: fsp.FileHandle | undefined;
    let st: Stats | undefined;
    let error: unknown;
    try {
      ({ fh, stat: st } = await openRegular(this.path));
    } catch (err) {
      fh = st = undefined;
      error = err;
    }

    if (start.kind === 'at') {
      const p = start.position;
      this.catchUp = [];
      if (fh && st && st.dev === p.dev && st.ino === p.ino) {
        if (await canResume(fh, st.size, p.offset, p.check)) return this.use({ fh, stat: st, path: this.path }, p.offset, false);
        this.counters.truncations++; // truncated (or rewritten) while we were down
        const copy = p.check ? await findCopy(this.path, st.ino, p.offset, Buffer.from(p.check, 'base64')) : undefined;
        if (!copy) return this.use({ fh, stat: st, path: this.path }, 0, false);
        await fh.close().catch(() => {});
        await this.use(copy, p.offset, true); // its end, then the live file from 0
        return this.planCatchUp(copy, st);
      }
      const old = await findByInode(this.path, p.dev, p.ino);
      if (old && (await canResume(old.fh, old.stat.size, p.offset, p.check))) {
        await fh?.close().catch(() => {});
        await this.use(old, p.offset, false);
        return this.planCatchUp(old, st);
      }
      await old?.fh.close().catch(() => {}); // not the saved file after all (inode number reused)
      // The checkpointed file is gone: all of the file now at the path is new.
      if (fh && st) return this.use({ fh, stat: st, path: this.path }, 0, false);
    } else if (fh && st) {
      const offset = start.kind === 'end' ? await lastLineBoundary(fh, st.size, this.maxLineBytes) : 0;
      return this.use({ fh, stat: st, path: this.path }, offset, false);
    }
    // A file created after we started at the end is read from its beginning.
    return { error, retry: start.kind === 'end' ? { kind: 'start' } : start };
  }

  /** Resuming in the rotated file `from`: the ones written after it, then `live`, come next. */
  private async planCatchUp(from: FoundFile, live: Stats | undefined): Promise<void> {
    const { files, compressed } = await newerRotations(this.path, from, live);
    for (const p of compressed) this.skipped.add(p);
    this.counters.skippedCompressed = this.skipped.size;
    this.catchUp = live ? [...files, { path: this.path, dev: live.dev, ino: live.ino }] : files;
  }

  /** Opens the next file of a catch-up that is still there, from 0; false when none is left. */
  private async openCatchUp(): Promise<boolean> {
    for (let next = this.catchUp.shift(); next; next = this.catchUp.shift()) {
      const f = await reopen(this.path, next);
      if (f) return this.use(f, 0, false).then(() => true);
    }
    return false;
  }
}
