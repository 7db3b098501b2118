// Puts the agent together: model, sources, MIB, views, index, transport.
// Data flows one way: sources -> model -> views -> index -> UDP.

import os from 'node:os';
import type { Settings } from './config/config.js';
import type { Logger } from './log.js';
import { bindViews } from './mib/bind.js';
import { loadMibs, type MibTree } from './mib/loader.js';
import { madmanView } from './mib/madman.js';
import { madmanProbesView } from './mib/madman-probes.js';
import { madmanChannelsView } from './mib/madman-channels.js';
import { madmanAlarmsView } from './mib/madman-alarms.js';
import { madmanServicesView } from './mib/madman-services.js';
import { mtaView } from './mib/mta.js';
import { networkServicesView } from './mib/network-services.js';
import { snmpEngineView, snmpMpdView, snmpTargetView, usmStatsView } from './mib/snmp-security.js';
import { snmpv2View } from './mib/snmpv2.js';
import type { HttpFrontEnd } from './http/server.js';
import { requestClock, sysUpTime, type ViewContext } from './mib/view.js';
import { MailSystem } from './model/mail-system.js';
import { startAlarming, type Alarming } from './notify/setup.js';
import { reloadAgent, type LiveAgent, type ReloadReport } from './reload.js';
import { CommunityAccess } from './snmp/access.js';
import { startSubagent, type Subagent } from './snmp/agentx/subagent.js';
import type { OidIndex } from './snmp/oid-index.js';
import { NotificationHub } from './snmp/notifications.js';
import { SnmpStats } from './snmp/stats.js';
import { UdpAgent, type Endpoint } from './snmp/udp-agent.js';
import { UsmStats } from './snmp/usm/usm.js';
import { engineEnterprise, ephemeralEngine, startSecurity, type SecurityState } from './security.js';
import './sources/index.js';
import { configuredSourceEntries, type Source } from './sources/registry.js';
import { StableIndexes } from './state/stable-indexes.js';
import { VERSION } from './version.js';
import { RateLimitedLog } from './rate-limited-log.js';
import { readFirstInstances, warmUp } from './snmp/warm-up.js';

export { VERSION };

export interface RunningAgent {
  model: MailSystem;
  index: OidIndex;
  tree: MibTree;
  stats: SnmpStats;
  endpoints: Endpoint[];
  sources: Source[];
  /** where notifications are raised; sinks (trap receivers, the AgentX master) attach here */
  notifications: NotificationHub;
  /** the alarm engine and the notification sinks it feeds (notify/setup.ts) */
  alarming: Alarming;
  /** the AgentX session, when settings.agentx names a master */
  agentx?: Subagent;
  /** the settings in effect (after the last reload) */
  readonly settings: Settings;
  /**
   * Applies checked settings to the running agent, keeping its sockets and counters
   * (reload.ts); reloads run one after the other.
   */
  reload(settings: Settings): Promise<ReloadReport>;
  /** the HTTP front end (/metrics, status page), when settings.http asks for it */
  http?: HttpFrontEnd;
  stop(): Promise<void>;
}

export interface AgentParts {
  /** a model to serve instead of a fresh one (tests, benchmarks) */
  model?: MailSystem;
  /** sources to start besides the ones settings name */
  sources?: Source[];
}

export interface Serving {
  tree: MibTree;
  index: OidIndex;
  ctx: ViewContext & { tick(): void };
  /** sysContact, sysLocation and sysName as served: a reload changes them in place */
  system: Settings['system'];
}

/** The MIB, the views over `model` and the OID index serving them. */
export function buildServing(
  model: MailSystem,
  stats: SnmpStats,
  system: Settings['system'],
  log?: Logger,
  security: Pick<SecurityState, 'engine' | 'usmStats' | 'maxMessageSize'> = { engine: ephemeralEngine(), usmStats: new UsmStats(), maxMessageSize: 65507 },
  tree: MibTree = loadMibs(),
): Serving {
  const ctx = requestClock();
  let lastRebuild: number | undefined;
  const served = { ...system };
  const views = [
    snmpv2View(tree, stats, {
      descr: `madman ${VERSION}: SNMP agent for mail systems (Node ${process.version}, ${os.type()} ${os.arch()})`,
      get contact() {
        return served.contact;
      },
      get location() {
        return served.location;
      },
      get name() {
        return served.name;
      },
    }),
    networkServicesView(model, tree),
    mtaView(model, tree),
    madmanView(model, stats, {
      version: VERSION,
      instances: () => index.instanceCount(),
      lastRebuild: () => lastRebuild,
    }),
    madmanProbesView(model),
    snmpEngineView(security.engine, security.maxMessageSize),
    snmpMpdView(stats),
    usmStatsView(security.usmStats),
    snmpTargetView(security.usmStats),
    madmanChannelsView(model),
    madmanAlarmsView(model),
    madmanServicesView(model),
  ];
  const index = bindViews(tree, views, ctx, {
    onBadRow: (entry, reason) => log?.warn({ entry, reason }, 'row dropped'),
    onRebuild: (at) => (lastRebuild = at),
  });
  return { tree, index, ctx, system: served };
}

export async function startAgent(settings: Settings, log: Logger, parts: AgentParts = {}): Promise<RunningAgent> {
  // A model passed in brings its own index allocation.
  const stable = parts.model
    ? undefined
    : new StableIndexes(settings.stateDir, (err) => log.error({ err: err.message }, 'cannot save row indexes'));
  const model = parts.model ?? new MailSystem(stable);
  const stats = new SnmpStats();
  const mibs = loadMibs();
  const security = startSecurity(settings, mibs, stats, engineEnterprise(mibs));
  const { tree, index, ctx, system } = buildServing(model, stats, settings.system, log, security, mibs);
  // compiled code before the first request arrives, while nothing else runs (warm-up.ts)
  ctx.tick();
  // one object for UDP and AgentX, changed in place by a reload (reload.ts)
  const caps = { ...settings.limits.bulk };
  log.debug(warmUp(index, { caps }), 'serving paths warmed up');

  const notifications = new NotificationHub((sink, err) => log.warn({ sink, err: err.message }, 'notification not sent'));
  const configured = await configuredSourceEntries(settings);
  const sources = [...(parts.sources ?? []), ...configured.map((e) => e.source)];
  for (const s of sources) await s.start(model, log.child({ source: s.name }));
  // The AgentX sink is in the hub before alarming starts: its first check runs at once,
  // and the sink queues what it raises until the master has opened the session.
  const agentx =
    settings.agentx === undefined
      ? undefined
      : startSubagent({
          address: settings.agentx,
          tree,
          index,
          uptime: () => sysUpTime(ctx),
          beginRequest: () => ctx.tick(),
          onEncodeError: () => stats.encodeErrors++,
          caps,
          description: `madman ${VERSION}`,
          log,
        });
  if (agentx) notifications.add(agentx.sink);
  const alarming = startAlarming(settings, model, tree, ctx, notifications, log, security.engine);

  // the rows the sources brought, sorted before the first request
  ctx.tick();
  readFirstInstances(index);
  const packetLog = packetLogs(log);
  const udp = new UdpAgent({
    listen: settings.listen,
    access: new CommunityAccess(settings.communities),
    index,
    stats,
    views: security.views,
    v3: security.v3,
    maxMessageSize: settings.maxMessageSize,
    caps,
    recvBufferSize: settings.limits.serverRecvBuf,
    beginRequest: () => ctx.tick(),
    // at the default level nothing is logged per packet: skip even the counting
    onDrop: log.isLevelEnabled('info') ? (reason, from) => packetLog.dropped.note(reason, { from }) : undefined,
    onInternalError: (err, from) => packetLog.internal.note(err.stack?.split('\n').slice(0, 2).join(' ') ?? err.message, { from, stack: err.stack }),
  });
  let endpoints: Endpoint[];
  let http: HttpFrontEnd | undefined;
  try {
    endpoints = await udp.start();
    if (settings.http) {
      const figures = { version: VERSION, startedAt: ctx.startedAt, stats, usmStats: security.usmStats, instances: () => index.instanceCount() };
      // loaded only when asked: prom-client, node:http/https and the page cost ~2 MiB idle
      const { startHttp } = await import('./http/server.js');
      http = await startHttp(settings.http, { model, figures, host: settings.system.name }, log);
    }
  } catch (err) {
    // e.g. the port is taken: stop the sources, or their timers keep the process alive
    await udp.stop();
    alarming.stop();
    await agentx?.stop();
    await notifications.close();
    for (const s of sources) await s.stop();
    packetLog.stop();
    throw err;
  }
  log.info({ endpoints, objects: index.objects.length, recvBufferBytes: udp.recvBufferSizes() }, 'agent listening');
  const live: LiveAgent = { settings, model, tree, stats, ctx, notifications, log, udp, caps, system, security, alarming, sources: configured };
  const extra = parts.sources ?? [];
  let reloading: Promise<unknown> = Promise.resolve();
  return {
    model,
    index,
    tree,
    stats,
    endpoints,
    get sources() {
      return [...extra, ...live.sources.map((e) => e.source)];
    },
    notifications,
    get alarming() {
      return live.alarming;
    },
    agentx,
    get settings() {
      return live.settings;
    },
    reload(next) {
      const done = reloading.then(() => reloadAgent(live, next));
      reloading = done.catch(() => undefined);
      return done;
    },
    http,
    async stop() {
      await reloading;
      await http?.stop();
      await udp.stop();
      packetLog.stop();
      live.alarming.stop();
      await agentx?.stop();
      for (const s of [...extra, ...live.sources.map((e) => e.source)]) await s.stop();
      await notifications.close();
      stable?.flush();
    },
  };
}

/**
 * The UDP handler's two logs, one line per cause per minute with counts: requests
 * dropped (info, seen with -v) and bugs met while answering (errors, always seen).
 */
function packetLogs(log: Logger): { dropped: RateLimitedLog; internal: RateLimitedLog; stop(): void } {
  const dropped = new RateLimitedLog((reason, count, f) => log.info({ ...f, reason, count }, 'request dropped'));
  const internal = new RateLimitedLog((cause, count, f) => log.error({ ...f, cause, count }, 'internal error answering a request'));
  dropped.startTimer();
  internal.startTimer();
  return {
    dropped,
    internal,
    stop() {
      dropped.stop();
      internal.stop();
    },
  };
}
