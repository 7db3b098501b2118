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
  /** what each sink and the mail notice were made from, to tell on a reload whether they changed */
  readonly made: ReadonlyMap<SnmpSink | MailNotice, string>;
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
  /**
   * The alarming a configuration reload replaces: its engine is stopped (its instances,
   * in the model, go on under the new rules), and its sinks and mail notice are kept
   * where their settings did not change, queued informs and mails included; the others
   * leave the hub and are closed.
   */
  previous?: Alarming,
): Alarming {
  const retry: RetryOptions = { size: settings.notify.queueSize, initialDelayMs: 500, maxDelayMs: 60000 };
  const agentAddr = agentAddress(settings.listen);
  // A v3 trap's authoritative engine is its sender: ours, the one managers read as
  // snmpEngineID and name in snmptrapd's createUser -e (the package would make up a new
  // one at every start). Informs are the receiver's: discovered.
  const ours = snmpEngine && `0x${snmpEngine.id.toString('hex')}`;
  const made = new Map<SnmpSink | MailNotice, string>();
  const kept = new Map<string, Array<SnmpSink | MailNotice>>();
  if (previous) {
    previous.engine.stop();
    for (const [thing, key] of previous.made) kept.set(key, [...(kept.get(key) ?? []), thing]);
  }
  const reuse = <T extends SnmpSink | MailNotice>(key: string, make: () => T): T => {
    const old = kept.get(key)?.shift() as T | undefined;
    const thing = old ?? make();
    made.set(thing, key);
    return thing;
  };
  const sinks = settings.notify.sinks
    .map((s) => (s.kind === 'trapsess' && !s.inform && s.engineId === undefined ? { ...s, engineId: ours } : s))
    .map((s) =>
      reuse(JSON.stringify({ sink: s, retry, agentAddr }), () => {
        const sink = new SnmpSink(s, log.child({ notify: s.kind }), { retry, timeoutMs: 2000, agentAddr, engine: snmpEngine });
        hub.add(sink);
        return sink;
      }),
    );
  const m = settings.notify.mail;
  const mail = m ? reuse(JSON.stringify({ mail: m, retry }), () => new MailNotice(m, log.child({ notify: 'mail' }), retry)) : undefined;
  // what the new settings no longer name
  for (const old of [...kept.values()].flat()) {
    if (old instanceof SnmpSink) {
      hub.remove(old);
      void old.close();
    } else old.close();
  }
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
  if (mail) engine.onEvent(mail.onEvent);
  engine.start();
  return {
    engine,
    sinks,
    mail,
    made,
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
