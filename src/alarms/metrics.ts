// What each alarm measures: a small function of the model giving one value per
// instance. Rates (per minute) keep the previous counter reading; their first reading
// only sets the base and yields nothing.

import type { CheckStatus, ServiceCheck } from '../model/checks.js';
import { percentAvail } from '../model/disks.js';
import type { Application, MailSystem } from '../model/mail-system.js';
import { overQuota } from '../model/services.js';

export interface Measurement {
  instance: string;
  value: number;
}

export type Metric = (model: MailSystem, now: number) => Measurement[];

export interface MetricOptions {
  /** quota: alarms.quota.percent if set (overQuota() at it), else the rows' `over` flag */
  quotaPercent?: number;
}

// restarting(5): "currently unavailable" (RFC 2788); the watcher's restart is no service up
const DOWN: ReadonlySet<string> = new Set(['down', 'halted', 'restarting']);
const CHECK_DOWN: CheckStatus = 'critical';

function mtas(model: MailSystem): Application[] {
  return [...model.applications.values()].filter((a) => a.mta);
}

/** Per-minute rate of a growing counter per instance; a counter that went back (a restart) restarts the base. */
function perMinute(read: (model: MailSystem) => Measurement[]): Metric {
  const last = new Map<string, { value: number; at: number }>();
  return (model, now) => {
    const out: Measurement[] = [];
    for (const m of read(model)) {
      const prev = last.get(m.instance);
      last.set(m.instance, { value: m.value, at: now });
      if (!prev || now <= prev.at || m.value < prev.value) continue;
      out.push({ instance: m.instance, value: ((m.value - prev.value) * 60000) / (now - prev.at) });
    }
    return out;
  };
}

export function metricFor(name: string, opts: MetricOptions): Metric {
  switch (name) {
    case 'diskavail':
      return (model) => {
        const out: Measurement[] = [];
        for (const d of model.disks.values()) {
          const p = percentAvail(d);
          if (p !== undefined) out.push({ instance: d.path, value: p });
        }
        return out;
      };
    case 'serverresponse':
      // seconds, as Sun's; only a check that completed: a failed one's time is "until it
      // failed" (a timeout would read as a slow answer), and failures are servicedown's
      return (model) =>
        [...model.checks.values()]
          .filter((c) => c.responseMs !== undefined && c.consecutiveFailures === 0)
          .map((c) => ({ instance: c.name, value: c.responseMs! / 1000 }));
    case 'queuesize':
      return (model) => mtas(model).map((a) => ({ instance: a.name, value: a.mta!.counters.storedMessages }));
    case 'queueage':
      return (model, now) =>
        mtas(model).map((a) => {
          let oldest: number | undefined;
          for (const ch of a.mta!.channels.values()) {
            const t = ch.oldestMessageStoredAt;
            if (t !== undefined && (oldest === undefined || t < oldest)) oldest = t;
          }
          return { instance: a.name, value: oldest === undefined ? 0 : Math.max(0, Math.floor((now - oldest) / 1000)) };
        });
    case 'failedlogins':
      return perMinute((model) => [...model.services.values()].map((s) => ({ instance: s.name, value: s.numFailedLogins })));
    case 'rejects':
      return perMinute((model) =>
        mtas(model).map((a) => {
          let n = 0;
          for (const ch of a.mta!.channels.values()) n += ch.rejectedMessages;
          return { instance: a.name, value: n };
        }),
      );
    case 'quota':
      return (model) => {
        if (model.quotas.size === 0) return [];
        let over = 0;
        // the users madmanQuotaStatus and `madman quota` show as over (dovecot.quotaWarnPercent)
        const pct = opts.quotaPercent;
        for (const q of model.quotas.values()) if (pct === undefined ? q.over : overQuota(q, pct)) over++;
        return [{ instance: 'all users', value: over }];
      };
    case 'servicedown':
      return (model) => {
        const out: Measurement[] = [];
        const checkOf = new Map<number, ServiceCheck>();
        for (const c of model.checks.values()) if (c.applicationIndex !== undefined) checkOf.set(c.applicationIndex, c);
        for (const a of model.applications.values()) {
          // a probed service's applOperStatus is 'down' until its first check: not news yet
          if (checkOf.get(a.index)?.status === 'unknown') continue;
          out.push({ instance: a.name, value: DOWN.has(a.operStatus) ? 1 : 0 });
        }
        // a probed service with an applTable row is measured once, by the row (the probes set
        // it down only when the check failed: slower than critical is congested, not down)
        for (const c of model.checks.values()) {
          if (c.status === 'unknown' || (c.applicationIndex !== undefined && model.applications.has(c.applicationIndex))) continue;
          out.push({ instance: c.name, value: c.status === CHECK_DOWN ? 1 : 0 });
        }
        return out;
      };
    default:
      throw new Error(`no metric for alarm ${name}`);
  }
}
