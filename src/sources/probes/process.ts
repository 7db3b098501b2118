// Is a watched daemon's process alive? Sun's watcher restarts crashed daemons, not only
// services that stop answering: a watched service may name its pidfile or its systemd unit.
// A pidfile's process is alive while it exists and is not a zombie (kill -0; /proc shows a
// zombie, which a container's init may leave unreaped); a unit is alive while
// `systemctl is-active` says active, activating, reloading or deactivating. Without systemd
// (not booted with it, or no systemctl) a unit's state is unknown and nothing is restarted.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** What a watched service names: its daemon's pidfile, or its systemd unit. */
export interface ProcessWatch {
  pidfile?: string;
  unit?: string;
}

/** alive true/false, or undefined when it cannot be known (then the watcher does nothing). */
export interface ProcessState {
  alive: boolean | undefined;
  /** "pid 812", or why it is dead or unknown */
  detail: string;
  /** the process the pidfile names */
  pid?: number;
}

function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z';
  } catch {
    return false;
  }
}

/** The process a pidfile names. */
export async function pidfileState(pidfile: string): Promise<ProcessState> {
  let text: string;
  try {
    text = await readFile(pidfile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { alive: false, detail: `pidfile ${pidfile} is gone` } : { alive: undefined, detail: `cannot read pidfile ${pidfile}: ${(err as Error).message}` };
  }
  const pid = Number(text.trim().split(/\s+/)[0]);
  // an empty file is a daemon that has not written it yet: not a verdict
  if (!Number.isInteger(pid) || pid <= 1) return { alive: undefined, detail: `pidfile ${pidfile} holds no process id` };
  let exists = true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, owned by someone else
    exists = (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // a zombie has died too: its parent (init, in a container maybe none) has not reaped it yet
  if (!exists || zombie(pid)) return { alive: false, detail: `process ${pid} (from ${pidfile}) is gone`, pid };
  return { alive: true, detail: `pid ${pid}`, pid };
}

const ALIVE_UNIT = new Set(['active', 'activating', 'reloading', 'deactivating', 'refreshing']);

/** Whether systemd is the init system here (sd_booted(3)'s test). */
export function systemdBooted(root = '/'): boolean {
  return existsSync(`${root}run/systemd/system`);
}

/** A unit's state from `systemctl is-active UNIT`. */
export function unitState(unit: string, systemctl = 'systemctl', booted: () => boolean = systemdBooted): Promise<ProcessState> {
  if (!booted()) return Promise.resolve({ alive: undefined, detail: `systemd is not running here: cannot watch ${unit}` });
  return new Promise((resolve) => {
    execFile(systemctl, ['is-active', unit], { timeout: 20000 }, (err, stdout, stderr) => {
      const state = String(stdout).trim().split('\n')[0] ?? '';
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ alive: undefined, detail: `no ${systemctl}: cannot watch ${unit}` });
      if (ALIVE_UNIT.has(state)) return resolve({ alive: true, detail: `${unit} ${state}` });
      if (state === '') return resolve({ alive: undefined, detail: `systemctl is-active ${unit}: ${String(stderr).trim().split('\n')[0] || 'no answer'}` });
      resolve({ alive: false, detail: `unit ${unit} is ${state}` });
    });
  });
}

/** The state of what a service watches (its pidfile, else its unit). */
export function processState(w: ProcessWatch, systemctl?: string): Promise<ProcessState> {
  if (w.pidfile) return pidfileState(w.pidfile);
  if (w.unit) return unitState(w.unit, systemctl);
  return Promise.resolve({ alive: undefined, detail: 'nothing to watch' });
}
