// `madman agent`: run the agent until SIGINT/SIGTERM; SIGHUP reloads the configuration.

import { readFileSync } from 'node:fs';
import { yaml } from '../config/yaml-lazy.js';
import { startAgent, type RunningAgent } from '../agent.js';
import { ConfigError, settingsFrom, type Flags, type Settings } from '../config/config.js';
import { keyText, lineOfKey, listenKey } from '../config/serving.js';
import { prepareStateDir } from '../config/state-dir.js';
import { createLogger, type Logger } from '../log.js';
import { describeReload } from '../reload.js';
import { BindError } from '../snmp/udp-agent.js';
import { notifySystemd } from '../systemd.js';

/** How long stopping may take after SIGTERM before the process exits anyway. */
const STOP_GRACE_MS = 10_000;

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
  try {
    prepareStateDir(settings.stateDir);
  } catch (err) {
    return configFailure(startError(err, flags, 'stateDir'));
  }
  const log = createLogger(settings.logLevel);
  // Node's default for SIGHUP is to exit: one that comes while starting is held until the agent is up.
  let hupWhileStarting = false;
  const early = () => (hupWhileStarting = true);
  process.on('SIGHUP', early);
  let agent: RunningAgent;
  try {
    agent = await startAgent(settings, log);
  } catch (err) {
    if (err instanceof BindError) return configFailure(startError(err, flags, 'listen'));
    throw err;
  } finally {
    process.off('SIGHUP', early);
  }
  const onHup = () => void reloadOnHangup(flags, agent, log);
  process.on('SIGHUP', onHup);
  const where = serving(agent, settings);
  // one write: a reader that sees the first line sees them all (scripts and tests wait for "listening on")
  let banner = '';
  if (settings.agentx !== undefined) {
    banner += `madman agent serving through the AgentX master at ${settings.agentx}${settings.demo ? ' (demo mail system)' : ''}\n`;
  }
  const ep = agent.endpoints[0];
  if (ep) {
    const host = ep.family === 'udp6' ? `udp6:[${ep.address}]` : ep.address;
    banner +=
      `madman agent listening on ${agent.endpoints.map((e) => `${e.family}:${e.address}:${e.port}`).join(', ')}` +
      `${settings.demo ? ' (demo mail system)' : ''}\n` +
      `Try: snmpwalk -v2c -c ${settings.communities[0]?.community ?? 'public'} ${host}:${ep.port} 1.3.6.1.2.1.28\n`;
  }
  if (agent.http) banner += `madman agent serving HTTP (/metrics, status page) on ${agent.http.urls.join(', ')}\n`;
  if (banner) process.stdout.write(banner);
  await notifySystemd({ ready: true, status: where }, log);
  if (hupWhileStarting) onHup();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // SIGTERM always ends the process: a second signal, or a stop that hangs (a file
  // system that does not answer), exits at once; and whatever is still pending in
  // the thread pool after a clean stop does not keep the process alive.
  const force = (code: number) => () => process.exit(code);
  process.once('SIGINT', force(130));
  process.once('SIGTERM', force(143));
  setTimeout(() => {
    log.error({ graceMs: STOP_GRACE_MS }, 'stopping took too long; exiting anyway');
    process.exit(1);
  }, STOP_GRACE_MS).unref();
  // a SIGHUP while stopping neither reloads nor (Node's default) kills the process mid-stop
  process.off('SIGHUP', onHup);
  process.on('SIGHUP', () => undefined);
  await notifySystemd({ stopping: true, status: 'stopping' }, log);
  await agent.stop();
  setTimeout(force(0), 200).unref();
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

/**
 * A problem met at start with a configured value (the state directory, a listen
 * address), as the config check would name it: file, key and line when the value
 * came from the file, the flag otherwise.
 */
function startError(err: unknown, flags: Flags, what: 'stateDir' | 'listen'): unknown {
  if (err instanceof ConfigError || !(err instanceof Error)) return err;
  const file = flags.config;
  const fromFlag = what === 'stateDir' ? flags.stateDir !== undefined : Boolean(flags.listen?.length || flags.agentaddress?.length);
  if (err instanceof BindError && err.list === 'http') {
    // --http replaces the file's addresses
    if (flags.http?.length || !file) return new Error(`--http: ${err.message}`);
    const located = locate(file, () => ['http', 'listen', err.at]);
    return located ? new ConfigError(file, keyText(located.key), located.line, err.message) : err;
  }
  if (err instanceof BindError) {
    if (fromFlag || !file) return new Error(`--listen: ${err.message}`);
    const located = locate(file, (data) => listenKey(data, err.at));
    return located ? new ConfigError(file, keyText(located.key), located.line, err.message) : err;
  }
  if (fromFlag || !file) return new Error(`${fromFlag ? '--state-dir' : 'stateDir'}: ${err.message}`);
  const located = locate(file, () => ['stateDir']);
  return located ? new ConfigError(file, 'stateDir', located.line, err.message) : new Error(`stateDir: ${err.message}`);
}

/** The key (as `keyOf` finds it in the file's data) and its line, read again from the file. */
function locate(
  file: string,
  keyOf: (data: { listen?: string[]; agentaddress?: string | string[] }) => Array<string | number>,
): { key: Array<string | number>; line: number | undefined } | undefined {
  try {
    const lines = new (yaml().LineCounter)();
    const doc = yaml().parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines });
    const key = keyOf((doc.toJS({ maxAliasCount: -1 }) ?? {}) as { listen?: string[]; agentaddress?: string | string[] });
    if (doc.getIn(key, true) === undefined) return undefined;
    return { key, line: lineOfKey(doc, lines, key) };
  } catch {
    return undefined;
  }
}

function configFailure(err: unknown): number {
  if (err instanceof ConfigError || err instanceof Error) {
    process.stderr.write(`madman: bad configuration: ${err.message}\n`);
    return 2;
  }
  throw err;
}
