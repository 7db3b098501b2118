// Settings of the AgentX subagent (`agentx` in the file, --agentx on the command line).
// With AgentX the master's port is the one managers use, so the UDP listener runs
// only when listen addresses were given explicitly (file or --listen).

import { DEFAULT_MASTER, parseMasterAddress } from '../snmp/agentx/session.js';

export const agentxSchema = { type: 'string', format: 'agentx' } as const;

export function isAgentxAddress(s: string): boolean {
  try {
    parseMasterAddress(s);
    return true;
  } catch {
    return false;
  }
}

export const AGENTX_FORMAT_MESSAGE = 'not an AgentX master address (unix:PATH or tcp:HOST:PORT)';

/**
 * The master address from the file and the flag, checked; undefined when AgentX is not
 * asked for. A bare --agentx (true) takes the file's address, else the default socket, so
 * that a unit file can ask for AgentX and leave the address to the configuration.
 */
export function agentxAddress(fromFile: string | undefined, flag: string | boolean | undefined): string | undefined {
  const a = flag === true ? (fromFile ?? DEFAULT_MASTER) : typeof flag === 'string' ? flag : fromFile;
  if (a !== undefined) parseMasterAddress(a);
  return a;
}
