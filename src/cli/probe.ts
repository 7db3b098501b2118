// `madman probe`: checks the configured services once (--config), or services named on
// the command line, prints each one's phase timings (immonitor-access) under a status
// line in the style of check_smtp, and exits like the monitoring plugins: 0 OK,
// 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad arguments), the worst of all services.

import { settingsFrom } from '../config/config.js';
import { probeName, probeTarget, type ProbeSpec } from '../sources/probes/config.js';
import type { CheckProtocol, CheckStatus } from '../model/checks.js';
import type { ProbeOutcome } from '../sources/probes/phases.js';
import { judge, runProbe } from '../sources/probes/run.js';
import { UsageError, adHocSpecs, type TargetFlags } from './probe-targets.js';

export interface ProbeFlags extends TargetFlags {
  config?: string;
  json?: boolean;
}

export const EXIT = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const satisfies Record<CheckStatus, number>;
const LABEL: Record<CheckStatus, string> = { ok: 'OK', warning: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' };
/** worst first: a critical service decides the exit code over a warning one */
const SEVERITY: Record<CheckStatus, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

export interface ProbeReport {
  name: string;
  protocol: CheckProtocol;
  target: string;
  status: CheckStatus;
  responseMs: number;
  phases: Array<{ name: string; ms: number }>;
  reason: string;
  detail: string;
  version: string;
  perfdata: string;
}

function perfNumber(v: number | undefined): string {
  return v === undefined ? '' : v.toFixed(6);
}

export function report(spec: ProbeSpec, o: ProbeOutcome): ProbeReport {
  const j = judge(o, spec);
  return {
    name: probeName(spec),
    protocol: spec.protocol,
    // a round trip: where it sends, then where it reads
    target: spec.smtp ? `${probeTarget({ ...spec, ...spec.smtp, url: undefined })} -> ${probeTarget(spec)}` : probeTarget(spec),
    status: j.status,
    responseMs: o.totalMs,
    phases: o.phases,
    reason: j.reason,
    detail: o.detail ?? '',
    version: o.version ?? '',
    perfdata: `time=${(o.totalMs / 1000).toFixed(6)}s;${perfNumber(spec.warning)};${perfNumber(spec.critical)};0.000000`,
  };
}

/** check_smtp's first line, then the phases, one per line. */
export function formatReport(r: ProbeReport): string {
  const kind = r.protocol === 'pop3' ? 'POP' : r.protocol.toUpperCase();
  const secs = (r.responseMs / 1000).toFixed(3);
  const what = r.status === 'ok' ? r.detail : r.reason;
  const lines = [`${kind} ${LABEL[r.status]} - ${secs} sec. response time${what ? `, ${what}` : ''}|${r.perfdata}`];
  lines.push(`  ${r.name} (${r.target})`);
  const width = Math.max(8, ...r.phases.map((p) => p.name.length));
  for (const p of r.phases) lines.push(`    ${p.name.padEnd(width)} ${p.ms.toFixed(1).padStart(9)} ms`);
  lines.push(`    ${'total'.padEnd(width)} ${r.responseMs.toFixed(1).padStart(9)} ms`);
  return `${lines.join('\n')}\n`;
}

export async function probeCommand(f: ProbeFlags): Promise<number> {
  let specs: ProbeSpec[];
  try {
    specs = adHocSpecs(f);
    if (f.config) {
      try {
        specs = [...(settingsFrom({ config: f.config }).probes ?? []), ...specs];
      } catch (err) {
        process.stderr.write(`madman: bad configuration: ${(err as Error).message}\n`);
        return 2;
      }
    }
    if (!specs.length) throw new UsageError('nothing to probe: give --config with probes, or --smtp/--imap/--pop/--ldap/--http');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stdout.write(`PROBE UNKNOWN - ${err.message}\n`);
    return EXIT.unknown;
  }
  // all at once: each is bounded by its own timeout, a slow one delays no other
  const outcomes = await Promise.all(specs.map((s) => runProbe(s)));
  const reports = specs.map((s, i) => report(s, outcomes[i]!));
  if (f.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else for (const r of reports) process.stdout.write(formatReport(r));
  const worst = reports.reduce<CheckStatus>((w, r) => (SEVERITY[r.status] > SEVERITY[w] ? r.status : w), 'ok');
  return EXIT[worst];
}
