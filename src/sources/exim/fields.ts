// Scanning Exim's log fields without regular expressions: quoted strings with backslash
// escapes, addresses whose quoted local part may hold spaces, `=>` and `S=` (Exim logs
// `"a => b S=9"@x` as it came), H= hosts, I= interfaces, and the KEY=value items that
// follow an arrival or delivery. Every reader takes the string and a start index and
// returns the end index, so a line is read once, left to right.

import type { Host, Interface } from './events.js';

const SPACE = 32;
const QUOTE = 34;
const BACKSLASH = 92;
const LT = 60;
const GT = 62;
const LBRACKET = 91;
const RBRACKET = 93;
const LPAREN = 40;
const COLON = 58;
const STAR = 42;
const EQ = 61;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** End (after the closing quote) of the quoted string that starts at `i` (a `"`); backslash escapes. */
export function quotedEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return s.length;
}

/** End of `<...>` starting at `i` (a `<`): after the `>` that is outside quotes. */
export function angleEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === QUOTE) j = quotedEnd(s, j) - 1;
    else if (c === GT) return j + 1;
  }
  return s.length;
}

/** End of a token at `i`: the next space outside quotes (a quoted part may hold spaces). */
export function tokenEnd(s: string, i: number): number {
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === SPACE) break;
    if (c === QUOTE) j = quotedEnd(s, j);
    else j++;
  }
  return j;
}

/** Index of the next non-space at or after `i`. */
export function skipSpaces(s: string, i: number): number {
  while (i < s.length && s.charCodeAt(i) === SPACE) i++;
  return i;
}

/** `<addr>` -> `addr`; `<>` -> ''. */
export function unangle(v: string): string {
  return v.length >= 2 && v.charCodeAt(0) === LT && v.charCodeAt(v.length - 1) === GT ? v.slice(1, -1) : v;
}

/**
 * `[addr]` or `[addr]:port` at `i`, with a `*` after it on deliveries down a connection
 * already open; undefined unless `i` is a `[` whose `]` comes before any space.
 */
export function readBracketAddr(s: string, i: number): { addr: string; port?: number; reused: boolean; end: number } | undefined {
  if (s.charCodeAt(i) !== LBRACKET) return undefined;
  const close = s.indexOf(']', i + 1);
  if (close < 0) return undefined;
  const sp = s.indexOf(' ', i + 1);
  if (sp >= 0 && sp < close) return undefined;
  const addr = s.slice(i + 1, close);
  let j = close + 1;
  let port: number | undefined;
  if (s.charCodeAt(j) === COLON && isDigit(s.charCodeAt(j + 1))) {
    let p = 0;
    j++;
    while (j < s.length && isDigit(s.charCodeAt(j))) p = p * 10 + s.charCodeAt(j++) - 48;
    port = p;
  }
  let reused = false;
  if (s.charCodeAt(j) === STAR) {
    reused = true;
    j++;
  }
  return { addr, port, reused, end: j };
}

/**
 * The value of H= at `i`: `[addr]`, `name [addr]`, `(helo) [addr]`, `name (helo) [addr]`,
 * each `[addr]` maybe with `:port` and `*`. The bracketed address ends it (a HELO name
 * cannot hold a space unless Exim was told to accept junk; then its parentheses are read
 * as a whole). Undefined when no `[addr]` follows within the field.
 */
export function readHost(s: string, i: number): { host: Host; end: number } | undefined {
  let name = '';
  let helo = '';
  let j = i;
  for (let part = 0; part < 3 && j < s.length; part++) {
    const c = s.charCodeAt(j);
    if (c === LBRACKET) {
      const b = readBracketAddr(s, j);
      if (!b) return undefined;
      const host: Host = { name, helo, addr: b.addr };
      if (b.port !== undefined) host.port = b.port;
      if (b.reused) host.reused = true;
      return { host, end: b.end };
    }
    if (c === LPAREN) {
      // the HELO name: up to the `) ` that is followed by the bracketed address
      let close = s.indexOf(') [', j + 1);
      if (close < 0) return undefined;
      helo = s.slice(j + 1, close);
      j = close + 2;
      continue;
    }
    const e = s.indexOf(' ', j);
    if (e < 0) return undefined;
    name = s.slice(j, e);
    j = e + 1;
  }
  return undefined;
}

/** The value of I= at `i`: `[addr]` or `[addr]:port`. */
export function readInterface(s: string, i: number): { iface: Interface; end: number } | undefined {
  const b = readBracketAddr(s, i);
  if (!b) return undefined;
  const iface: Interface = { addr: b.addr };
  if (b.port !== undefined) iface.port = b.port;
  return { iface, end: b.end };
}

/**
 * An address at `i` as Exim writes it on `<=`, `=>`, `**`... lines: `<>` (the null sender),
 * `"quoted local part"@domain`, or a plain token. When Exim writes an address whose quoted
 * local part held spaces unquoted (the delivered form, e.g. `q => r@x t=y@example <"q => r@x
 * T=y"@example>`), the address runs on until the next token that can follow an address:
 * `<original>`, `(parent)`, a field `KEY=`, or the end of the line. A trailing `:` (the text
 * of a failure follows) is not part of it; `colon` says it was there.
 */
export function readAddress(s: string, i: number): { address: string; end: number; colon: boolean } {
  if (s.charCodeAt(i) === LT) {
    const e = angleEnd(s, i);
    return finishAddress(s, i, e);
  }
  let e = tokenEnd(s, i);
  // run on over tokens that cannot follow an address (an unquoted local part with spaces)
  while (e < s.length && s.charCodeAt(e - 1) !== COLON) {
    const n = e + 1;
    if (n >= s.length || startsField(s, n)) break;
    const c = s.charCodeAt(n);
    if (c === LT || c === LPAREN) break;
    // a deferral's `defer (N)` / `routing defer (N)` follows the address directly
    if (s.startsWith('defer (', n) || s.startsWith('routing defer (', n)) break;
    e = tokenEnd(s, n);
  }
  return finishAddress(s, i, e);
}

function finishAddress(s: string, i: number, e: number): { address: string; end: number; colon: boolean } {
  if (s.charCodeAt(e - 1) === COLON && (e === s.length || s.charCodeAt(e) === SPACE)) {
    return { address: s.slice(i, e - 1), end: e, colon: true };
  }
  return { address: s.slice(i, e), end: e, colon: false };
}

/** Is there a field name (`[A-Z][A-Z0-9]*=`, or `id=`/`id*=`) at `i`? */
export function startsField(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c === 105 /* i */ && s.charCodeAt(i + 1) === 100 /* d */) {
    const d = s.charCodeAt(i + 2);
    return d === EQ || (d === STAR && s.charCodeAt(i + 3) === EQ);
  }
  if (c < 65 || c > 90) return false;
  for (let j = i + 1; j < i + 6 && j < s.length; j++) {
    const d = s.charCodeAt(j);
    if (d === EQ) return true;
    if (!((d >= 65 && d <= 90) || isDigit(d))) return false;
  }
  return false;
}

/** What readFields found: the fields the source uses, the rest skipped. */
export interface Fields {
  R?: string;
  T?: string;
  U?: string;
  P?: string;
  A?: string;
  S?: number;
  host?: Host;
  iface?: Interface;
  /** the `for` list of an arrival (+received_recipients) */
  recipients?: string[];
  /** `defer (N)` */
  errno?: number;
  /** `routing defer (N)` */
  routing?: boolean;
  /** the text after the `: ` that ends the fields ('' when none) */
  text?: string;
}

/**
 * Reads `KEY=value` items from `i` to the end, or to a `: ` that ends them (failures and
 * deferrals, whose text follows). Quoted values (T="...", C="...", DN="...") and angle
 * values (F=<...>, P=<...>, id=<...>, `from <...>`) are skipped whole, so what a client
 * or a remote server wrote in them (`S=99999`, ` for x@y`, `=>`) is never read as a
 * field. A value ending in `:` ends the fields too (`T=remote_smtp: SMTP error ...`).
 */
export function readFields(s: string, i: number, f: Fields = {}): Fields {
  let j = skipSpaces(s, i);
  while (j < s.length) {
    // `: ` after a field or a word: the failure text follows
    if (s.charCodeAt(j) === COLON && (j + 1 === s.length || s.charCodeAt(j + 1) === SPACE)) {
      f.text = trimTimes(s.slice(skipSpaces(s, j + 1)));
      return f;
    }
    const eq = fieldNameEnd(s, j);
    if (eq > 0) {
      const key = s.slice(j, eq);
      const v = eq + 1;
      let end: number;
      if (key === 'H') {
        const h = readHost(s, v);
        if (h) {
          f.host = h.host;
          end = h.end;
        } else end = tokenEnd(s, v);
      } else if (key === 'I') {
        const r = readInterface(s, v);
        if (r) {
          f.iface = r.iface;
          end = r.end;
        } else end = tokenEnd(s, v);
      } else {
        const c = s.charCodeAt(v);
        end = c === QUOTE ? quotedEnd(s, v) : c === LT ? angleEnd(s, v) : valueEnd(s, v);
        const raw = s.slice(v, end);
        switch (key) {
          case 'R':
          case 'T':
          case 'U':
          case 'P':
          case 'A':
            // T= on an arrival is the subject (quoted): only a bare word is a transport
            if (c !== QUOTE && c !== LT) f[key] = raw;
            break;
          case 'S': {
            const n = Number(raw);
            if (Number.isSafeInteger(n) && n >= 0) f.S = n;
            break;
          }
        }
      }
      j = end;
    } else if (s.startsWith('for ', j)) {
      f.recipients = readList(s, j + 4);
      return f;
    } else if (s.startsWith('from <', j)) {
      j = angleEnd(s, j + 5);
    } else if (s.startsWith('defer (', j) || s.startsWith('routing defer (', j)) {
      const open = s.indexOf('(', j);
      const close = s.indexOf(')', open);
      if (close > open) {
        const n = Number(s.slice(open + 1, close));
        if (Number.isInteger(n)) f.errno = n;
        if (s.charCodeAt(j) === 114 /* r */) f.routing = true;
        j = close + 1;
      } else j = tokenEnd(s, j);
    } else {
      j = tokenEnd(s, j);
      // a bare word ending in ':' ends the fields (`defer (-1): text` handled above)
      if (s.charCodeAt(j - 1) === COLON && (j === s.length || s.charCodeAt(j) === SPACE)) {
        f.text = trimTimes(s.slice(skipSpaces(s, j)));
        return f;
      }
    }
    j = skipSpaces(s, j);
  }
  return f;
}

/** End of the name of a field at `i` (index of its `=`), or -1. */
function fieldNameEnd(s: string, i: number): number {
  if (!startsField(s, i)) return -1;
  return s.indexOf('=', i);
}

/** End of a plain value: the next space outside quotes, or a `:` followed by a space or the end. */
function valueEnd(s: string, i: number): number {
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === SPACE) break;
    if (c === QUOTE) {
      j = quotedEnd(s, j);
      continue;
    }
    if (c === COLON && (j + 1 === s.length || s.charCodeAt(j + 1) === SPACE)) break;
    j++;
  }
  return j;
}

/** The space-separated addresses from `i` to the end (quoted local parts kept whole). */
export function readList(s: string, i: number): string[] {
  const out: string[] = [];
  let j = skipSpaces(s, i);
  while (j < s.length) {
    const e = tokenEnd(s, j);
    if (e > j) out.push(s.slice(j, e));
    j = skipSpaces(s, e);
  }
  return out;
}

/** A failure text without the DT=/QT= times Exim may append after it. */
function trimTimes(t: string): string {
  let end = t.length;
  for (;;) {
    const sp = t.lastIndexOf(' ', end - 1);
    if (sp < 0) break;
    const word = t.slice(sp + 1, end);
    if ((word.startsWith('DT=') || word.startsWith('QT=')) && isDigit(word.charCodeAt(3))) end = sp;
    else break;
  }
  return t.slice(0, end);
}
