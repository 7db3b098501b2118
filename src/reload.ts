// Reloading the configuration while the agent runs (SIGHUP, `systemctl reload madman`).
// The settings were read and checked before this is called (a bad file never gets
// here: the CLI refuses it and the running configuration stays). What is applied:
// - communities, SNMPv3 users and views: new access rules for the next request, on the
//   same UDP sockets (the port stays bound, even 161 without the right to bind it again),
//   with the same engine ID and boot count, and every counter going on;
// - sysContact, sysLocation, sysName;
// - the GetBulk caps (maxGetbulkRepeats, maxGetbulkResponses) for UDP and AgentX, and the
//   sockets' receive buffer (serverRecvBuf), set on the bound sockets;
// - sources (logs, queues, probes, disks, demo): one whose settings (its section, the state
//   directory, fromStart) changed is stopped (saving its checkpoint) and started again from
//   that checkpoint; one whose settings did not change keeps running untouched; one turned
//   off is stopped and its rows retired;
// - alarms and notifications: the alarm engine restarts with the new rules over the same
//   alarm instances (counts, high/low, raised state kept); sinks whose settings did not
//   change are kept with what they still have to send.
// Settings that hold sockets or files, and the log level, need a restart: they are kept
// as they were, and the report names them.

import type { Settings } from './config/config.js';
import type { Logger } from './log.js';
import type { MibTree } from './mib/loader.js';
import type { ViewContext } from './mib/view.js';
import type { MailSystem } from './model/mail-system.js';
import { startAlarming, type Alarming } from './notify/setup.js';
import { securityFor, type SecurityState } from './security.js';
import { CommunityAccess } from './snmp/access.js';
import type { NotificationHub } from './snmp/notifications.js';
import type { BulkCaps } from './snmp/bulk.js';
import type { SnmpStats, UdpAgent } from './snmp/udp-agent.js';
import { plannedSources, type ConfiguredSource } from './sources/registry.js';

/** The parts of a running agent that a reload replaces or adjusts (agent.ts keeps them). */
export interface LiveAgent {
  settings: Settings;
  readonly model: MailSystem;
  readonly tree: MibTree;
  readonly stats: SnmpStats;
  readonly ctx: ViewContext & { tick(): void };
  readonly notifications: NotificationHub;
  readonly log: Logger;
  readonly udp: UdpAgent;
  /** the GetBulk caps UDP and AgentX answer with (changed in place) */
  readonly caps: BulkCaps;
  /** sysContact, sysLocation and sysName as the system group serves them (changed in place) */
  readonly system: Settings['system'];
  security: SecurityState;
  alarming: Alarming;
  /** the sources the settings turned on */
  sources: ConfiguredSource[];
}

/** What a reload did. */
export interface ReloadReport {
  /** top-level settings that differ from the running ones */
  changed: string[];
  /** of those, the ones that need a restart (the running value is kept) */
  needRestart: string[];
  /** sources (by registered name) restarted from their checkpoint, started, stopped */
  restarted: string[];
  started: string[];
  stopped: string[];
}

/** Settings applied only at start: the sockets and files the agent holds, and the loggers' level. */
export const RESTART_ONLY = ['listen', 'stateDir', 'agentx', 'maxMessageSize', 'logLevel', 'http'] as const;

/** Settings as comparable text (the security views are a Map). */
function text(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Map ? [...x.entries()] : x)) ?? 'undefined';
}

/** Applies `requested` to the running agent; never throws (what fails is logged and reported). */
export async function reloadAgent(live: LiveAgent, requested: Settings): Promise<ReloadReport> {
  const old = live.settings;
  const keys = [...new Set([...Object.keys(old), ...Object.keys(requested)])] as Array<keyof Settings>;
  const changed = keys.filter((k) => text(old[k]) !== text(requested[k])).sort();
  const needRestart = RESTART_ONLY.filter((k) => changed.includes(k));
  const next: Settings = { ...requested };
  for (const k of RESTART_ONLY) (next as unknown as Record<string, unknown>)[k] = old[k];
  const log = live.log;
  const report: ReloadReport = { changed, needRestart, restarted: [], started: [], stopped: [] };

  // Who may ask: in effect from the next request on.
  live.security = securityFor(next, live.tree, live.stats, live.security.engine, live.security.usmStats);
  live.udp.reconfigure({ access: new CommunityAccess(next.communities), views: live.security.views, v3: live.security.v3 });
  // What a request may cost: the GetBulk caps (UDP and AgentX) and the receive buffer
  // of the sockets already bound.
  Object.assign(live.caps, next.limits.bulk);
  if (next.limits.serverRecvBuf !== old.limits.serverRecvBuf) {
    try {
      live.udp.setRecvBufferSize(next.limits.serverRecvBuf);
    } catch (err) {
      log.warn({ serverRecvBuf: next.limits.serverRecvBuf, err: (err as Error).message }, 'receive buffer not changed');
    }
  }
  const sys = live.system as Record<string, unknown>;
  for (const k of Object.keys(sys)) delete sys[k];
  Object.assign(sys, next.system);

  // Sources first, so that the alarms' first measurement sees them.
  const running = new Map(live.sources.map((e) => [e.registered, e]));
  const kept: ConfiguredSource[] = [];
  for (const plan of plannedSources(next)) {
    const prev = running.get(plan.registered);
    running.delete(plan.registered);
    if (prev && prev.madeFrom === plan.madeFrom) {
      kept.push(prev);
      continue;
    }
    if (prev) await stopSource(prev, log);
    let fresh: ConfiguredSource | undefined;
    try {
      fresh = { registered: plan.registered, madeFrom: plan.madeFrom, source: await plan.create() };
      await fresh.source.start(live.model, log.child({ source: fresh.source.name }));
      kept.push(fresh);
      (prev ? report.restarted : report.started).push(plan.registered);
    } catch (err) {
      log.error({ source: plan.registered, err: (err as Error).message }, 'source not started after the reload');
      if (fresh) await stopSource(fresh, log);
    }
  }
  for (const gone of running.values()) {
    await stopSource(gone, log);
    gone.source.retire?.(live.model);
    report.stopped.push(gone.registered);
  }
  live.sources = kept;

  live.alarming = startAlarming(next, live.model, live.tree, live.ctx, live.notifications, log, live.security.engine, live.alarming);
  live.settings = next;
  return report;
}

async function stopSource(e: ConfiguredSource, log: Logger): Promise<void> {
  try {
    await e.source.stop();
  } catch (err) {
    log.error({ source: e.registered, err: (err as Error).message }, 'source did not stop cleanly');
  }
}

/** One line for the log and the terminal: what the reload applied and what waits for a restart. */
export function describeReload(r: ReloadReport): string {
  const parts = [r.changed.length ? `changed: ${r.changed.join(', ')}` : 'nothing changed'];
  if (r.restarted.length) parts.push(`sources restarted from their checkpoint: ${r.restarted.join(', ')}`);
  if (r.started.length) parts.push(`sources started: ${r.started.join(', ')}`);
  if (r.stopped.length) parts.push(`sources stopped: ${r.stopped.join(', ')}`);
  if (r.needRestart.length) parts.push(`not applied until a restart: ${r.needRestart.join(', ')}`);
  return parts.join('; ');
}
