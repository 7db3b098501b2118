// YAML aliases may repeat a node that holds aliases itself, so a few lines can stand
// for billions of values ("billion laughs"). Before a config document is turned into
// data, count the values it expands to and name the alias where the count passes the
// limit, or an alias whose anchor is not defined before it, so the error reads like
// every other config error: key and line.

import type { Document, Node } from 'yaml';
import { yaml } from './yaml-lazy.js';

/** Values a config file may expand to; a real one has a few hundred. */
export const MAX_EXPANDED_VALUES = 100_000;

export interface AliasBomb {
  /** keys (and list positions) down to the alias */
  path: Array<string | number>;
  /** offset of the alias in the text */
  offset: number | undefined;
  message: string;
}

/** The alias at which `doc` passes `limit` values once expanded, or undefined when it stays within. */
export function findAliasBomb(doc: Document, limit = MAX_EXPANDED_VALUES): AliasBomb | undefined {
  const sizes = new Map<Node, number>();
  // the node each anchor names at a point of the document (an anchor may be redefined)
  const anchors = new Map<string, Node>();
  let total = 0;
  let found: AliasBomb | undefined;

  // Expanded size of a node seen before (an alias source): memoized, capped so it stays a number.
  const size = (node: unknown): number => {
    if (yaml().isAlias(node)) {
      const src = anchors.get(node.source);
      return src ? size(src) : 1;
    }
    if (!node || typeof node !== 'object') return 1;
    const known = sizes.get(node as Node);
    if (known !== undefined) return known;
    let n = 1;
    if (yaml().isMap(node) || yaml().isSeq(node)) {
      for (const item of node.items) {
        n += yaml().isPair(item) ? size(item.key) + size(item.value) : size(item);
        if (n > limit) break;
      }
    }
    n = Math.min(n, limit + 1);
    sizes.set(node as Node, n);
    return n;
  };

  const walk = (node: unknown, path: Array<string | number>): void => {
    if (found || !node || typeof node !== 'object') return;
    if (yaml().isAlias(node)) {
      const src = anchors.get(node.source);
      if (!src) {
        found = { path, offset: node.range?.[0], message: `alias *${node.source} names no anchor defined before it` };
        return;
      }
      total += size(src);
      if (total > limit) {
        found = {
          path,
          offset: node.range?.[0],
          message: `alias *${node.source} makes the file expand to more than ${limit} values (an alias bomb?)`,
        };
      }
      return;
    }
    total++;
    if (yaml().isMap(node)) {
      for (const pair of node.items) {
        const key = yaml().isScalar(pair.key) ? String(pair.key.value) : '?';
        walk(pair.key, path);
        walk(pair.value, [...path, key]);
      }
    } else if (yaml().isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    }
    // anchored after its contents: an alias inside its own anchor's node has no source yet
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) anchors.set(anchor, node as Node);
  };

  walk(doc.contents, []);
  return found;
}
