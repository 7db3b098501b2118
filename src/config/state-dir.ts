// Whether the state directory can be used, asked before anything is written there:
// a path through a regular file or a dangling symlink, or into a kernel pseudo file
// system such as /proc (where Node's recursive mkdir loops forever on ENOENT), is a
// configuration error, named with its key like every other. At start the directory is
// created one component at a time (never recursively) and must be writable.

import { accessSync, constants, lstatSync, mkdirSync, readlinkSync, statSync, statfsSync, type Stats } from 'node:fs';
import path from 'node:path';

/** statfs f_type of file systems no state can be kept in (linux/magic.h). */
const PSEUDO_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x62656570, 'configfs'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0xde5e81e4, 'efivarfs'],
]);

function tryStat(p: string): Stats | NodeJS.ErrnoException {
  try {
    return statSync(p);
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
}

/**
 * Why `dir` (absolute) cannot be the state directory, or undefined when it is one or
 * could be created. Looks only, creates nothing: `--check-config` uses it too.
 */
export function stateDirProblem(dir: string): string | undefined {
  let p = path.resolve(dir);
  for (;;) {
    const st = tryStat(p);
    if (st instanceof Error) {
      if (st.code === 'ELOOP') return `${p} is a symlink loop`;
      if (st.code === 'EACCES') return `${p} cannot be searched (permission denied)`;
      if (st.code === 'ENOTDIR') {
        p = path.dirname(p);
        continue; // the component that is not a directory is found further up
      }
      if (st.code !== 'ENOENT') return `${p}: ${st.message}`;
      const link = lstatOrUndefined(p);
      if (link?.isSymbolicLink()) return `${p} is a dangling symlink (to ${readlinkSync(p)})`;
      const parent = path.dirname(p);
      if (parent === p) return `${p} does not exist`;
      p = parent;
      continue;
    }
    if (!st.isDirectory()) {
      const what = st.isFile() ? 'a regular file' : 'not a directory';
      return p === path.resolve(dir) ? `${p} is ${what}` : `${p} (on the way to ${dir}) is ${what}`;
    }
    const fs = pseudoFileSystem(p);
    if (fs) return `${p} is on ${fs}, a kernel pseudo file system: state cannot be kept there`;
    return undefined;
  }
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

function pseudoFileSystem(p: string): string | undefined {
  try {
    return PSEUDO_FILE_SYSTEMS.get(statfsSync(p).type);
  } catch {
    return undefined;
  }
}

/**
 * Creates `dir` if needed, one component at a time, and checks that files can be
 * written in it. Throws an Error whose message says why not.
 */
export function prepareStateDir(dir: string): void {
  const problem = stateDirProblem(dir);
  if (problem) throw new Error(problem);
  const abs = path.resolve(dir);
  const missing: string[] = [];
  for (let p = abs; tryStat(p) instanceof Error && path.dirname(p) !== p; p = path.dirname(p)) missing.unshift(p);
  for (const p of missing) {
    try {
      mkdirSync(p, { mode: 0o750 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'EEXIST') throw new Error(`cannot create ${p}: ${e.code === 'EACCES' ? 'permission denied' : e.message}`);
    }
  }
  try {
    accessSync(abs, constants.W_OK | constants.X_OK);
  } catch {
    throw new Error(`${abs} is not writable by this user`);
  }
}
