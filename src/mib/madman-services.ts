// MADMAN-MIB's service statistics table (madmanObjects 6, from model.services, which the
// Dovecot source fills: src/sources/dovecot/stats.ts) and quota table (madmanQuota 1 under
// madmanObjects 7, from model.quotas: src/sources/dovecot/quota.ts).

import type { MailSystem } from '../model/mail-system.js';
import { percentOf, type QuotaUsage, type ServiceStats } from '../model/services.js';
import { dateAndTime, table, type ModuleView } from './view.js';

/** DateAndTime, or eight zero octets when unknown (as the MIB says). */
function when(t: number | undefined): Buffer {
  return t === undefined ? Buffer.alloc(8) : dateAndTime(t);
}

/** Gauge32 values: a limit of "none" is 0, and nothing above 2^32-1. */
function gauge(n: number | undefined): number {
  return n === undefined || n < 0 ? 0 : n > 4294967295 ? 4294967295 : Math.floor(n);
}

export function madmanServicesView(model: MailSystem): ModuleView {
  return {
    module: 'MADMAN-MIB',
    version: () => model.servicesVersion,
    tables: [
      table<ServiceStats>({
        entry: 'madmanServiceEntry',
        rows: () => model.services.values(),
        index: (s) => [s.index],
        columns: {
          madmanServiceName: (s) => s.name,
          madmanServiceApplIndex: (s) => s.application ?? 0,
          madmanServiceCurrentStartTime: (s) => when(s.currentStartTime),
          madmanServiceLastConnectionTime: (s) => when(s.lastConnectionTime),
          madmanServiceMaxConnections: (s) => gauge(s.maxConnections),
          madmanServiceNumConnections: (s) => s.numConnections,
          madmanServiceNumCurrentConnections: (s) => gauge(s.numCurrentConnections),
          madmanServiceNumFailedConnections: (s) => s.numFailedConnections,
          madmanServiceNumFailedLogins: (s) => s.numFailedLogins,
          madmanServiceNumGoodLogins: (s) => s.numGoodLogins,
        },
      }),
      table<QuotaUsage>({
        entry: 'madmanQuotaEntry',
        rows: () => model.quotas.values(),
        version: () => model.quotasVersion,
        index: (q) => [q.index],
        columns: {
          madmanQuotaUser: (q) => q.user,
          madmanQuotaStorageUsed: (q) => gauge(q.storageKb),
          madmanQuotaStorageLimit: (q) => gauge(q.storageLimitKb),
          madmanQuotaStoragePercent: (q) => gauge(percentOf(q.storageKb, q.storageLimitKb)),
          madmanQuotaMessages: (q) => gauge(q.messages),
          madmanQuotaMessageLimit: (q) => gauge(q.messageLimit),
          madmanQuotaMessagePercent: (q) => gauge(percentOf(q.messages, q.messageLimit)),
          madmanQuotaStatus: (q) => (q.over ? 'over' : 'ok'),
        },
      }),
    ],
  };
}
