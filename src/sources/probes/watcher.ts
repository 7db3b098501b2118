// The watcher: runs a service's restart command after it failed N consecutive checks, or
// at once when the process it watches (pidfile or systemd unit: process.ts) has died.
// Sun's rule: a service that fails more than twice within the window (600 s by default)
// is not restarted again; the watcher says so in the log, the MIB and a notification
// (model.watcherEvents), and resumes when a check succeeds again (someone fixed it).

import { execFile } from 'node:child_process';
import type { Logger } from '../../log.js';
import type { RestartSettings } from './config.js';
import type { ServiceCheck, WatcherEvent } from '../../model/checks.js';

/** What a watcher needs of its service's `restart:` settings. */
export type RestartSpec = RestartSettings;

export interface CommandResult {
  code: number;
  output: string;
}

export type CommandRunner = (command: string) => Promise<CommandResult>;

/** At most this many restarts within the window. */
export const MAX_RESTARTS = 2;

/**
 * After a restart, how long the old process's pidfile (or none) is taken for a daemon still
 * starting, not for one that died again: a daemon may write its pidfile after the command
 * that starts it has returned. A process the restart started that dies counts at once.
 */
export const START_GRACE_MS = 30_000;

/** Runs a restart command with /bin/sh (it comes from the config file, as an operator would type it). */
export const shellRunner: CommandRunner = (command) =>
  new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], { timeout: 120000, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, output: `${String(stdout)}${String(stderr)}`.trim().slice(0, 500) });
    });
  });

export class Watcher {
  private restartTimes: number[] = [];
  private failuresSinceRestart = 0;
  /** a restart command under way: the probe and the process look must not both run it */
  private running = false;
  /** the watched process last seen alive, and after a restart the one it replaced and until when */
  private alivePid?: number;
  private replaced?: { pid?: number; until: number };

  constructor(
    private readonly spec: RestartSpec,
    private readonly log: Logger,
    private readonly runner: CommandRunner = shellRunner,
    private readonly now: () => number = Date.now,
    private readonly onEvent: (e: WatcherEvent) => void = () => {},
  ) {}

  /** Told after each check; runs the restart command when it is due (`onRestart` first). */
  async observe(check: ServiceCheck, failed: boolean, onRestart?: () => void): Promise<void> {
    if (!failed) {
      this.failuresSinceRestart = 0;
      if (check.watcher === 'suspended') {
        check.watcher = 'watching';
        this.log.warn({ service: check.name }, 'service answers again; restarts resumed');
      }
      return;
    }
    if (++this.failuresSinceRestart < this.spec.afterFailures) return;
    await this.restart(check, `${check.consecutiveFailures} failed check${check.consecutiveFailures === 1 ? '' : 's'}: ${check.reason}`, onRestart);
  }

  /** Told that the watched process runs (its pid, when a pidfile names it). */
  processAlive(pid: number | undefined): void {
    this.alivePid = pid;
  }

  /**
   * Told that the watched process has died (`detail` says how; `pid` the one the pidfile
   * names, undefined when there is none): restarts at once, unless it is still the process a
   * restart replaced and the new one may not have written its pidfile yet.
   */
  async processDied(check: ServiceCheck, detail: string, pid: number | undefined, onRestart?: () => void): Promise<void> {
    const r = this.replaced;
    if (r && this.now() < r.until && (pid === undefined || pid === r.pid)) return;
    await this.restart(check, detail, onRestart, pid);
  }

  private async restart(check: ServiceCheck, reason: string, onRestart?: () => void, deadPid = this.alivePid): Promise<void> {
    this.failuresSinceRestart = 0;
    if (this.running || check.watcher === 'suspended') return;
    const at = this.now();
    this.restartTimes = this.restartTimes.filter((t) => at - t < this.spec.windowSeconds * 1000);
    if (this.restartTimes.length >= MAX_RESTARTS) {
      check.watcher = 'suspended';
      check.restartReason = reason;
      this.log.error(
        { service: check.name, restarts: this.restartTimes.length, windowSeconds: this.spec.windowSeconds, reason },
        'service still failing after restarts; restarts suspended',
      );
      this.onEvent({ check, action: 'suspended', reason, at });
      return;
    }
    this.running = true;
    try {
      this.restartTimes.push(at);
      check.restarts = (check.restarts ?? 0) + 1;
      check.lastRestart = at;
      check.restartReason = reason;
      this.log.warn({ service: check.name, reason, command: this.spec.command }, 'restarting service');
      onRestart?.();
      this.onEvent({ check, action: 'restarted', reason, at });
      const r = await this.runner(this.spec.command);
      if (r.code !== 0) this.log.error({ service: check.name, code: r.code, output: r.output }, 'restart command failed');
      else this.log.info({ service: check.name }, 'restart command done');
    } finally {
      this.replaced = { pid: deadPid, until: this.now() + START_GRACE_MS };
      this.running = false;
    }
  }
}
