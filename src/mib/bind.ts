// Binds views to the MIB: each scalar and column a view names gets its OID and
// syntax from the loaded modules and becomes an entry of the OID index.
// Binding fails at start-up (not at request time) when a view names an object the
// MIB lacks, or leaves an accessible column of a table it serves without a value.

import { OidIndex, sortRows, type RowSource, type SortedRows } from '../snmp/oid-index.js';
import { MAX_ARC } from '../snmp/oid.js';
import { encodeValue, type Syntax } from '../snmp/values.js';
import type { MibObject, MibTree } from './loader.js';
import type { AnyTable, ModuleView, ViewContext } from './view.js';

export interface BindOptions {
  /** told about rows dropped for a bad index (a source bug, not fatal) */
  onBadRow?: (entry: string, reason: string) => void;
  /** told when a table's rows were re-read because they changed (at the request's `now`) */
  onRebuild?: (at: number) => void;
}

const ACCESSIBLE = new Set(['read-only', 'read-write', 'read-create']);

function syntaxOf(o: MibObject): Syntax {
  if (!o.syntax) throw new Error(`${o.name} has no syntax`);
  return o.syntax;
}

export function bindViews(tree: MibTree, views: ModuleView[], ctx: ViewContext, opts: BindOptions = {}): OidIndex {
  const index = new OidIndex();
  for (const view of views) {
    for (const [name, get] of Object.entries(view.scalars ?? {})) {
      const o = tree.object(name);
      if (o.kind !== 'scalar' || !ACCESSIBLE.has(o.access ?? '')) throw new Error(`${name} is not an accessible scalar`);
      const syntax = syntaxOf(o);
      index.add({
        kind: 'scalar',
        oid: o.oid,
        name,
        counter64: syntax.kind === 'Counter64',
        read: () => encodeValue(syntax, get(ctx)),
      });
    }
    for (const t of view.tables ?? []) bindTable(tree, index, t, view, ctx, opts);
  }
  return index;
}

function bindTable(tree: MibTree, index: OidIndex, t: AnyTable, view: ModuleView, ctx: ViewContext, opts: BindOptions): void {
  const entry = tree.object(t.entry);
  if (entry.kind !== 'entry') throw new Error(`${t.entry} is not a table entry`);
  const columns = tree.columns(t.entry).filter((c) => ACCESSIBLE.has(c.access ?? ''));
  const served = new Set(Object.keys(t.columns));
  for (const c of columns) {
    if (!served.has(c.name)) throw new Error(`view of ${t.entry} gives no value for column ${c.name}`);
    served.delete(c.name);
  }
  if (served.size) throw new Error(`view of ${t.entry} names columns the MIB does not have: ${[...served].join(', ')}`);

  const rows = cachedRows(t, t.version ?? view.version, ctx, opts);
  for (const c of columns) {
    const syntax = syntaxOf(c);
    const get = t.columns[c.name]!;
    index.add({
      kind: 'column',
      oid: c.oid,
      name: c.name,
      counter64: syntax.kind === 'Counter64',
      rows,
      read: (row: unknown) => encodeValue(syntax, get(row, ctx)),
    });
  }
}

/** Rows of a table, re-read and re-sorted only when the view's version changes. */
function cachedRows(t: AnyTable, version: () => number, ctx: ViewContext, opts: BindOptions): RowSource {
  let seen = Number.NaN;
  let sorted: SortedRows = { index: [], rows: [] };
  const goodIndex = (row: unknown): number[] | undefined => {
    const arcs = t.index(row);
    if (arcs.length === 0 || arcs.length > 116 || arcs.some((a) => !Number.isInteger(a) || a < 0 || a > MAX_ARC)) {
      opts.onBadRow?.(t.entry, `bad index ${arcs.join('.')}`);
      return undefined;
    }
    return arcs;
  };
  return {
    current() {
      const v = version();
      if (v !== seen) {
        const first = Number.isNaN(seen);
        const keep: Array<{ row: unknown; arcs: number[] }> = [];
        for (const row of t.rows()) {
          const arcs = goodIndex(row);
          if (arcs) keep.push({ row, arcs });
        }
        sorted = sortRows(keep, (k) => k.arcs, (dup) => opts.onBadRow?.(t.entry, `duplicate index ${dup.join('.')}`));
        sorted = { index: sorted.index, rows: sorted.rows.map((k) => (k as { row: unknown }).row) };
        seen = v;
        // The first reading is not a change; later ones are dated on the request's clock.
        if (!first) opts.onRebuild?.(ctx.now);
      }
      return sorted;
    },
  };
}
