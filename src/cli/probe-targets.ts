// The services `madman probe` names on its command line, written as immonitor-access writes
// them: `[USER@]HOST[:PORT][=THRESHOLD]` (`=WARNING,CRITICAL` also), each with its own
// credentials (user@ in the target, else --smtp-user/--imap-user/--pop-user, else --user)
// and thresholds (its own, which replace -w/-c for it, else -w/-c), or, with --roundtrip, one SMTP and one IMAP or POP3
// target joined into the round trip the config's `roundtrip` probe makes.

import { defaultPort, type Endpoint, type ProbeSpec, type TlsMode } from '../sources/probes/config.js';
import type { CheckProtocol } from '../model/checks.js';

/** Bad arguments: `madman probe` says UNKNOWN (exit 3), as the monitoring plugins do. */
export class UsageError extends Error {}

/** The options of `madman probe` that name services and how to check them. */
export interface TargetFlags {
  smtp?: string[];
  submission?: string[];
  lmtp?: string[];
  imap?: string[];
  pop?: string[];
  ldap?: string[];
  http?: string[];
  user?: string;
  passwordFile?: string;
  smtpUser?: string;
  smtpPasswordFile?: string;
  imapUser?: string;
  imapPasswordFile?: string;
  popUser?: string;
  popPasswordFile?: string;
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
  roundtrip?: boolean;
}

/** Seconds from a flag or a target's threshold; as in the config, at most a day. */
export function seconds(v: string | undefined, what: string, subject = `${what} ${v}`): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${what} needs a positive number of seconds, not "${v}"`);
  // longer would also overflow setTimeout (2^31 ms) and fire at once
  if (n > 86400) throw new UsageError(`${subject}: at most 86400 seconds`);
  return n;
}

/** A target split into its parts; `rest` is HOST[:PORT] or the URL. */
export interface TargetText {
  user?: string;
  rest: string;
  warning?: number;
  critical?: number;
}

/** `[USER@]HOST[:PORT][=C | =W,C]`; for URLs only the threshold (a URL's own @ and = stay). */
export function splitTarget(v: string, withUser: boolean): TargetText {
  let rest = v;
  let warning: number | undefined;
  let critical: number | undefined;
  const t = /=([^=,]*)(?:,([^=,]*))?$/.exec(rest);
  // a URL's query has '=' too: only a trailing "=number[,number]" is a threshold there
  if (t && (withUser || /^=[\d.]+(,[\d.]+)?$/.test(t[0]))) {
    rest = rest.slice(0, t.index);
    if (t[2] === undefined) critical = seconds(t[1], `the threshold of "${v}"`, `"${v}"`);
    else {
      warning = seconds(t[1], `the warning threshold of "${v}"`, `"${v}"`);
      critical = seconds(t[2], `the critical threshold of "${v}"`, `"${v}"`);
    }
  }
  let user: string | undefined;
  const at = withUser ? rest.lastIndexOf('@') : -1;
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!user) throw new UsageError(`"${v}": empty user name before @`);
  }
  return { user, rest, warning, critical };
}

function hostPort(v: string, protocol: CheckProtocol, tls: TlsMode): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(v) ?? /^([^:@]+)(?::(\d+))?$/.exec(v);
  if (!m) throw new UsageError(`"${v}" is not HOST:PORT`);
  const port = m[2] === undefined ? defaultPort(protocol, tls) : Number(m[2]);
  if (!(port >= 1 && port <= 65535)) throw new UsageError(`"${v}": port out of range`);
  return { host: m[1]!, port };
}

/** Which per-service user flag applies to a protocol. */
function serviceCredentials(f: TargetFlags, protocol: CheckProtocol): { user?: string; passwordFile?: string } {
  switch (protocol) {
    case 'smtp':
    case 'submission':
    case 'lmtp':
      return { user: f.smtpUser, passwordFile: f.smtpPasswordFile };
    case 'imap':
      return { user: f.imapUser, passwordFile: f.imapPasswordFile };
    case 'pop3':
      return { user: f.popUser, passwordFile: f.popPasswordFile };
    default:
      return {};
  }
}

const SMTP_LIKE: ReadonlySet<CheckProtocol> = new Set(['smtp', 'submission', 'lmtp']);

/**
 * The service's login: user@ in the target, else its own --X-user, else --user. An SMTP
 * service given only the global --user logs in only if the server offers AUTH (so one --user
 * for `--smtp … --imap …` does not fail a port-25 server that has no AUTH); its own user
 * (flag or target) makes AUTH required.
 */
function credentials(f: TargetFlags, protocol: CheckProtocol, inTarget: string | undefined): Pick<Endpoint, 'user' | 'passwordFile' | 'authIfOffered'> {
  const own = serviceCredentials(f, protocol);
  const passwordFile = own.passwordFile ?? f.passwordFile;
  if (inTarget !== undefined) return { user: inTarget, passwordFile };
  if (own.user !== undefined) return { user: own.user, passwordFile };
  if (f.user === undefined) return { passwordFile };
  return SMTP_LIKE.has(protocol) ? { user: f.user, passwordFile, authIfOffered: true } : { user: f.user, passwordFile };
}

/** The services named on the command line (the round trip, with --roundtrip, first). */
export function adHocSpecs(f: TargetFlags): ProbeSpec[] {
  const tls: TlsMode = f.tls ? 'implicit' : f.starttls ? 'starttls' : 'none';
  const warning = seconds(f.warning, '-w');
  const critical = seconds(f.critical, '-c');
  if (warning !== undefined && critical !== undefined && warning > critical) throw new UsageError('-w is greater than -c');
  const common = { tls, tlsVerify: !f.insecure, caFile: f.caFile, timeout: seconds(f.timeout, '--timeout') ?? 10, interval: 60 };
  /** a target with its own threshold(s) has only those; the others have -w/-c */
  const thresholds = (t: TargetText, v: string) => {
    if (t.critical === undefined) return { warning, critical };
    if (t.warning !== undefined && t.warning > t.critical) throw new UsageError(`"${v}": the warning threshold is greater than the critical one`);
    return { warning: t.warning, critical: t.critical };
  };
  const specs: ProbeSpec[] = [];
  const lists: Array<[string[] | undefined, CheckProtocol]> = [
    [f.smtp, 'smtp'],
    [f.submission, 'submission'],
    [f.lmtp, 'lmtp'],
    [f.imap, 'imap'],
    [f.pop, 'pop3'],
    [f.ldap, 'ldap'],
    [f.http, 'http'],
  ];
  const parsed = lists.flatMap(([list, protocol]) =>
    (list ?? []).map((v) => ({ v, protocol, t: splitTarget(v, protocol !== 'http' && protocol !== 'ldap') })),
  );
  let rest = parsed;
  if (f.roundtrip) {
    const sender = parsed.filter((p) => p.protocol === 'smtp' || p.protocol === 'submission');
    const mailbox = parsed.filter((p) => p.protocol === 'imap' || p.protocol === 'pop3');
    if (sender.length !== 1 || mailbox.length !== 1) throw new UsageError('--roundtrip needs one --smtp (or --submission) and one --imap or --pop');
    if (!f.to) throw new UsageError('--roundtrip needs --to, the mailbox the --imap/--pop user reads');
    const s = sender[0]!;
    const m = mailbox[0]!;
    for (const p of [s, m]) if (p.t.critical !== undefined) throw new UsageError(`"${p.v}": with --roundtrip, -w and -c judge the whole round trip`);
    const smtp: NonNullable<ProbeSpec['smtp']> = {
      ...common,
      ...hostPort(s.t.rest, s.protocol, tls),
      ...credentials(f, s.protocol, s.t.user),
      from: f.from ?? '',
      to: f.to,
    };
    const fetch = m.protocol === 'pop3' ? 'pop3' : 'imap';
    specs.push({
      ...common,
      ...hostPort(m.t.rest, fetch, tls),
      ...credentials(f, m.protocol, m.t.user),
      name: 'cli',
      protocol: 'roundtrip',
      fetch,
      smtp,
      warning,
      critical,
    });
    rest = parsed.filter((p) => p !== s && p !== m);
  }
  for (const { v, protocol, t } of rest) {
    if (protocol === 'http') {
      let u: URL;
      try {
        u = new URL(t.rest);
      } catch {
        throw new UsageError(`"${t.rest}" is not a URL`);
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`"${t.rest}" is not an http(s) URL`);
      const https = u.protocol === 'https:';
      specs.push({ ...common, ...thresholds(t, v), name: 'cli', protocol, url: t.rest, host: u.hostname, port: Number(u.port) || (https ? 443 : 80), tls: https ? 'implicit' : 'none' });
    } else {
      specs.push({
        ...common,
        ...thresholds(t, v),
        ...hostPort(t.rest, protocol, tls),
        ...(protocol === 'ldap' ? { user: f.user, passwordFile: f.passwordFile } : credentials(f, protocol, t.user)),
        name: 'cli',
        protocol,
        from: f.from,
        to: f.to,
        base: f.base,
        filter: f.filter,
      });
    }
  }
  return specs;
}
