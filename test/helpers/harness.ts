// Test harness: an in-process agent on a free loopback port serving a model the
// test builds, and the real Net-SNMP command-line tools to talk to it.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAgent, type RunningAgent } from '../../src/agent.js';
import { defaults, type Settings } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import { MailSystem } from '../../src/model/mail-system.js';

/** The repository root (tests run from dist/test/...). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Our MIB files with the base modules they import (what `madman mib path` prints). */
export const MIB_DIRS = path.join(ROOT, 'mibs');
/** Options that make the tools load our MIBs (and only those plus the base SMI). */
export const MIB_OPTS = ['-M', MIB_DIRS, '-m', 'SNMPv2-MIB:SNMP-FRAMEWORK-MIB:NETWORK-SERVICES-MIB:MTA-MIB:MADMAN-MIB'];

export interface TestAgent {
  agent: RunningAgent;
  model: MailSystem;
  /** "127.0.0.1:PORT" (or "udp6:[::1]:PORT") to pass to the tools */
  target: string;
  port: number;
  stateDir: string;
  stop(): Promise<void>;
}

export async function startTestAgent(
  opts: { model?: MailSystem; settings?: Partial<Settings>; stateDir?: string } = {},
): Promise<TestAgent> {
  const stateDir = opts.stateDir ?? mkdtempSync(path.join(os.tmpdir(), 'madman-test-'));
  const model = opts.model ?? new MailSystem();
  const settings: Settings = { ...defaults(), listen: ['udp:127.0.0.1:0'], stateDir, ...opts.settings };
  const agent = await startAgent(settings, silentLogger, { model });
  const ep = agent.endpoints[0]!;
  const target = ep.family === 'udp6' ? `udp6:[${ep.address}]:${ep.port}` : `${ep.address}:${ep.port}`;
  return {
    agent,
    model,
    target,
    port: ep.port,
    stateDir,
    async stop() {
      await agent.stop();
      if (!opts.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell; never rejects (the exit code is in the result). */
export function run(cmd: string, args: string[], timeoutMs = 20000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024, cwd: ROOT }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * A Net-SNMP tool with -v2c -c public (unless opts say otherwise), one-second
 * timeout and no retries; `args` follow those flags (tool options, target, OIDs).
 */
export function snmp(tool: string, args: string[], opts: { version?: '1' | '2c'; community?: string } = {}): Promise<RunResult> {
  return run(tool, ['-v', opts.version ?? '2c', '-c', opts.community ?? 'public', '-t', '1', '-r', '0', ...args]);
}
