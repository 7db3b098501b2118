// The status page's JSON (GET /api/status): the mail system at a glance, read from the
// model at request time. Counts are the model's own figures, the same the SNMP views
// serve; ages are seconds (SNMP: centiseconds), volumes octets (SNMP: K-octets).

import { percentAvail } from '../model/disks.js';
import type { MailSystem, OperStatus } from '../model/mail-system.js';

export interface ChannelJson {
  index: number;
  name: string;
  received: number;
  transmitted: number;
  rejected: number;
  /** messages queued (mtaGroupStoredMessages) */
  queued: number;
  /** age of the oldest queued message, seconds; null when none */
  oldestAge: number | null;
  oldestId: string;
  inbound: number;
  outbound: number;
}

export interface StatusJson {
  now: number;
  host: string;
  version: string;
  startedAt: number;
  /** seconds between refreshes of this JSON; the graphs' interval is in /api/history */
  refreshSeconds: number;
  applications: Array<{ index: number; name: string; status: OperStatus; version: string; inbound: number; outbound: number; lastChange: number | null }>;
  mtas: Array<{
    index: number;
    name: string;
    received: number;
    transmitted: number;
    queued: number;
    queuedBytes: number;
    oldestAge: number | null;
    oldestId: string;
    channels: ChannelJson[];
  }>;
  /** raised alarms; alarmInstances counts every instance */
  alarms: Array<{ alarm: string; instance: string; description: string; current: number | null; threshold: number; direction: string; since: number | null }>;
  alarmInstances: number;
  disks: Array<{ path: string; mountPoint: string; totalBytes: number; availBytes: number; percentAvail: number | null; lastStat: number | null; reason: string }>;
  probes: Array<{ name: string; protocol: string; target: string; status: string; responseMs: number | null; lastCheck: number | null; reason: string; phases: Array<{ name: string; ms: number }> }>;
  sources: Array<{ name: string; input: string; ok: boolean; reason: string; lines: number; unparsed: number; lastCheckpoint: number | null }>;
  services: Array<{ name: string; current: number; connections: number; goodLogins: number; failedLogins: number }>;
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
const ageAt = (now: number, t: number | undefined): number | null => (t === undefined ? null : Math.max(0, (now - t) / 1000));

/** What the agent is, for the page's heading. */
export interface AgentIdentity {
  host: string;
  version: string;
  startedAt: number;
}

/** The status of `model` at `now`. */
export function statusJson(model: MailSystem, id: AgentIdentity, now: number, refreshSeconds: number): StatusJson {
  const mtas: StatusJson['mtas'] = [];
  for (const app of model.applications.values()) {
    if (!app.mta) continue;
    const channels: ChannelJson[] = [];
    let oldest: { at: number; id: string } | undefined;
    for (const ch of app.mta.channels.values()) {
      if (ch.oldestMessageStoredAt !== undefined && (!oldest || ch.oldestMessageStoredAt < oldest.at)) oldest = { at: ch.oldestMessageStoredAt, id: ch.oldestMessageId };
      channels.push({
        index: ch.index,
        name: ch.name,
        received: ch.receivedMessages,
        transmitted: ch.transmittedMessages,
        rejected: ch.rejectedMessages,
        queued: ch.storedMessages,
        oldestAge: ageAt(now, ch.oldestMessageStoredAt),
        oldestId: ch.oldestMessageId,
        inbound: ch.inboundAssociations,
        outbound: ch.outboundAssociations,
      });
    }
    const c = app.mta.counters;
    mtas.push({
      index: app.index,
      name: app.name,
      received: c.receivedMessages,
      transmitted: c.transmittedMessages,
      queued: c.storedMessages,
      queuedBytes: c.storedVolume,
      oldestAge: ageAt(now, oldest?.at),
      oldestId: oldest?.id ?? '',
      channels,
    });
  }
  const alarms = [...model.alarms.rows.values()];
  return {
    now,
    ...id,
    refreshSeconds,
    applications: [...model.applications.values()].map((a) => ({
      index: a.index,
      name: a.name,
      status: a.operStatus,
      version: a.version,
      inbound: a.inboundAssociations,
      outbound: a.outboundAssociations,
      lastChange: orNull(a.lastChange),
    })),
    mtas,
    alarms: alarms
      .filter((a) => a.warningState)
      .map((a) => ({
        alarm: a.alarm,
        instance: a.instance,
        description: a.description,
        current: orNull(a.current),
        threshold: a.threshold,
        direction: a.direction,
        since: orNull(a.timeStateChanged),
      })),
    alarmInstances: alarms.length,
    disks: [...model.disks.values()].map((d) => ({
      path: d.path,
      mountPoint: d.mountPoint,
      totalBytes: d.totalBytes,
      availBytes: d.availBytes,
      percentAvail: orNull(percentAvail(d)),
      lastStat: orNull(d.lastStat),
      reason: d.reason,
    })),
    probes: [...model.checks.values()].map((c) => ({
      name: c.name,
      protocol: c.protocol,
      target: c.target,
      status: c.status,
      responseMs: orNull(c.responseMs),
      lastCheck: orNull(c.lastCheck),
      reason: c.reason,
      phases: c.phases.map((p) => ({ name: p.name, ms: p.ms })),
    })),
    sources: [...model.inputs.values()].map((i) => ({
      name: i.name,
      input: i.input,
      ok: i.ok,
      reason: i.reason,
      lines: i.lines,
      unparsed: i.unparsed,
      lastCheckpoint: orNull(i.lastCheckpoint),
    })),
    services: [...model.services.values()].map((s) => ({
      name: s.name,
      current: s.numCurrentConnections,
      connections: s.numConnections,
      goodLogins: s.numGoodLogins,
      failedLogins: s.numFailedLogins,
    })),
  };
}
