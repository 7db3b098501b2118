// The facts of a sendmail.cf that monitoring needs, read as sendmail numbers them:
// the mailers (the statistics file counts per mailer number), the statistics file
// (`O StatusFile`), the queue groups and their directories (`O QueueDirectory` is the
// default group "mqueue", each `Q` line one more), the daemons (`O DaemonPortOptions`,
// whose Name= the log shows as daemon=) and the version (`DZ`).
//
// Mailer numbers follow sendmail's makemailer(): prog, *file* and *include* are built in
// as 0, 1 and 2; each `M` line takes the next number unless its name is already known
// (then it redefines that mailer and keeps its number; `Mprog` is the usual case). This
// is also how mailstats(8) and Net-SNMP's mta_sendmail name the statistics rows.

/** sendmail's MAXMAILERS: the statistics file has this many slots per counter. */
export const MAX_MAILERS = 25;

/** The mailers sendmail defines before reading the .cf, in number order. */
export const BUILTIN_MAILERS = ['prog', '*file*', '*include*'] as const;

/** One queue group: its name and the directory pattern of its `P=` (may end in `*`). */
export interface QueueGroupSpec {
  name: string;
  path: string;
}

/** One `O DaemonPortOptions=` line: its Name= (as the log's daemon=) and port. */
export interface DaemonSpec {
  name: string;
  port: number;
  /** the M= modifiers (a: AUTH required, E: no ETRN, ...) */
  modifiers: string;
  family: string;
}

/** A mailer's P= (program, or [IPC] for a network connection) and A= (its arguments). */
export interface MailerSpec {
  path: string;
  args: string;
}

/** What a sendmail.cf says, in the terms monitoring needs. */
export interface SendmailCf {
  /** mailer names by mailer number (index 0 is prog) */
  mailers: string[];
  /** P= and A= of the mailers the .cf defines, by name */
  mailerSpecs: Map<string, MailerSpec>;
  statusFile?: string;
  /** `O QueueDirectory` (the default queue group "mqueue"), then each `Q` line in order */
  queueGroups: QueueGroupSpec[];
  daemons: DaemonSpec[];
  /** the `DZ` macro: the version of the sendmail the .cf was built for */
  version: string;
  /** `Dj`: the official host name, when the .cf sets it */
  hostName: string;
  /** problems met, each with its line number ("line 12: ...") */
  warnings: string[];
}

const SERVICE_PORTS: Record<string, number> = { smtp: 25, submission: 587, smtps: 465, submissions: 465, lmtp: 24 };

/** `Port=` of DaemonPortOptions: a number or one of the usual service names. */
export function daemonPort(value: string | undefined): number {
  if (value === undefined || value === '') return 25;
  const n = Number(value);
  if (Number.isInteger(n) && n > 0 && n < 65536) return n;
  return SERVICE_PORTS[value.toLowerCase()] ?? 25;
}

/** `Family=inet, Name=MTA, Port=25` -> { family: 'inet', name: 'MTA', port: '25' } (keys lowercased) */
function keyValues(s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return out;
}

/**
 * Joins continuation lines (a .cf line that starts with a space or tab continues the one
 * before), keeping the number of each logical line's first physical line.
 */
function logicalLines(text: string): Array<{ n: number; line: string }> {
  const out: Array<{ n: number; line: string }> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length > 0) {
      const last = out[out.length - 1]!;
      // comments and blank lines end a logical line; a continuation of one is ignored
      if (last.line !== '' && !last.line.startsWith('#')) last.line += ` ${line.trim()}`;
      continue;
    }
    out.push({ n: i + 1, line });
  }
  return out;
}

/** Reads the text of a sendmail.cf. Never throws: what it cannot use is in `warnings`. */
export function parseSendmailCf(text: string): SendmailCf {
  const cf: SendmailCf = {
    mailers: [...BUILTIN_MAILERS],
    mailerSpecs: new Map(),
    queueGroups: [],
    daemons: [],
    version: '',
    hostName: '',
    warnings: [],
  };
  let queueDirectory: string | undefined;
  const groups: QueueGroupSpec[] = [];
  for (const { n, line } of logicalLines(text)) {
    switch (line[0]) {
      case 'M': {
        const name = /^M([^,\s]+)/.exec(line)?.[1];
        if (!name) {
          cf.warnings.push(`line ${n}: mailer definition without a name`);
          break;
        }
        const fields = keyValues(line.slice(1 + name.length));
        cf.mailerSpecs.set(name, { path: fields.get('p') ?? '', args: fields.get('a') ?? '' });
        if (cf.mailers.includes(name)) break; // redefinition: keeps its number
        if (cf.mailers.length >= MAX_MAILERS) {
          cf.warnings.push(`line ${n}: mailer ${name} is beyond sendmail's ${MAX_MAILERS} mailers`);
          break;
        }
        cf.mailers.push(name);
        break;
      }
      case 'O': {
        if (line[1] === ' ' || line[1] === '\t') {
          const m = /^O\s+([A-Za-z]+)\s*(?:=\s*(.*))?$/.exec(line);
          if (!m) break;
          const value = (m[2] ?? '').trim();
          switch (m[1]!.toLowerCase()) {
            case 'statusfile':
              cf.statusFile = value;
              break;
            case 'queuedirectory':
              queueDirectory = value;
              break;
            case 'daemonportoptions': {
              const kv = keyValues(value);
              cf.daemons.push({
                name: kv.get('name') ?? 'Daemon0',
                port: daemonPort(kv.get('port')),
                modifiers: kv.get('modifiers') ?? kv.get('m') ?? '',
                family: kv.get('family') ?? 'inet',
              });
              break;
            }
          }
        } else if (line[1] === 'S') cf.statusFile = line.slice(2).trim(); // old one-letter form
        else if (line[1] === 'Q') queueDirectory = line.slice(2).trim();
        break;
      }
      case 'Q': {
        const comma = line.indexOf(',');
        const name = (comma < 0 ? line.slice(1) : line.slice(1, comma)).trim();
        if (name === '') {
          cf.warnings.push(`line ${n}: queue group without a name`);
          break;
        }
        // fields are known by their first letter (P=, Path=)
        let path: string | undefined;
        for (const field of comma < 0 ? [] : line.slice(comma + 1).split(',')) {
          const f = field.trim();
          if (f[0] === 'P') {
            const eq = f.indexOf('=');
            if (eq > 0) path = f.slice(eq + 1).trim();
          }
        }
        if (path === undefined || path === '') cf.warnings.push(`line ${n}: queue group ${name} has no P= directory`);
        else groups.push({ name, path });
        break;
      }
      case 'D':
        if (line[1] === 'Z') cf.version = line.slice(2).trim();
        else if (line[1] === 'j') cf.hostName = line.slice(2).trim();
        break;
    }
  }
  // sendmail listens on port 25 as "Daemon0" when no DaemonPortOptions is given
  if (cf.daemons.length === 0) cf.daemons.push({ name: 'Daemon0', port: 25, modifiers: '', family: 'inet' });
  // a `Qmqueue` line sets the default group's directory itself: one group per name
  const byName = new Map<string, string>();
  if (queueDirectory) byName.set('mqueue', queueDirectory);
  for (const g of groups) byName.set(g.name, g.path);
  for (const [name, path] of byName) cf.queueGroups.push({ name, path });
  return cf;
}

/**
 * The TCP port a mailer connects to: its A= port (`TCP $h 2525`, `TCP $h lmtp`) for a
 * P=[IPC] or [TCP] mailer, else 25; undefined for mailers that run a program.
 */
export function mailerPort(spec: MailerSpec | undefined): number | undefined {
  if (!spec || !/^\[(IPC|TCP)\]$/i.test(spec.path)) return undefined;
  const m = /^TCP\s+\S+\s+(\S+)/i.exec(spec.args);
  return m ? daemonPort(m[1]) : 25;
}
