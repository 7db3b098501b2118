// The temporary directory of a server a test starts (Postfix, Dovecot, Exim ...), owned by
// the test process: DIR/owner.pid names it, so that a later start can find and clean up
// the instances of test processes that died without stopping them (kill -9, Ctrl-C), while
// those of live test processes (other worktrees' runs) are left alone.

import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pidAlive } from './commands.js';

/** A new directory `base/prefixXXXXXX` (mode 755: the servers' own users traverse it), owned by this process. */
export function ownedDir(base: string, prefix: string): string {
  const dir = mkdtempSync(path.join(base, prefix));
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, 'owner.pid'), `${process.pid}\n`);
  return dir;
}

/**
 * The directories `base/prefix*` whose owner died: `reap(dir)` stops what ran there, then
 * the directory is removed. Directories without an owner.pid (being made) are left alone.
 */
export function reapOrphans(base: string, prefix: string, reap: (dir: string) => void): void {
  let names: string[];
  try {
    names = readdirSync(base).filter((n) => n.startsWith(prefix));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = path.join(base, name);
    let owner: number;
    try {
      owner = Number(readFileSync(path.join(dir, 'owner.pid'), 'utf8').trim());
    } catch {
      continue;
    }
    if (owner === process.pid || pidAlive(owner)) continue;
    try {
      reap(dir);
    } catch {
      // best effort: the directory goes anyway
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Undoes what a server's start set up, last first; each failure is added to `errors`, none stops the rest. */
export async function runCleanups(cleanups: Array<() => Promise<void> | void>, errors: string[]): Promise<void> {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch (e) {
      errors.push(String(e));
    }
  }
}
