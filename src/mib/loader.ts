// Reads our MIB modules (mibs/) with the net-snmp package's parser and turns them
// into the one table of names, OIDs and syntaxes the agent serves from.
// The parser prints instead of failing on what it cannot read and leaves
// columns untyped when an import is missing, so loading here fails loudly:
// anything it prints, and any accessible object without a usable syntax, is fatal.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import type { ParsedEntry, ParsedSyntax } from 'net-snmp';
import { parseOid } from '../snmp/oid.js';
import type { Syntax, SyntaxKind } from '../snmp/values.js';
import { readTree, treeKey, writeTree } from './tree-cache.js';

export type ObjectKind = 'scalar' | 'table' | 'entry' | 'column' | 'node' | 'notification' | 'other';

export interface MibObject {
  name: string;
  module: string;
  oid: number[];
  kind: ObjectKind;
  /** the SMI macro that defined it (OBJECT-TYPE, MODULE-IDENTITY, ...) */
  macro?: string;
  access?: string;
  syntax?: Syntax;
  /** For entries: index object names, in order. */
  index?: string[];
  /** For notifications: the OBJECTS clause (varbind object names), in order. */
  objects?: string[];
  description?: string;
}

/** Our modules, in import order. */
export const OUR_MODULES = ['SNMP-FRAMEWORK-MIB', 'SNMP-MPD-MIB', 'SNMP-USER-BASED-SM-MIB', 'SNMP-TARGET-MIB', 'NETWORK-SERVICES-MIB', 'MTA-MIB', 'MADMAN-MIB'] as const;

const here = path.dirname(fileURLToPath(import.meta.url));

/** Directory of our MIB files (works from src/ via dist/ and from an installed package). */
export function ourMibDir(): string {
  for (const up of ['../../..', '../..']) {
    const dir = path.resolve(here, up, 'mibs');
    if (existsSync(path.join(dir, 'MTA-MIB.txt'))) return dir;
  }
  throw new Error(`cannot find the mibs/ directory from ${here}`);
}

/** The net-snmp package's own base SMI modules, which its parser reads too: part of the cache key. */
function packageBaseMibDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('net-snmp')), 'lib', 'mibs');
}

const BASE_KINDS: Record<string, SyntaxKind> = {
  INTEGER: 'Integer32',
  Integer32: 'Integer32',
  'OCTET STRING': 'OctetString',
  'OBJECT IDENTIFIER': 'ObjectIdentifier',
  IpAddress: 'IpAddress',
  Counter: 'Counter32',
  Counter32: 'Counter32',
  Gauge: 'Gauge32',
  Gauge32: 'Gauge32',
  Unsigned32: 'Gauge32',
  TimeTicks: 'TimeTicks',
  Counter64: 'Counter64',
  Opaque: 'Opaque',
  BITS: 'Bits',
};

/** net-snmp ObjectType numbers, as getSyntaxTypes() resolves some conventions. */
const TYPE_NUMBERS: Record<number, SyntaxKind> = {
  2: 'Integer32',
  4: 'OctetString',
  6: 'ObjectIdentifier',
  64: 'IpAddress',
  65: 'Counter32',
  66: 'Gauge32',
  67: 'TimeTicks',
  68: 'Opaque',
  70: 'Counter64',
};

export class MibTree {
  readonly byName = new Map<string, MibObject>();
  private readonly byOid = new Map<string, MibObject>();
  /** every object, in the order added (what the cache keeps) */
  readonly added: MibObject[] = [];

  constructor(readonly modules: readonly string[]) {}

  add(o: MibObject): void {
    this.added.push(o);
    this.byName.set(o.name, o);
    this.byOid.set(o.oid.join('.'), o);
  }

  /** The object of that name; throws when the MIB has none (a view naming a wrong object). */
  object(name: string): MibObject {
    const o = this.byName.get(name);
    if (!o) throw new Error(`no MIB object named ${name}`);
    return o;
  }

  /** The MODULE-IDENTITY object of a module (its OID goes in sysORTable). */
  moduleIdentity(module: string): MibObject {
    for (const o of this.byName.values()) if (o.module === module && o.macro === 'MODULE-IDENTITY') return o;
    throw new Error(`module ${module} has no MODULE-IDENTITY`);
  }

  atOid(oid: readonly number[]): MibObject | undefined {
    return this.byOid.get(oid.join('.'));
  }

  /** Accessible columns of an entry, in OID order. */
  columns(entryName: string): MibObject[] {
    const e = this.object(entryName);
    return [...this.byName.values()]
      .filter((o) => o.kind === 'column' && o.oid.length === e.oid.length + 1 && o.oid.slice(0, -1).join('.') === e.oid.join('.'))
      .sort((a, b) => a.oid[a.oid.length - 1]! - b.oid[b.oid.length - 1]!);
  }
}

export class MibLoadError extends Error {}

/**
 * Loads the base modules and ours; throws MibLoadError on anything doubtful. A tree
 * parsed before from the same files is read from the cache instead (tree-cache.ts).
 */
export function loadMibs(dir = ourMibDir(), modules: readonly string[] = OUR_MODULES): MibTree {
  let key: string | undefined;
  try {
    key = treeKey(dir, packageBaseMibDir(), modules);
  } catch {
    // a module file is missing: parsing says which
  }
  const cached = key === undefined ? undefined : readTree<MibObject>(key);
  if (cached) {
    const tree = new MibTree(cached.modules);
    for (const o of cached.objects) tree.add(o);
    return tree;
  }
  const tree = parseMibs(dir, modules);
  if (key !== undefined) writeTree(key, tree.modules, tree.added);
  return tree;
}

function parseMibs(dir: string, modules: readonly string[]): MibTree {
  // the parser is loaded only when the cache cannot answer
  const snmp = createRequire(import.meta.url)('net-snmp') as typeof import('net-snmp');
  const printed: string[] = [];
  const saved = { log: console.log, warn: console.warn, error: console.error, info: console.info };
  // The parser prints printf-style ("[%s]: ... line %s"): fill the placeholders in.
  const capture = (...args: unknown[]) => printed.push(format(...args));
  console.log = console.warn = console.error = console.info = capture;
  let store;
  try {
    store = snmp.createModuleStore();
    for (const m of modules) {
      const file = path.join(dir, `${m}.txt`);
      if (!existsSync(file)) throw new MibLoadError(`MIB module ${m} not found: ${file}`);
      try {
        store.loadFromFile(file);
      } catch (err) {
        throw new MibLoadError(`cannot parse ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!store.getModule(m)) throw new MibLoadError(`${file} does not define module ${m}`);
    }
  } finally {
    Object.assign(console, saved);
  }
  if (printed.length) throw new MibLoadError(`the MIB parser complained: ${printed.join('; ')}`);

  const types = store.getSyntaxTypes();
  const tree = new MibTree([...modules, 'SNMPv2-MIB']);
  const entries: Array<[string, ParsedEntry]> = [];
  for (const m of ['SNMPv2-MIB', ...modules]) {
    for (const e of Object.values(store.getModule(m) ?? {})) {
      if (e && typeof e === 'object' && e.ObjectName && e.OID) entries.push([m, e]);
    }
  }
  const withIndex = new Set(entries.filter(([, e]) => e.INDEX || e.AUGMENTS).map(([, e]) => e.OID));
  const tables = new Set(
    entries.filter(([, e]) => e.INDEX || e.AUGMENTS).map(([, e]) => e.OID!.split('.').slice(0, -1).join('.')),
  );
  for (const [module, e] of entries) {
    const oid = parseOid(e.OID!);
    const parent = oid.slice(0, -1).join('.');
    const access = e['MAX-ACCESS'] ?? e.ACCESS;
    let kind: ObjectKind;
    if (e.MACRO === 'NOTIFICATION-TYPE') kind = 'notification';
    else if (e.MACRO !== 'OBJECT-TYPE') kind = e.MACRO ? 'other' : 'node';
    else if (withIndex.has(e.OID)) kind = 'entry';
    else if (tables.has(e.OID!)) kind = 'table';
    else if (withIndex.has(parent)) kind = 'column';
    else kind = 'scalar';
    const o: MibObject = { name: e.ObjectName!, module, oid, kind, macro: e.MACRO, access, description: e.DESCRIPTION };
    if (kind === 'entry') o.index = e.INDEX ?? e.AUGMENTS;
    if (kind === 'notification') o.objects = e.OBJECTS ?? [];
    if (kind === 'scalar' || kind === 'column') {
      const syntax = resolveSyntax(e.SYNTAX, types);
      if (!syntax) {
        throw new MibLoadError(`${module}::${o.name} has no usable SYNTAX (${JSON.stringify(e.SYNTAX)}); is an imported module missing?`);
      }
      o.syntax = syntax;
    }
    tree.add(o);
  }
  return tree;
}

function resolveSyntax(s: ParsedSyntax | number | undefined, types: Record<string, ParsedSyntax | number>, depth = 0): Syntax | undefined {
  if (s === undefined || depth > 10) return undefined;
  if (typeof s === 'number') {
    const kind = TYPE_NUMBERS[s];
    return kind && { kind, name: kind, ranges: [] };
  }
  if (typeof s === 'string') {
    const base = BASE_KINDS[s];
    if (base) return { kind: base, name: s, ranges: [] };
    const resolved = resolveSyntax(types[s], types, depth + 1);
    return resolved && { ...resolved, name: s };
  }
  const keys = Object.keys(s);
  if (keys.length !== 1) return undefined;
  const name = keys[0]!;
  const detail = s[name] as Record<string, unknown>;
  const under = resolveSyntax(name, types, depth + 1);
  if (!under) return undefined;
  const limits = (detail.ranges ?? detail.sizes) as Array<{ min: number; max: number }> | undefined;
  if (limits) return { ...under, ranges: limits.map((r) => [Number(r.min), Number(r.max)] as [number, number]) };
  // An enumeration: { "1": "up", "2": "down" }
  const enums: Record<string, number> = {};
  for (const [k, v] of Object.entries(detail)) {
    if (!/^-?\d+$/.test(k) || typeof v !== 'string') return undefined;
    enums[v] = Number(k);
  }
  return { ...under, enums };
}
