// One line of the Messaging Server MTA log (mail.log_current) -> a record, or the reason
// it was not understood. Pure: no model, no I/O. docs/sun-mta.md gives the format.
//
//   dd-Mon-yyyy hh:mm:ss.cc source [destination] ACTION size from orig-to to [optional]
//   dd-Mon-yyyy hh:mm:ss.cc channel +|- O|C|X|Y TCP|local-ip|local-port|remote-ip|remote-port ...
//
// Channel columns may be padded with spaces; the fields from the size on are separated
// by single spaces, so that LOG_FORMAT 1's empty address (two spaces in a row) is seen
// as empty. LOG_FORMAT 2 writes it as `<>`, which is read as empty too.

export type Action = 'E' | 'D' | 'J' | 'R' | 'Q' | 'Z' | 'K' | 'W' | 'B';

export interface Modifiers {
  esmtp: boolean;
  sasl: boolean;
  tls: boolean;
  chunking: boolean;
}

export interface MessageRecord {
  kind: 'message';
  /** ms since the epoch (the log's local time) */
  time: number;
  source: string;
  /** only E (and some J) records name a destination channel */
  destination?: string;
  action: Action;
  modifiers: Readonly<Modifiers>;
  blocks: number;
  /** '' for the empty address (bounces, notifications) */
  from: string;
  origTo: string;
  to: string;
  /** queue file name (LOG_FILENAME), message id (LOG_MESSAGE_ID), connection tuple, when logged */
  file?: string;
  messageId?: string;
  tuple?: Tuple;
  /** the text from the SMTP reply code on ('' if none) and its enhanced status code */
  diagnostic: string;
  status?: string;
  /**
   * Without a reply code, the text after the last field recognised (the queue file, the
   * Message-ID, the tuple): the MTA's own words, e.g. `TCP active open: Failed connect()
   * Error: Connection refused` on a Q record. Kept on failure records (Q, Z, R, K) only;
   * undefined when there is none or a diagnostic.
   */
  note?: string;
}

export interface Tuple {
  localAddr: string;
  localPort: number;
  remoteAddr: string;
  remotePort: number;
}

export interface ConnectionRecord {
  kind: 'connection';
  time: number;
  channel: string;
  inbound: boolean;
  /** O opened, C closed, X rejected, Y connection attempt failed */
  event: 'O' | 'C' | 'X' | 'Y';
  tuple: Tuple;
  /** what follows the tuple (protocol, reason) */
  text: string;
  /** the application word that starts `text` (`SMTP`), '' if none */
  application: string;
  /** the rest of `text`: why the connection was refused or failed (LOG_DIAGNOSTICS), '' if not logged */
  diagnostic: string;
}

export type ParseFailure = { kind: 'unparsed'; reason: UnparsedReason };
export type UnparsedReason = 'bad date' | 'bad channel' | 'unknown action' | 'truncated' | 'bad size' | 'bad connection' | 'channel limit';
export type SunRecord = MessageRecord | ConnectionRecord;

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const STAMP = /^(\d{1,2})-([A-Z][a-z]{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))? +/;
const ACTION = /^([EDJRQZKWB])([EASC]*)$/;
const UPPER = /^[A-Z][A-Za-z]*$/;
/** channel names: letters, digits, _ - . (Sun's are at most 32 characters) */
const CHANNEL = /^[A-Za-z0-9_.-]{1,64}$/;
const TUPLE = /^\(?TCP\|([^|]+)\|(\d+)\|([^|]+)\|(\d+)\)?$/;
const REPLY = /^(?:[A-Za-z0-9-]+;)?[2-5]\d\d(?:-.*)?$/;
const ENHANCED = /(?:^|[\s;])([245]\.\d{1,3}\.\d{1,3})(?=$|[\s;,)])/;
/** the application word of a connection record: upper case, maybe with `/variant` */
const APPLICATION = /^[A-Z][A-Z0-9]*(?:\/[A-Za-z0-9_.-]*)?$/;

let lastSecond = '';
let lastSecondTime = 0;

/** Parses one line; `undefined` for a blank line. */
export function parseSunLine(line: string): SunRecord | ParseFailure | undefined {
  if (line.trim() === '') return undefined;
  const m = STAMP.exec(line);
  if (!m) return fail('bad date');
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  // consecutive lines mostly share their second: the Date is built once per second
  const sec = line.slice(0, m[0].length - (m[7] ? m[7].length + 1 : 0)).trimEnd();
  if (sec !== lastSecond) {
    const month = MONTHS[m[2]!];
    if (month === undefined) return fail('bad date');
    const t = new Date(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])).getTime();
    if (Number.isNaN(t)) return fail('bad date');
    lastSecond = sec;
    lastSecondTime = t;
  }
  const time = lastSecondTime + ms;

  // Channels and the action: whitespace-separated, padding allowed.
  let pos = m[0].length;
  const next = (): string | undefined => {
    while (line.charCodeAt(pos) === 32 || line.charCodeAt(pos) === 9) pos++;
    if (pos >= line.length) return undefined;
    const start = pos;
    while (pos < line.length && line.charCodeAt(pos) !== 32 && line.charCodeAt(pos) !== 9) pos++;
    return line.slice(start, pos);
  };
  const source = next();
  let second = next();
  if (source === undefined || second === undefined) return fail('truncated');
  if (!CHANNEL.test(source)) return fail('bad channel');
  if (second === '+' || second === '-') return connection(time, source, second === '+', line.slice(pos));
  let destination: string | undefined;
  if (!UPPER.test(second)) {
    if (!CHANNEL.test(second)) return fail('bad channel');
    destination = second;
    second = next();
    if (second === undefined) return fail('truncated');
  }
  const a = ACTION.exec(second);
  if (!a) return fail(UPPER.test(second) ? 'unknown action' : 'truncated');
  const mods = a[2]!;
  const sizeText = next();
  if (sizeText === undefined) return fail('truncated');
  if (!/^\d+$/.test(sizeText)) return fail('bad size');

  // from orig-to to: exactly one space before each
  const fields: string[] = [];
  for (let i = 0; i < 3; i++) {
    if (line.charCodeAt(pos) !== 32) return fail('truncated');
    const start = ++pos;
    while (pos < line.length && line.charCodeAt(pos) !== 32) pos++;
    fields.push(line.slice(start, pos));
  }
  if (fields[2] === '' && fields[1] === '') return fail('truncated');
  const rec: MessageRecord = {
    kind: 'message',
    time,
    source,
    destination,
    action: a[1] as Action,
    modifiers: modifiers(mods),
    blocks: Number(sizeText),
    from: fields[0] === '<>' ? '' : fields[0]!,
    origTo: fields[1]!,
    to: fields[2]!,
    diagnostic: '',
  };
  optional(rec, line.slice(pos));
  return rec;
}

const MODIFIERS = new Map<string, Readonly<Modifiers>>();

/** One shared, frozen object per modifier string (a handful exist): no allocation per line. */
function modifiers(mods: string): Readonly<Modifiers> {
  let m = MODIFIERS.get(mods);
  if (!m) {
    m = Object.freeze({ esmtp: mods.includes('E'), sasl: mods.includes('A'), tls: mods.includes('S'), chunking: mods.includes('C') });
    if (MODIFIERS.size < 64) MODIFIERS.set(mods, m); // `EEEEEE...` in a garbled line is not kept
  }
  return m;
}

/** File name, message id, connection tuple and diagnostic, found by their shape. */
function optional(rec: MessageRecord, rest: string): void {
  if (rest === '') return;
  const words = rest.split(' ');
  let depth = 0; // inside a parenthesised text (a greeting banner): no reply code there
  let noteFrom = -1; // the first word after the last field recognised
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '') continue;
    const t = tuple(w);
    if (t) {
      rec.tuple ??= t;
      noteFrom = -1;
      continue;
    }
    if (w.startsWith('(')) depth++;
    const inside = depth > 0;
    if (w.endsWith(')') && depth > 0) depth--;
    if (inside) continue;
    if (REPLY.test(w)) {
      rec.diagnostic = words.slice(i).join(' ').trim();
      const s = ENHANCED.exec(rec.diagnostic);
      if (s) rec.status = s[1];
      return;
    }
    if (rec.file === undefined && w.startsWith('/')) rec.file = w;
    else if (rec.messageId === undefined && w.length > 2 && w.startsWith('<') && w.endsWith('>') && w.includes('@')) rec.messageId = w;
    else {
      if (noteFrom < 0) noteFrom = i;
      continue;
    }
    noteFrom = -1;
  }
  // only failures use it (the reason of a failed connection): other records keep no copy
  const a = rec.action;
  if (noteFrom >= 0 && (a === 'Q' || a === 'Z' || a === 'R' || a === 'K')) rec.note = words.slice(noteFrom).filter((w) => w !== '').join(' ');
}

function tuple(w: string): Tuple | undefined {
  const t = TUPLE.exec(w);
  return t ? { localAddr: t[1]!, localPort: Number(t[2]), remoteAddr: t[3]!, remotePort: Number(t[4]) } : undefined;
}

function connection(time: number, channel: string, inbound: boolean, rest: string): ConnectionRecord | ParseFailure {
  const words = rest.trim().split(/\s+/);
  const event = words[0];
  if (event === undefined || event === '') return fail('truncated');
  if (event !== 'O' && event !== 'C' && event !== 'X' && event !== 'Y') return fail('unknown action');
  if (words[1] === undefined) return fail('truncated');
  const t = tuple(words[1]);
  if (!t) return fail('bad connection');
  const text = words.slice(2).join(' ');
  // `SMTP`, `SMTP/TLS`, `ESMTP`, `SUBMIT`: the application; the rest, when logged, is the reason
  const app = words[2] !== undefined && APPLICATION.test(words[2]) ? words[2] : '';
  const diagnostic = (app ? words.slice(3) : words.slice(2)).join(' ');
  return { kind: 'connection', time, channel, inbound, event, tuple: t, text, application: app, diagnostic };
}

function fail(reason: UnparsedReason): ParseFailure {
  return { kind: 'unparsed', reason };
}
