// Shared by the integration tests (several features of one real agent at once): the real
// `madman agent --config FILE` process, started the way an operator starts it, with its
// stdout and stderr in files (never a pipe we wait on), stopped by pid with SIGTERM.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/harness.js';

export const MAIN = path.join(ROOT, 'dist/src/cli/main.js');
export const MADMAN = '.1.3.6.1.4.1.32473';
/** madmanAlarmEntry */
export const ALARM_COL = `${MADMAN}.1.5.1`;
export const SNMP_TRAP_OID = '.1.3.6.1.6.3.1.1.4.1.0';

export interface CliAgent {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * `node dist/src/cli/main.js ARGS` (or `opts.command ARGS`: an installed madman), resolved
 * once it prints that it listens; `opts.env` is added to the test's environment,
 * `opts.uid`/`gid` run it as another user.
 */
export async function startCliAgent(
  args: string[],
  dir: string,
  opts: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; command?: string } = {},
): Promise<CliAgent> {
  const out = path.join(dir, 'agent.out');
  const err = path.join(dir, 'agent.err');
  const o = openSync(out, 'w');
  const e = openSync(err, 'w');
  const [cmd, ...pre] = opts.command ? [opts.command] : [process.execPath, MAIN];
  const child = spawn(cmd!, [...pre, ...args], { stdio: ['ignore', o, e], cwd: dir, env: { ...process.env, ...opts.env }, uid: opts.uid, gid: opts.gid });
  closeSync(o);
  closeSync(e);
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  const agent: CliAgent = {
    child,
    stdout: () => read(out),
    stderr: () => read(err),
    async stop() {
      process.removeListener('exit', onExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    },
  };
  for (const deadline = Date.now() + 20000; ; ) {
    if (/listening on/.test(read(out))) return agent;
    if (child.exitCode !== null) throw new Error(`agent exited ${child.exitCode}: ${read(err)}`);
    if (Date.now() > deadline) {
      await agent.stop();
      throw new Error(`agent did not start: ${read(err)}`);
    }
    await sleep(50);
  }
}

/** The 8 varbinds of a MADMAN-MIB alarm notification for row `i`, as snmptrapd prints them (-On, no MIBs). */
export function alarmVarbinds(
  i: number,
  v: { id: string; instance: string; description: string; current: number; threshold: number; direction: 'above' | 'below'; high: number; low: number },
): Array<[string, string]> {
  return [
    [`${ALARM_COL}.2.${i}`, `STRING: "${v.id}"`],
    [`${ALARM_COL}.3.${i}`, `STRING: "${v.instance}"`],
    [`${ALARM_COL}.4.${i}`, `STRING: "${v.description}"`],
    [`${ALARM_COL}.5.${i}`, `INTEGER: ${v.current}`],
    [`${ALARM_COL}.6.${i}`, `INTEGER: ${v.threshold}`],
    [`${ALARM_COL}.8.${i}`, `INTEGER: ${v.direction === 'above' ? 2 : 1}`],
    [`${ALARM_COL}.9.${i}`, `INTEGER: ${v.high}`],
    [`${ALARM_COL}.10.${i}`, `INTEGER: ${v.low}`],
  ];
}

/** The madman objects of a received notification, in order. */
export function madmanVarbinds(varbinds: Map<string, string>): Array<[string, string]> {
  return [...varbinds].filter(([oid]) => oid.startsWith(`${MADMAN}.1.`));
}
