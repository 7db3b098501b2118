// Readiness for systemd (Type=notify): READY=1 once the agent answers, RELOADING=1 and
// READY=1 around a reload, STOPPING=1 on the way out, each with a STATUS= line that
// `systemctl status` shows. The protocol is a datagram on the unix socket $NOTIFY_SOCKET;
// Node cannot send on a unix datagram socket, so systemd's own `systemd-notify` sends it.
// That process is not the service's main process, hence NotifyAccess=all in the unit;
// systemd-notify waits (since systemd 246) until the manager has read the message, so
// the manager still knows which unit it came from. Without $NOTIFY_SOCKET (not started
// by systemd, or Type=exec) nothing is sent.

import { execFile } from 'node:child_process';
import type { Logger } from './log.js';

export interface SystemdState {
  ready?: boolean;
  reloading?: boolean;
  stopping?: boolean;
  /** one line for `systemctl status` */
  status?: string;
}

/** The systemd-notify arguments for a state. */
export function notifyArgs(s: SystemdState): string[] {
  const args: string[] = [];
  if (s.reloading) args.push('RELOADING=1');
  if (s.stopping) args.push('STOPPING=1');
  if (s.ready) args.push('READY=1');
  if (s.status !== undefined) args.push(`STATUS=${s.status.replace(/\n/g, ' ')}`);
  return args;
}

/** Tells the service manager, when there is one; resolves once sent (or on failure, logged). */
export function notifySystemd(s: SystemdState, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!env.NOTIFY_SOCKET) return Promise.resolve();
  return new Promise((resolve) => {
    execFile('systemd-notify', notifyArgs(s), { env, timeout: 10000 }, (err, _stdout, stderr) => {
      if (err) log.warn({ err: String(stderr).trim() || err.message }, 'systemd-notify failed: the service manager may not see this state');
      resolve();
    });
  });
}
