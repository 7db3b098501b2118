// The 'probes' source: checks each configured service on its own schedule and writes
// the outcome into the model (a ServiceCheck and an applTable row per service).
// Each service has its own loop: the next check starts `interval` after the previous one
// ended, so checks of one service never overlap, and a hung service (bounded by its
// timeout) delays no other.

import { probeName, probeTarget, type ProbeSpec } from './config.js';
import type { Logger } from '../../log.js';
import { observeResponse, type ServiceCheck } from '../../model/checks.js';
import type { Application, MailSystem, OperStatus } from '../../model/mail-system.js';
import type { Source } from '../registry.js';
import type { ProbeOutcome } from './phases.js';
import { judge, runProbe } from './run.js';
import { Watcher, type CommandRunner } from './watcher.js';

/** Creates (or finds) the applTable row and the check of a service. */
export function addService(model: MailSystem, spec: ProbeSpec): { app: Application; check: ServiceCheck } {
  const name = probeName(spec);
  const app = model.addApplication(name, {
    description: `${spec.protocol} service at ${probeTarget(spec)}, probed by madman`,
    url: spec.url ?? '',
    operStatus: 'down',
  });
  let check = model.checks.get(app.index);
  if (!check) {
    check = {
      index: app.index,
      name,
      protocol: spec.protocol,
      target: probeTarget(spec),
      status: 'unknown',
      phases: [],
      reason: '',
      consecutiveFailures: 0,
      checks: 0,
      failures: 0,
      applicationIndex: app.index,
      watcher: spec.restart ? 'watching' : 'disabled',
      restarts: 0,
    };
    model.checks.set(app.index, check);
  }
  return { app, check };
}

/** Writes one outcome into the check and the applTable row. */
export function recordOutcome(model: MailSystem, app: Application, check: ServiceCheck, spec: ProbeSpec, o: ProbeOutcome, at = Date.now()): void {
  const j = judge(o, spec);
  const samePhases = check.phases.length === o.phases.length && check.phases.every((p, i) => p.name === o.phases[i]!.name);
  // the phase table's rows follow the phases: re-sort only when they change
  if (!samePhases) model.checks.touch();
  check.status = j.status;
  check.lastCheck = at;
  check.responseMs = o.totalMs;
  check.phases = o.phases;
  check.checks = (check.checks ?? 0) + 1;
  if (o.ok) {
    observeResponse(check, o.totalMs);
    check.consecutiveFailures = 0;
  } else {
    check.consecutiveFailures++;
    check.failures = (check.failures ?? 0) + 1;
    check.lastFailure = at;
  }
  if (j.reason) check.reason = j.reason;
  if (o.version) {
    check.version = o.version;
    app.version = o.version;
  }
  const oper: OperStatus = !o.ok ? 'down' : j.status === 'ok' ? 'up' : 'congested';
  if (oper !== app.operStatus || app.lastChange === undefined) {
    // applUptime counts from when the service was first seen answering after being down or restarted
    const wasDown = app.operStatus === 'down' || app.operStatus === 'restarting';
    if (oper !== 'down' && (wasDown || app.startedAt === undefined)) app.startedAt = at;
    if (oper === 'down') app.startedAt = undefined;
    app.operStatus = oper;
    app.lastChange = at;
  }
}

/** Removes a probed service's check and its applTable row (its index stays its name's). */
function forgetService(model: MailSystem, check: ServiceCheck): void {
  model.checks.delete(check.index);
  if (check.applicationIndex !== undefined) model.applications.delete(check.applicationIndex);
}

export class ProbesSource implements Source {
  readonly name = 'probes';
  private stopped = false;
  private loops: Promise<void>[] = [];
  /** pending waits between checks, ended early by stop() */
  private waits = new Map<NodeJS.Timeout, () => void>();

  constructor(
    private readonly specs: ProbeSpec[],
    private readonly runner?: CommandRunner,
  ) {}

  start(model: MailSystem, log: Logger): void {
    this.stopped = false;
    // Restarted by a configuration reload: services no longer configured leave the tables
    // (a service left 'down' would keep its servicedown alarm raised for ever).
    const names = new Set(this.specs.map(probeName));
    for (const c of [...model.checks.values()]) if (!names.has(c.name)) forgetService(model, c);
    for (const spec of this.specs) this.loops.push(this.loop(model, log, spec));
  }

  /** Turned off by a configuration reload: its services leave the tables. */
  retire(model: MailSystem): void {
    const names = new Set(this.specs.map(probeName));
    for (const c of [...model.checks.values()]) if (names.has(c.name)) forgetService(model, c);
  }

  private async loop(model: MailSystem, log: Logger, spec: ProbeSpec): Promise<void> {
    const { app, check } = addService(model, spec);
    const watcher = spec.restart ? new Watcher(spec.restart, log, this.runner) : undefined;
    while (!this.stopped) {
      const o = await runProbe(spec);
      if (this.stopped) return;
      const was = check.status;
      recordOutcome(model, app, check, spec, o);
      if (check.status !== was) log.info({ service: check.name, status: check.status, reason: check.reason }, 'service status changed');
      await watcher?.observe(check, !o.ok, () => {
        // applOperStatus restarting(5) until the next check says how it came back
        app.operStatus = 'restarting';
        app.lastChange = Date.now();
      });
      if (this.stopped) return;
      await this.sleep(spec.interval * 1000);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.waits.delete(t);
        resolve();
      }, ms);
      this.waits.set(t, resolve);
    });
  }

  /** Stops scheduling; a check under way ends within its timeout. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const [t, resolve] of this.waits) {
      clearTimeout(t);
      resolve();
    }
    this.waits.clear();
    await Promise.all(this.loops.splice(0));
  }
}
