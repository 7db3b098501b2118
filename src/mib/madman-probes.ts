// MADMAN-MIB madmanProbes (madmanObjects 3): the serverResponse table of the probed
// services and the phases of their last check, from model.checks (sources/probes).

import type { PhaseTime, ServiceCheck } from '../model/checks.js';
import type { MailSystem } from '../model/mail-system.js';
import type { PlainValue } from '../snmp/values.js';
import { table, timeStamp, type ModuleView, type ViewContext } from './view.js';

const GAUGE_MAX = 4294967295;
const ms = (v: number | undefined) => (v === undefined ? 0 : Math.min(GAUGE_MAX, Math.round(v)));

/** madmanProbeTable's columns; also the values of the watcher's notification (notify/build.ts). */
export const probeColumns: Record<string, (c: ServiceCheck, ctx: ViewContext) => PlainValue> = {
  madmanProbeName: (c) => c.name,
  madmanProbeProtocol: (c) => c.protocol,
  madmanProbeTarget: (c) => c.target,
  madmanProbeStatus: (c) => c.status,
  madmanProbeLastCheck: (c, ctx) => timeStamp(ctx, c.lastCheck),
  madmanProbeResponseTime: (c) => ms(c.responseMs),
  madmanProbeReason: (c) => c.reason,
  madmanProbeLastFailure: (c, ctx) => timeStamp(ctx, c.lastFailure),
  madmanProbeConsecutiveFailures: (c) => c.consecutiveFailures,
  madmanProbeChecks: (c) => c.checks ?? 0,
  madmanProbeFailures: (c) => c.failures ?? 0,
  madmanProbeWatcher: (c) => c.watcher ?? 'disabled',
  madmanProbeRestarts: (c) => c.restarts ?? 0,
  madmanProbeLastRestart: (c, ctx) => timeStamp(ctx, c.lastRestart),
  madmanProbeRestartReason: (c) => c.restartReason ?? '',
};

export function madmanProbesView(model: MailSystem): ModuleView {
  function* phaseRows(): Iterable<{ check: ServiceCheck; n: number; phase: PhaseTime }> {
    for (const check of model.checks.values()) {
      // the INDEX allows 64 phases; no probe has that many
      for (const [i, phase] of check.phases.slice(0, 64).entries()) yield { check, n: i + 1, phase };
    }
  }
  return {
    module: 'MADMAN-MIB',
    version: () => model.checksVersion,
    tables: [
      table<ServiceCheck>({
        entry: 'madmanProbeEntry',
        rows: () => model.checks.values(),
        index: (c) => [c.index],
        columns: probeColumns,
      }),
      table<{ check: ServiceCheck; n: number; phase: PhaseTime }>({
        entry: 'madmanProbePhaseEntry',
        rows: phaseRows,
        index: (r) => [r.check.index, r.n],
        columns: {
          madmanProbePhaseName: (r) => r.phase.name,
          madmanProbePhaseTime: (r) => ms(r.phase.ms),
        },
      }),
    ],
  };
}
