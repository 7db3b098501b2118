// Running the commands of the real-server helpers (postfix-server.ts, sendmail-server.ts):
// plain commands whose output is waited for, commands that fork daemons (output to a file,
// never a pipe a daemon would hold open), and whether a process is alive.

import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** For commands that do not fork daemons: stdin gets `input` (else closed). Never rejects. */
export function runCommand(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 20000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    // a command that exits before reading its stdin makes the write fail with EPIPE: its exit
    // code and output tell what happened, so the write error is not the test's failure
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

/**
 * For commands that start daemons (postfix start, sendmail -bd): output appended to
 * `outFile`, stdin closed, resolved on exit (not on stdio close, which a forked daemon would hold).
 */
export function execToFile(cmd: string, args: string[], outFile: string, timeoutMs = 30000): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const before = existsSync(outFile) ? readFileSync(outFile, 'utf8').length : 0;
    const fd = openSync(outFile, 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), output: readFileSync(outFile, 'utf8').slice(before) });
    });
  });
}

/** Is process `pid` alive (a process of another user counts)? */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
