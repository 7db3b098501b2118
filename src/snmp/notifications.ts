// Notifications as the agent raises them, before any transport. The alarm engine emits
// them on a hub; each configured sink (SNMPv1 trap, v2c trap or inform, v3, or the AgentX
// master) sends them on its own way. A sink never blocks the others or the agent: send()
// returns at once and a sink that cannot deliver logs, queues or retries by itself.

import type { PlainValue, Syntax } from './values.js';

export interface NotificationVarbind {
  /** MIB object name, e.g. "madmanAlarmCurrent" */
  name: string;
  /** full instance OID */
  oid: readonly number[];
  syntax: Syntax;
  value: PlainValue;
}

export interface Notification {
  /** NOTIFICATION-TYPE name, e.g. "madmanAlarmRaised" */
  name: string;
  /** snmpTrapOID.0 value */
  oid: readonly number[];
  /** sysUpTime.0 when raised, centiseconds modulo 2^32 */
  uptime: number;
  /** the objects of the NOTIFICATION-TYPE, in order */
  varbinds: NotificationVarbind[];
}

export interface NotificationSink {
  readonly name: string;
  send(n: Notification): void;
  close(): Promise<void>;
}

export class NotificationHub {
  private readonly sinks = new Set<NotificationSink>();

  constructor(private readonly onError: (sink: string, err: Error) => void = () => {}) {}

  add(sink: NotificationSink): void {
    this.sinks.add(sink);
  }

  remove(sink: NotificationSink): void {
    this.sinks.delete(sink);
  }

  emit(n: Notification): void {
    for (const s of this.sinks) {
      try {
        s.send(n);
      } catch (err) {
        this.onError(s.name, err as Error);
      }
    }
  }

  async close(): Promise<void> {
    for (const s of this.sinks) await s.close();
    this.sinks.clear();
  }
}
