// Views of the View-based Access Control Model (RFC 3415 2.3 and 3.2), the part a
// read-only agent needs: a named view is a set of included and excluded subtree
// families (with optional masks), and every community or user is bound to one.
// Which objects of the index a view shows entirely, partly or not at all is worked
// out once per object, so a walk tests one cached state per step.

import { Tag } from './ber.js';
import type { IndexEntry, Lookup, OidIndex } from './oid-index.js';
import type { Oid } from './oid.js';

export interface ViewFamily {
  subtree: readonly number[];
  /** per arc of subtree: false where any value matches (a 0 bit of the mask); missing arcs match exactly */
  mask?: readonly boolean[];
  included: boolean;
}

type EntryState = 'all' | 'none' | 'partial';

/** Bit i (from the most significant bit of the first octet) of a vacmViewTreeFamilyMask. */
export function maskFromHex(hex: string, arcs: number): boolean[] {
  const clean = hex.replace(/[:.\s]/g, '').replace(/^0x/i, '');
  if (!/^[0-9a-f]*$/i.test(clean) || clean.length % 2 || clean.length > 32) throw new Error(`"${hex}" is not a mask of up to 16 hex octets`);
  const bytes = Buffer.from(clean, 'hex');
  const out: boolean[] = [];
  // RFC 3415: a mask shorter than the subtree is extended with 1s
  for (let i = 0; i < arcs; i++) out.push(i >= bytes.length * 8 ? true : ((bytes[i >> 3]! >> (7 - (i & 7))) & 1) === 1);
  return out;
}

export class MibView {
  private readonly families: ViewFamily[];
  private readonly states = new Map<IndexEntry, EntryState>();

  constructor(
    readonly name: string,
    families: ViewFamily[],
  ) {
    // most specific first: longer subtrees, then lexicographically greater (RFC 3415 2.3)
    this.families = [...families].sort((a, b) => b.subtree.length - a.subtree.length || -compareArcs(a.subtree, b.subtree));
  }

  /** Whether `oid` is in the view. */
  includes(oid: Oid): boolean {
    for (const f of this.families) if (matches(f, oid, f.subtree.length)) return f.included;
    return false;
  }

  /** Whether the view shows all, none or some of an object's instances (cached). */
  state(e: IndexEntry): EntryState {
    let s = this.states.get(e);
    if (s === undefined) {
      s = this.compute(e.oid);
      this.states.set(e, s);
    }
    return s;
  }

  private compute(object: Oid): EntryState {
    // a family below the object decides for some instances only
    for (const f of this.families) if (f.subtree.length > object.length && matches(f, object, object.length)) return 'partial';
    return this.includes(object) ? 'all' : 'none';
  }
}

/** Whether the first `arcs` arcs of f's subtree (under its mask) match `oid`. */
function matches(f: ViewFamily, oid: Oid, arcs: number): boolean {
  if (oid.length < arcs) return false;
  for (let i = 0; i < arcs; i++) {
    if (f.mask && f.mask[i] === false) continue;
    if (f.subtree[i] !== oid[i]) return false;
  }
  return true;
}

function compareArcs(a: Oid, b: Oid): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length - b.length;
}

/** GET through a view: outside it, noSuchObject (RFC 3415 3.2 notInView). */
export function getInView(index: OidIndex, oid: Oid, view: MibView | undefined): Lookup {
  if (view && !view.includes(oid)) return { found: false, tag: Tag.NoSuchObject };
  return index.get(oid);
}

/** GETNEXT through a view: objects it hides are skipped whole, partly shown ones instance by instance. */
export function nextInView(index: OidIndex, oid: Oid, view: MibView | undefined, skip?: (e: IndexEntry) => boolean): Lookup {
  if (!view) return index.next(oid, skip);
  const hidden = (e: IndexEntry) => view.state(e) === 'none' || (skip?.(e) ?? false);
  let look = index.next(oid, hidden);
  while (look.found && view.state(look.entry) === 'partial' && !view.includes(look.oid)) look = index.next(look.oid, hidden);
  return look;
}
