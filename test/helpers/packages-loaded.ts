// Which node_modules packages a script loads: it runs in a node of its own with the import
// recorder (import-recorder.ts), so a test can show a heavy library stays unloaded.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { ROOT, run } from './harness.js';

/** The packages matched by `packages` (its group 1 is the name) that `script` (ESM, top-level await) loads, sorted. */
export async function packagesLoaded(script: string, packages: RegExp): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-imports-'));
  try {
    const file = path.join(dir, 'imports');
    const recorder = pathToFileURL(path.join(ROOT, 'dist/test/helpers/import-recorder.js')).href;
    const r = await run('env', [`MADMAN_IMPORTS=${file}`, process.execPath, '--import', recorder, '--input-type=module', '-e', script], 60_000);
    expect(r.code, r.stderr).to.equal(0);
    const urls = readFileSync(file, 'utf8').split('\n');
    return [...new Set(urls.map((u) => packages.exec(u)?.[1]).filter((p): p is string => p !== undefined))].sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
