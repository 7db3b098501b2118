// Dovecot log lines -> events. Three framings reach us:
//   log_path file:  "Nov 29 19:58:42 imap-login: Info: Login: user=<u@d>, ..."
//   syslog:         "Nov 29 19:58:42 host dovecot[123]: imap-login: Login: user=<u@d>, ..."
//                   (or an RFC 3339 timestamp instead of the BSD one)
//   journal entry:  identifier "dovecot", message "imap-login: Login: user=<u@d>, ..."
// and the messages themselves (Dovecot 2.2 and 2.3 wordings):
//   <svc>-login: Login: user=<u>, method=PLAIN, rip=IP, lip=IP, mpid=PID, [TLS|secured,] session=<ID>
//   <svc>-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<u>, ...
//   <svc>-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<u>, ...       (2.2)
//   <svc>-login: Aborted login (no auth attempts in 0 secs): user=<>, rip=IP, ...
//   <svc>-login: Login aborted: Connection closed (auth failed, ...) (auth_failed): ...  (2.3.20+)
//   <svc>(u)<PID><ID>: Disconnected: Logged out in=175 out=1335 ...                    (session end)
//   lmtp(PID): Connect from IP / lmtp(PID): Disconnect from IP: ...                   (LMTP sessions)
//   master: Dovecot v2.3.19.1 (9b53102964) starting up for imap, pop3 (core dumps disabled)
//   master: Warning: Killed with signal 15 (by pid=1 uid=0 code=kill)
//   <svc>(u)<PID><ID>: Fatal: master: service(imap): child PID killed with signal 9    (session end)
//   auth: passwd-file(u,IP,<ID>): Password mismatch | unknown user     (auth_verbose = yes only)
// Anything else is not an event (undefined). 'unparsed' is reserved for lines that are surely
// Dovecot's but malformed: a "dovecot:" line (or journal entry) without a "program: " frame, or
// a "Login:" line without user=<...>.

import { ACCESS_SERVICES, type AccessService } from '../../model/services.js';
import type { Clock } from '../../clock.js';
import { has, SyslogFramer } from '../kit/syslog.js';

export type DovecotService = AccessService;
export const SERVICES: readonly DovecotService[] = ACCESS_SERVICES;

export type DovecotEvent =
  /** the master started: every service it names begins afresh */
  | { kind: 'start'; time: number; version: string; services: DovecotService[] }
  /** the master was told to stop: every session ends */
  | { kind: 'stop'; time: number }
  /** a login succeeded (LMTP: a connection opened); pid is the session's mail process */
  | { kind: 'login'; time: number; service: DovecotService; user: string; rip: string; pid?: number; session?: string }
  /** a connection ended at the login process without a login; attempts = failed authentications */
  | { kind: 'refused'; time: number; service: DovecotService; user: string; rip: string; attempts: number; reason: string; session?: string }
  /** a logged-in session ended */
  | { kind: 'end'; time: number; service: DovecotService; user: string; pid?: number; session?: string; reason: string }
  /** one failed authentication of login session `session` (auth_verbose = yes) */
  | { kind: 'authfail'; time: number; session: string; user: string }
  /** a line of a known service that should have been an event but was not understood */
  | { kind: 'unparsed'; time: number; service?: DovecotService };

const SERVICE_OF = new Map<string, DovecotService>(SERVICES.map((s) => [s, s]));
const LOGIN_SERVICE_OF = new Map<string, DovecotService>(SERVICES.filter((s) => s !== 'lmtp').map((s) => [`${s}-login`, s]));

/** program(detail)<pid><session>: [Level: ]text */
const PROGRAM = /^([a-z0-9-]+)(?:\(([^)]*)\))?((?:<[^>]*>)*): (?:(Info|Warning|Error|Fatal|Panic|Debug): )?/;

export interface LineOptions {
  /** reference time for the year of BSD timestamps and for lines without one (default Date.now()) */
  now?: number;
}

/**
 * Reads Dovecot's lines with the kit's syslog framing: syslog lines of the program `dovecot`
 * (their message is Dovecot's own line), and the lines of Dovecot's log_path file, which
 * carry a stamp and Dovecot's own `program(detail)<pid><session>:` frame instead.
 */
export class DovecotLineParser {
  private readonly framer: SyslogFramer<true>;

  constructor(clock?: Clock) {
    this.framer = new SyslogFramer({ program: (name) => (name === 'dovecot' ? true : undefined), clock });
  }

  /** A whole log line (file or syslog framing); `opts.now` overrides the clock. */
  parseLine(line: string, opts: LineOptions = {}): DovecotEvent | undefined {
    const h = this.framer.header(line, opts.now === undefined ? undefined : { now: opts.now });
    if (!h) return undefined;
    // syslog's `dovecot[PID]: ` (the other programs are not framed: Dovecot's own names its sessions)
    const c = line.charCodeAt(h.at + 7);
    const sys = has(line, h.at, 'dovecot') && (c === 91 || c === 58) ? this.framer.body(line, h) : undefined;
    if (sys) return parseMessage(sys.message, sys.time, true);
    // Dovecot's own file: its frame right after the stamp (no host)
    return parseMessage(h.afterStamp ? line.slice(h.afterStamp) : line, h.time, false);
  }
}

const shared = new DovecotLineParser();

/** A whole log line (file or syslog framing). */
export function parseLine(line: string, opts: LineOptions = {}): DovecotEvent | undefined {
  return shared.parseLine(line, opts);
}

/**
 * A message without its timestamp: "imap-login: Info: Login: ..." (a journal entry's MESSAGE).
 * `dovecots`: the line is known to be Dovecot's (a malformed one is then 'unparsed').
 */
export function parseMessage(text: string, time: number, dovecots = true): DovecotEvent | undefined {
  const p = PROGRAM.exec(text);
  if (!p) return dovecots ? { kind: 'unparsed', time } : undefined;
  const program = p[1]!;
  const detail = p[2];
  const tags = p[3] ?? '';
  const level = p[4] ?? 'Info';
  const msg = text.slice(p[0].length);
  if (program === 'master') return master(msg, level, time);
  if (program === 'auth') return level === 'Info' ? authLine(msg, time) : undefined;
  const login = LOGIN_SERVICE_OF.get(program);
  if (login) return level === 'Info' ? loginLine(login, msg, time) : undefined;
  const service = SERVICE_OF.get(program);
  if (service && detail !== undefined) {
    if (level === 'Info') return sessionLine(service, detail, tags, msg, time);
    // "imap(u)<PID><ID>: Fatal: master: service(imap): child PID killed with signal 9": the
    // session's process died without its "Disconnected" line
    if (level === 'Fatal' || level === 'Panic') return sessionLine(service, detail, tags, `Disconnected: ${msg}`, time);
  }
  return undefined;
}

function master(msg: string, level: string, time: number): DovecotEvent | undefined {
  const start = /^Dovecot v(\S+)(?: \([0-9a-f]+\))? starting up for ([a-z0-9, -]+?)(?: \(|$)/.exec(msg);
  if (start) {
    const services = start[2]!.split(/,\s*/).map((s) => SERVICE_OF.get(s)).filter((s): s is DovecotService => !!s);
    return { kind: 'start', time, version: start[1]!, services };
  }
  if (level === 'Warning' && msg.startsWith('Killed with signal')) return { kind: 'stop', time };
  return undefined;
}

function loginLine(service: DovecotService, msg: string, time: number): DovecotEvent | undefined {
  if (msg.startsWith('Login: ')) {
    const user = angled(msg, 'user=<');
    if (user === undefined) return { kind: 'unparsed', time, service };
    const mpid = Number(field(msg, 'mpid='));
    return {
      kind: 'login',
      time,
      service,
      user,
      rip: field(msg, 'rip=') ?? '',
      pid: Number.isInteger(mpid) && mpid > 0 ? mpid : undefined,
      session: angled(msg, 'session=<'),
    };
  }
  if (/^(Disconnected|Aborted login|Login aborted|Maximum number of connections)/.test(msg)) {
    const failed = /auth failed, (\d+) attempts?/.exec(msg);
    // the reason is the text before ": user=<" (or the first field)
    const cut = msg.search(/: (?:user=<|rip=)/);
    return {
      kind: 'refused',
      time,
      service,
      user: angled(msg, 'user=<') ?? '',
      rip: field(msg, 'rip=') ?? '',
      attempts: failed ? Number(failed[1]) : 0,
      reason: cut > 0 ? msg.slice(0, cut) : msg,
      session: angled(msg, 'session=<'),
    };
  }
  return undefined; // "ID sent: ...", proxy lines and the like
}

/** "passwd-file(u@d,127.0.0.1,<ID>): Password mismatch" (any passdb driver; "unknown user" too). */
function authLine(msg: string, time: number): DovecotEvent | undefined {
  const m = /^[a-z0-9-]+\((.*),[^,]*,<([^>]+)>\): (?:Password mismatch|unknown user)/.exec(msg);
  return m ? { kind: 'authfail', time, user: m[1]!, session: m[2]! } : undefined;
}

function sessionLine(service: DovecotService, detail: string, tags: string, msg: string, time: number): DovecotEvent | undefined {
  if (service === 'lmtp') {
    // lmtp(PID) or lmtp(PID, user?): the process is the session
    const pid = Number(detail.split(',')[0]);
    const okPid = Number.isInteger(pid) && pid > 0 ? pid : undefined;
    if (msg.startsWith('Connect from ')) {
      return { kind: 'login', time, service, user: '', rip: msg.slice(13).trim(), pid: okPid };
    }
    if (msg.startsWith('Disconnect from ')) {
      const colon = msg.indexOf(': ');
      return { kind: 'end', time, service, user: '', pid: okPid, reason: colon > 0 ? msg.slice(colon + 2) : '' };
    }
    return undefined;
  }
  if (!/^(Disconnected|Logged out|Connection closed)/.test(msg)) return undefined;
  const t = /^<(\d+)><([^>]*)>/.exec(tags);
  const reason = msg.startsWith('Disconnected: ') ? msg.slice(14) : msg;
  return {
    kind: 'end',
    time,
    service,
    user: detail,
    pid: t ? Number(t[1]) : undefined,
    session: t ? t[2] : undefined,
    reason: reason.replace(/ in=\d+ out=\d+.*$/, '').replace(/ top=\d+\/\d+.*$/, ''),
  };
}

/** The value of "key=VALUE" up to the next ", " (or the end). */
function field(msg: string, key: string): string | undefined {
  let i = msg.indexOf(key);
  // a key must start a field: at the start or after ", " / ": "
  while (i > 0 && !(msg.charCodeAt(i - 1) === 32)) i = msg.indexOf(key, i + 1);
  if (i < 0) return undefined;
  const from = i + key.length;
  const end = msg.indexOf(',', from);
  return msg.slice(from, end < 0 ? msg.length : end).trim();
}

/** The value of "key=<VALUE>". */
function angled(msg: string, key: string): string | undefined {
  const i = msg.indexOf(key);
  if (i < 0) return undefined;
  const from = i + key.length;
  const end = msg.indexOf('>', from);
  return end < 0 ? undefined : msg.slice(from, end);
}
