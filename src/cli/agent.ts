// `madman agent`: run the agent until SIGINT/SIGTERM; SIGHUP reloads the configuration.

import { startAgent, type RunningAgent } from '../agent.js';
import { ConfigError, settingsFrom, type Flags, type Settings } from '../config/config.js';
import { createLogger, type Logger } from '../log.js';
import { describeReload } from '../reload.js';
import { notifySystemd } from '../systemd.js';

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
  // Node's default for SIGHUP is to exit: one that comes while starting is held until the agent is up.
  let hupWhileStarting = false;
  const early = () => (hupWhileStarting = true);
  process.on('SIGHUP', early);
  let agent: RunningAgent;
  try {
    agent = await startAgent(settings, log);
  } finally {
    process.off('SIGHUP', early);
  }
  const onHup = () => void reloadOnHangup(flags, agent, log);
  process.on('SIGHUP', onHup);
  const where = serving(agent, settings);
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
  await notifySystemd({ ready: true, status: where }, log);
  if (hupWhileStarting) onHup();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.off('SIGHUP', onHup);
  await notifySystemd({ stopping: true, status: 'stopping' }, log);
  await agent.stop();
  return 0;
}

/** For `systemctl status`: where the agent answers. */
function serving(agent: RunningAgent, settings: Settings): string {
  const at = agent.endpoints.map((e) => `${e.family}:${e.family === 'udp6' ? `[${e.address}]` : e.address}:${e.port}`);
  if (settings.agentx !== undefined) at.push(`AgentX ${settings.agentx}`);
  return `serving on ${at.join(', ')}`;
}

/**
 * SIGHUP: reads the configuration again (the same file and flags) and applies it. A file
 * that does not pass the checks is refused: logged with its key and line, and the running
 * configuration stays as it was.
 */
async function reloadOnHangup(flags: Flags, agent: RunningAgent, log: Logger): Promise<void> {
  await notifySystemd({ reloading: true, status: 'reloading the configuration' }, log);
  let next: Settings;
  try {
    next = settingsFrom(flags);
  } catch (err) {
    const e = err as Error;
    const at = err instanceof ConfigError ? { file: err.file, key: err.key || undefined, line: err.line } : {};
    log.error({ ...at, err: e.message }, 'configuration not reloaded: the running one is kept');
    await notifySystemd({ ready: true, status: `configuration not reloaded (${e.message}); ${serving(agent, agent.settings)}` }, log);
    return;
  }
  try {
    const report = await agent.reload(next);
    if (report.needRestart.length) log.warn({ settings: report.needRestart }, 'changed settings that apply only after a restart');
    process.stdout.write(`madman: configuration reloaded (${describeReload(report)})\n`);
  } catch (err) {
    log.error({ err: (err as Error).message }, 'configuration reload failed part-way');
  }
  await notifySystemd({ ready: true, status: serving(agent, agent.settings) }, log);
}

function configFailure(err: unknown): number {
  if (err instanceof ConfigError || err instanceof Error) {
    process.stderr.write(`madman: bad configuration: ${err.message}\n`);
    return 2;
  }
  throw err;
}
