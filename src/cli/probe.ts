// `madman probe`: checks the configured services once (--config), or services named on
// the command line, prints each one's phase timings (immonitor-access) under a status
// line in the style of check_smtp, and exits like the monitoring plugins: 0 OK,
// 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad arguments), the worst of all services.

import { settingsFrom } from '../config/config.js';
import { defaultPort, probeName, probeTarget, type ProbeSpec, type TlsMode } from '../sources/probes/config.js';
import type { CheckProtocol, CheckStatus } from '../model/checks.js';
import type { ProbeOutcome } from '../sources/probes/phases.js';
import { judge, runProbe } from '../sources/probes/run.js';

export interface ProbeFlags {
  config?: string;
  smtp?: string[];
  submission?: string[];
  lmtp?: string[];
  imap?: string[];
  pop?: string[];
  ldap?: string[];
  http?: string[];
  user?: string;
  passwordFile?: string;
  warning?: string;
  critical?: string;
  timeout?: string;
  tls?: boolean;
  starttls?: boolean;
  insecure?: boolean;
  caFile?: string;
  from?: string;
  to?: string;
  base?: string;
  filter?: string;
  json?: boolean;
}

export const EXIT = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const satisfies Record<CheckStatus, number>;
const LABEL: Record<CheckStatus, string> = { ok: 'OK', warning: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' };
/** worst first: a critical service decides the exit code over a warning one */
const SEVERITY: Record<CheckStatus, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

class UsageError extends Error {}

function seconds(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} needs a positive number of seconds, not "${v}"`);
  // as in the config (probes.ts); longer would also overflow setTimeout (2^31 ms) and fire at once
  if (n > 86400) throw new UsageError(`${flag} ${v}: at most 86400 seconds`);
  return n;
}

function hostPort(v: string, protocol: CheckProtocol, tls: TlsMode): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(v) ?? /^([^:]+)(?::(\d+))?$/.exec(v);
  if (!m) throw new UsageError(`"${v}" is not HOST:PORT`);
  const port = m[2] === undefined ? defaultPort(protocol, tls) : Number(m[2]);
  if (!(port >= 1 && port <= 65535)) throw new UsageError(`"${v}": port out of range`);
  return { host: m[1]!, port };
}

/** The services named on the command line. */
export function adHocSpecs(f: ProbeFlags): ProbeSpec[] {
  const tls: TlsMode = f.tls ? 'implicit' : f.starttls ? 'starttls' : 'none';
  const common = {
    tls,
    tlsVerify: !f.insecure,
    caFile: f.caFile,
    user: f.user,
    passwordFile: f.passwordFile,
    timeout: seconds(f.timeout, '--timeout') ?? 10,
    interval: 60,
    warning: seconds(f.warning, '-w'),
    critical: seconds(f.critical, '-c'),
  };
  const specs: ProbeSpec[] = [];
  const add = (list: string[] | undefined, protocol: CheckProtocol) => {
    for (const v of list ?? []) {
      if (protocol === 'http') {
        let u: URL;
        try {
          u = new URL(v);
        } catch {
          throw new UsageError(`"${v}" is not a URL`);
        }
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`"${v}" is not an http(s) URL`);
        const https = u.protocol === 'https:';
        specs.push({ ...common, name: 'cli', protocol, url: v, host: u.hostname, port: Number(u.port) || (https ? 443 : 80), tls: https ? 'implicit' : 'none' });
      } else {
        specs.push({ ...common, ...hostPort(v, protocol, tls), name: 'cli', protocol, from: f.from, to: f.to, base: f.base, filter: f.filter });
      }
    }
  };
  add(f.smtp, 'smtp');
  add(f.submission, 'submission');
  add(f.lmtp, 'lmtp');
  add(f.imap, 'imap');
  add(f.pop, 'pop3');
  add(f.ldap, 'ldap');
  add(f.http, 'http');
  if (common.warning !== undefined && common.critical !== undefined && common.warning > common.critical) {
    throw new UsageError('-w is greater than -c');
  }
  return specs;
}

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
    target: probeTarget(spec),
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
