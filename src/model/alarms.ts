// Alarm instances: one per named alarm and measured instance (a partition, a probed
// service, an MTA), with the fields of Sun's counterutil alarm object. The alarm engine
// (src/alarms/) writes these; the MIB view (madmanAlarmTable), the notifications and
// the mail notice read them. Times are ms since the epoch.

export type AlarmDirection = 'above' | 'below';

/** How one alarm is evaluated (defaults in src/alarms/definitions.ts, overridden by config). */
export interface AlarmRule {
  /** the alarm id, e.g. "diskavail" */
  name: string;
  /** e.g. "percentage mail partition diskspace available" */
  description: string;
  /** raised when the value reaches this, in `direction` */
  threshold: number;
  /** a raised alarm clears once the value is beyond this (hysteresis) */
  clearThreshold: number;
  direction: AlarmDirection;
  /** seconds between measurements; 0 disables the alarm */
  statInterval: number;
  /** seconds between repeated notifications while raised; 0: never repeated */
  warningInterval: number;
}

export interface AlarmInstance {
  index: number;
  alarm: string;
  instance: string;
  description: string;
  threshold: number;
  clearThreshold: number;
  direction: AlarmDirection;
  statInterval: number;
  warningInterval: number;
  current?: number;
  high?: number;
  low?: number;
  countOverThreshold: number;
  countWarningSent: number;
  timeLastSet?: number;
  timeLastWarning?: number;
  timeReset: number;
  timeStateChanged?: number;
  warningState: boolean;
}

/** The alarm instances, by index; `version` changes when a row appears. */
export class AlarmStore {
  readonly rows = new Map<number, AlarmInstance>();
  version = 0;
  private readonly byKey = new Map<string, AlarmInstance>();
  private maxIndex = 0;

  find(alarm: string, instance: string): AlarmInstance | undefined {
    return this.byKey.get(`${alarm}\u0000${instance}`);
  }

  /** The instance of `rule` for `instance`, made (counts zero, reset now) when new. */
  instanceOf(rule: AlarmRule, instance: string, now: number): AlarmInstance {
    let a = this.find(rule.name, instance);
    if (!a) {
      a = {
        index: ++this.maxIndex,
        alarm: rule.name,
        instance,
        description: rule.description,
        threshold: rule.threshold,
        clearThreshold: rule.clearThreshold,
        direction: rule.direction,
        statInterval: rule.statInterval,
        warningInterval: rule.warningInterval,
        countOverThreshold: 0,
        countWarningSent: 0,
        timeReset: now,
        warningState: false,
      };
      this.put(a);
    }
    return a;
  }

  /** Puts back a saved instance (its index kept). */
  put(a: AlarmInstance): void {
    this.rows.set(a.index, a);
    this.byKey.set(`${a.alarm}\u0000${a.instance}`, a);
    if (a.index > this.maxIndex) this.maxIndex = a.index;
    this.version++;
  }
}

/** Applies the rule's current settings to an instance (after a restart with a changed config). */
export function applyRule(a: AlarmInstance, rule: AlarmRule): void {
  a.description = rule.description;
  a.threshold = rule.threshold;
  a.clearThreshold = rule.clearThreshold;
  a.direction = rule.direction;
  a.statInterval = rule.statInterval;
  a.warningInterval = rule.warningInterval;
}
