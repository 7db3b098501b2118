// `madman agent`: run the agent until SIGINT/SIGTERM.

import { startAgent } from '../agent.js';
import { ConfigError, settingsFrom, type Flags } from '../config/config.js';
import { createLogger } from '../log.js';

export async function agentCommand(flags: Flags & { checkConfig?: string }): Promise<number> {
  if (flags.checkConfig) {
    try {
      settingsFrom({ config: flags.checkConfig });
    } catch (err) {
      return configFailure(err);
    }
    process.stdout.write(`${flags.checkConfig}: OK\n`);
    return 0;
  }
  let settings;
  try {
    settings = settingsFrom(flags);
  } catch (err) {
    return configFailure(err);
  }
  const log = createLogger(settings.logLevel);
  const agent = await startAgent(settings, log);
  if (settings.agentx !== undefined) {
    process.stdout.write(`madman agent serving through the AgentX master at ${settings.agentx}${settings.demo ? ' (demo mail system)' : ''}\n`);
  }
  const ep = agent.endpoints[0];
  if (ep) {
    const host = ep.family === 'udp6' ? `udp6:[${ep.address}]` : ep.address;
    process.stdout.write(
      `madman agent listening on ${agent.endpoints.map((e) => `${e.family}:${e.address}:${e.port}`).join(', ')}` +
        `${settings.demo ? ' (demo mail system)' : ''}\n` +
        `Try: snmpwalk -v2c -c ${settings.communities[0]?.community ?? 'public'} ${host}:${ep.port} 1.3.6.1.2.1.28\n`,
    );
  }
  if (agent.http) process.stdout.write(`madman agent serving HTTP (/metrics, status page) on ${agent.http.urls.join(', ')}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await agent.stop();
  return 0;
}

function configFailure(err: unknown): number {
  if (err instanceof ConfigError || err instanceof Error) {
    process.stderr.write(`madman: bad configuration: ${err.message}\n`);
    return 2;
  }
  throw err;
}
