// SNMP walks as rows, and a poll-until, for end-to-end tests that check tables column by
// column (the Exim tests; the Postfix and integration tests have had their own copies).

import { expect } from 'chai';
import { MIB_OPTS, snmp } from './harness.js';

export type Row = Record<string, string>;

/** snmpwalk with the MIBs, `-OsQUt`: "column.index" -> value (no units, raw timeticks, quotes removed). */
export async function walk(target: string, oid: string): Promise<Map<string, string>> {
  const r = await snmp('snmpwalk', [...MIB_OPTS, '-OsQUt', target, oid]);
  expect(r.code, `snmpwalk ${oid}: ${r.stderr}`).to.equal(0);
  const out = new Map<string, string>();
  for (const m of r.stdout.matchAll(/^(\S+) = (.*)$/gm)) if (!/^No Such (Object|Instance)/.test(m[2]!)) out.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1'));
  return out;
}

/** A walk as rows: index ("1.3") -> column name -> value. */
export function rows(w: Map<string, string>): Map<string, Row> {
  const out = new Map<string, Row>();
  for (const [k, v] of w) {
    const dot = k.indexOf('.');
    const idx = k.slice(dot + 1);
    if (!out.has(idx)) out.set(idx, {});
    out.get(idx)![k.slice(0, dot)] = v;
  }
  return out;
}

/** One value by snmpget (`-Oqvt`, quotes removed). */
export async function getValue(target: string, oid: string): Promise<string> {
  const r = await snmp('snmpget', [...MIB_OPTS, '-Oqvt', target, oid]);
  expect(r.code, `snmpget ${oid}: ${r.stderr}`).to.equal(0);
  return r.stdout.trim().replace(/^"(.*)"$/, '$1');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `f` until it returns true; fails with `what` (and the last detail `f` returned) after timeoutMs. */
export async function until(what: string, f: () => Promise<boolean | string>, timeoutMs = 15_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const last = await f();
    if (last === true) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${typeof last === 'string' ? `: ${last}` : ''}`);
    await sleep(100);
  }
}

/** Octets as MTA-MIB's K-octet columns show them (rounded up). */
export const kOctets = (octets: number): number => Math.ceil(octets / 1024);
