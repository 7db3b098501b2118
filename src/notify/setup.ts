// Puts alarms and notifications together for the agent: the alarm engine over the model,
// its events turned into MADMAN-MIB notifications on the hub (where the configured SNMP
// sinks, and other issues' sinks such as the AgentX master, listen), and the mail notice.

import { probesUnderResponseThreshold } from '../alarms/definitions.js';
import { AlarmEngine } from '../alarms/engine.js';
import os from 'node:os';
import type { Settings } from '../config/config.js';
import type { Logger } from '../log.js';
import type { MibTree } from '../mib/loader.js';
import type { ViewContext } from '../mib/view.js';
import type { MailSystem } from '../model/mail-system.js';
import type { NotificationHub } from '../snmp/notifications.js';
import { parseEndpoint } from '../snmp/udp-agent.js';
import { alarmNotification } from './build.js';
import { MailNotice } from './mail.js';
import type { RetryOptions } from './retry-queue.js';
import { SnmpSink, type EngineClock } from './snmp-sinks.js';

export interface Alarming {
  engine: AlarmEngine;
  sinks: SnmpSink[];
  mail?: MailNotice;
  stop(): void;
}

export function startAlarming(
  settings: Settings,
  model: MailSystem,
  tree: MibTree,
  ctx: ViewContext & { tick(): void },
  hub: NotificationHub,
  log: Logger,
  /** the agent's SNMP engine (src/security.ts): the sender of SNMPv3 traps, its ID, boots and time */
  snmpEngine?: EngineClock & { id: Buffer },
): Alarming {
  const retry: RetryOptions = { size: settings.notify.queueSize, initialDelayMs: 500, maxDelayMs: 60000 };
  const agentAddr = agentAddress(settings.listen);
  // A v3 trap's authoritative engine is its sender: ours, the one managers read as
  // snmpEngineID and name in snmptrapd's createUser -e (the package would make up a new
  // one at every start). Informs are the receiver's: discovered.
  const ours = snmpEngine && `0x${snmpEngine.id.toString('hex')}`;
  const sinks = settings.notify.sinks
    .map((s) => (s.kind === 'trapsess' && !s.inform && s.engineId === undefined ? { ...s, engineId: ours } : s))
    .map((s) => new SnmpSink(s, log.child({ notify: s.kind }), { retry, timeoutMs: 2000, agentAddr, engine: snmpEngine }));
  for (const s of sinks) hub.add(s);
  const engine = new AlarmEngine(model, settings.alarms.rules, log.child({ part: 'alarms' }), {
    quotaPercent: settings.alarms.quotaPercent,
    stateDir: settings.stateDir,
  });
  const never = probesUnderResponseThreshold(settings.alarms.rules, settings.probes ?? []);
  if (never.length) log.warn({ probes: never }, 'alarm serverresponse: threshold not below these probes\' timeout, so never raised for them');
  engine.onEvent((e) => {
    // outside any request: take the clock now, for sysUpTime in the notification
    ctx.tick();
    hub.emit(alarmNotification(tree, e, ctx));
  });
  const mail = settings.notify.mail ? new MailNotice(settings.notify.mail, log.child({ notify: 'mail' }), retry) : undefined;
  if (mail) engine.onEvent(mail.onEvent);
  engine.start();
  return {
    engine,
    sinks,
    mail,
    stop() {
      engine.stop();
      mail?.close();
    },
  };
}

/** The SNMPv1 agent-addr: the first IPv4 listen address, or for a wildcard the first external IPv4 interface. */
export function agentAddress(listen: readonly string[]): string {
  for (const l of listen) {
    const { address } = parseEndpoint(l);
    if (/^\d+\.\d+\.\d+\.\d+$/.test(address) && address !== '0.0.0.0') return address;
  }
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
