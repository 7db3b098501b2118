// The MIB tree, parsed once and kept as JSON beside the code: parsing the modules with
// the net-snmp package takes 0.3-2 s and ~15 MB of heap at every start (more under
// load), which delayed the socket and stayed in the process's RSS. The cache is keyed
// by a hash of everything the result depends on (the module files, the base modules,
// the parser's version and this loader's), so an edited MIB is parsed again; a
// directory that cannot be written (an installed package) only costs the parse.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when the loader's output for the same input changes. */
const FORMAT = 1;

interface CacheFile<T> {
  key: string;
  modules: readonly string[];
  objects: readonly T[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const CACHE = path.join(here, 'mib-tree.cache.json');

/** Hash of the inputs of a load: module names, their files, the base modules, the parser. */
export function treeKey(dir: string, baseDir: string, modules: readonly string[]): string {
  const h = createHash('sha256');
  h.update(`${FORMAT}\0${modules.join(',')}\0`);
  const require = createRequire(import.meta.url);
  h.update(readFileSync(require.resolve('net-snmp/package.json')));
  for (const m of modules) h.update(readFileSync(path.join(dir, `${m}.txt`)));
  for (const f of readdirSync(baseDir).sort()) h.update(`${f}\0`).update(readFileSync(path.join(baseDir, f)));
  return h.digest('hex');
}

/** The cached objects for `key`, or undefined. */
export function readTree<T>(key: string, file = CACHE): { modules: readonly string[]; objects: readonly T[] } | undefined {
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as CacheFile<T>;
    return c.key === key && Array.isArray(c.objects) ? c : undefined;
  } catch {
    return undefined;
  }
}

/** Saves a parsed tree for `key` (atomically; silently not when the directory is read-only). */
export function writeTree<T>(key: string, modules: readonly string[], objects: readonly T[], file = CACHE): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, JSON.stringify({ key, modules, objects } satisfies CacheFile<T>));
    renameSync(tmp, file);
  } catch {
    // read-only installation: parse at every start
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
  }
}
