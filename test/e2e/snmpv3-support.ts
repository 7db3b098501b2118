// Shared by the SNMPv3 end-to-end tests: an agent started from a YAML file in
// snmpd.conf vocabulary, and the Net-SNMP tools with -v3 options.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { settingsFrom } from '../../src/config/config.js';
import { MIB_DIRS, run, startTestAgent, type RunResult, type TestAgent } from '../helpers/harness.js';

export const V3_MIB_OPTS = ['-M', MIB_DIRS, '-m', 'SNMPv2-MIB:SNMP-FRAMEWORK-MIB:SNMP-MPD-MIB:SNMP-USER-BASED-SM-MIB:SNMP-TARGET-MIB'];

/** Starts an agent configured by `yaml` (listen and stateDir are the test's). */
export async function startV3Agent(yaml: string, stateDir?: string): Promise<TestAgent & { dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-v3-'));
  const file = path.join(dir, 'madman.yaml');
  writeFileSync(file, yaml);
  const s = settingsFrom({ config: file });
  const ta = await startTestAgent({ settings: { communities: s.communities, security: s.security }, stateDir: stateDir ?? path.join(dir, 'state') });
  return {
    ...ta,
    dir,
    async stop() {
      await ta.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface V3User {
  user: string;
  level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
  auth?: [string, string];
  priv?: [string, string];
}

export function v3Args(u: V3User): string[] {
  const a = ['-v3', '-l', u.level, '-u', u.user];
  if (u.auth) a.push('-a', u.auth[0], '-A', u.auth[1]);
  if (u.priv) a.push('-x', u.priv[0], '-X', u.priv[1]);
  return a;
}

/**
 * A Net-SNMP tool as user `u`, no retries. The timeout is long enough for an answer on a
 * loaded machine; pass a short one only where no answer is the expected outcome.
 */
export function v3(tool: string, u: V3User, args: string[], extra: string[] = [], timeoutS = 5): Promise<RunResult> {
  return run(tool, [...v3Args(u), '-t', String(timeoutS), '-r', '0', ...V3_MIB_OPTS, ...extra, ...args]);
}
