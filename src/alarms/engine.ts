// The alarm engine: measures each enabled alarm every statInterval seconds from the
// model, records the values in the alarm instances (model.alarms) and tells its
// listeners (SNMP notifications, the mail notice) of raises, repeats and clears.
// The instances' state is saved in the state directory after every measurement and
// restored at start, so a raised alarm stays raised (and is not raised again) across
// a restart, and its counts go on.

import { renameSync } from 'node:fs';
import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { applyRule, type AlarmInstance, type AlarmRule } from '../model/alarms.js';
import type { MailSystem } from '../model/mail-system.js';
import { Checkpoint } from '../state/checkpoint.js';
import { metricFor, type Metric, type MetricOptions } from './metrics.js';
import { record, type AlarmTransition } from './state.js';

export interface AlarmEvent {
  transition: AlarmTransition;
  /** the instance after the measurement (read it synchronously: it changes later) */
  alarm: AlarmInstance;
  /** when measured, ms since the epoch */
  at: number;
}

export type AlarmListener = (e: AlarmEvent) => void;

interface Saved {
  version: 1;
  rows: AlarmInstance[];
}

function isRow(r: AlarmInstance | null | undefined): boolean {
  if (typeof r !== 'object' || r === null) return false;
  const optional = [r.current, r.high, r.low, r.timeLastSet, r.timeLastWarning, r.timeStateChanged];
  return (
    Number.isInteger(r.index) && r.index > 0 && typeof r.alarm === 'string' && typeof r.instance === 'string' &&
    Number.isInteger(r.countOverThreshold) && Number.isInteger(r.countWarningSent) && typeof r.timeReset === 'number' &&
    typeof r.warningState === 'boolean' && optional.every((x) => x === undefined || typeof x === 'number')
  );
}

function isSaved(v: unknown): v is Saved {
  const s = v as Saved;
  return typeof s === 'object' && s !== null && s.version === 1 && Array.isArray(s.rows) && s.rows.every(isRow);
}

export class AlarmEngine {
  private readonly listeners: AlarmListener[] = [];
  private readonly metrics = new Map<string, Metric>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly checkpoint?: Checkpoint<Saved>;
  private readonly clock: Clock;

  /** `opts.clock` is the wall clock measurements are dated by (default the system's). */
  constructor(
    private readonly model: MailSystem,
    private readonly rules: readonly AlarmRule[],
    private readonly log: Logger,
    opts: MetricOptions & { stateDir?: string; clock?: Clock },
  ) {
    this.clock = opts.clock ?? systemClock;
    for (const r of rules) if (r.statInterval > 0) this.metrics.set(r.name, metricFor(r.name, opts));
    if (opts.stateDir) this.checkpoint = new Checkpoint(opts.stateDir, 'alarms', isSaved);
  }

  onEvent(l: AlarmListener): void {
    this.listeners.push(l);
  }

  /**
   * Restores saved instances, measures every alarm once, then on each one's interval.
   * Instances already in the model (a reloaded configuration) take the current rules.
   */
  start(): void {
    this.restore();
    for (const a of this.model.alarms.rows.values()) {
      const rule = this.rules.find((r) => r.name === a.alarm);
      if (rule) applyRule(a, rule);
    }
    for (const r of this.rules) {
      if (!this.metrics.has(r.name)) continue;
      this.evaluate(r.name);
      const t = setInterval(() => this.evaluate(r.name), r.statInterval * 1000);
      t.unref();
      this.timers.push(t);
    }
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    this.save(true);
  }

  /** Measures alarm `name` (all when omitted) now; returns the transitions it caused. */
  evaluate(name?: string, now = this.clock()): AlarmEvent[] {
    const events: AlarmEvent[] = [];
    for (const rule of this.rules) {
      if (name !== undefined && rule.name !== name) continue;
      const metric = this.metrics.get(rule.name);
      if (!metric) continue;
      let values;
      try {
        values = metric(this.model, now);
      } catch (err) {
        this.log.error({ alarm: rule.name, err: (err as Error).message }, 'cannot measure alarm');
        continue;
      }
      for (const m of values) {
        if (!Number.isFinite(m.value)) continue;
        const a = this.model.alarms.instanceOf(rule, m.instance, now);
        const t = record(a, m.value, now);
        if (t) events.push({ transition: t, alarm: a, at: now });
      }
    }
    for (const e of events) {
      this.log.info({ alarm: e.alarm.alarm, instance: e.alarm.instance, value: e.alarm.current, transition: e.transition }, 'alarm');
      for (const l of this.listeners) {
        try {
          l(e);
        } catch (err) {
          this.log.error({ err: (err as Error).message }, 'alarm listener failed');
        }
      }
    }
    this.save();
    return events;
  }

  private restore(): void {
    if (!this.checkpoint) return;
    let saved: Saved | undefined;
    try {
      saved = this.checkpoint.load();
    } catch (err) {
      // kept aside for a look, rather than overwritten by the next save
      const aside = `${this.checkpoint.file}.damaged`;
      try {
        renameSync(this.checkpoint.file, aside);
      } catch {
        // unreadable and immovable: the next save reports it
      }
      this.log.error({ file: this.checkpoint.file, movedTo: aside, err: (err as Error).message }, 'alarm state not restored; starting afresh');
      return;
    }
    for (const row of saved?.rows ?? []) {
      const rule = this.rules.find((r) => r.name === row.alarm);
      if (!rule || this.model.alarms.find(row.alarm, row.instance)) continue;
      applyRule(row, rule);
      this.model.alarms.put(row);
    }
  }

  /** Saves the alarm state: on the thread pool while running (its fsyncs would stall requests), synchronously at stop. */
  private save(final = false): void {
    const cp = this.checkpoint;
    if (!cp) return;
    const failed = (err: unknown) => this.log.error({ file: cp.file, err: (err as Error).message }, 'cannot save alarm state');
    const state: Saved = { version: 1, rows: [...this.model.alarms.rows.values()] };
    if (!final) return void cp.write(state).catch(failed);
    try {
      cp.save(state);
    } catch (err) {
      failed(err);
    }
  }

  /** Resolves once no state write is in progress (tests). */
  idle(): Promise<void> {
    return this.checkpoint?.idle() ?? Promise.resolve();
  }
}
