// The registry keeps heavy modules lazy: importing every source's declaration (what the
// config loader, `madman agent`'s options and `madman counters` need) loads none of the
// client libraries; a source's load() does, when the settings turn it on.

import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, run } from '../helpers/harness.js';

const HEAVY = /\/node_modules\/(imapflow|ldapts|systeminformation)\//;

/** The node_modules packages a script loads, by name. */
async function packagesLoaded(script: string): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-imports-'));
  try {
    const file = path.join(dir, 'imports');
    const recorder = pathToFileURL(path.join(ROOT, 'dist/test/helpers/import-recorder.js')).href;
    const r = await run('env', [`MADMAN_IMPORTS=${file}`, process.execPath, '--import', recorder, '--input-type=module', '-e', script], 60_000);
    expect(r.code, r.stderr).to.equal(0);
    const urls = readFileSync(file, 'utf8').split('\n');
    return [...new Set(urls.map((u) => HEAVY.exec(u)?.[1]).filter((p): p is string => p !== undefined))].sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('source registry: heavy modules stay lazy', function () {
  this.timeout(120_000);
  const dist = pathToFileURL(path.join(ROOT, 'dist/src')).href;

  it('the declarations and the config loader load no client library', async () => {
    const script = `const { settingsFrom } = await import('${dist}/config/config.js'); await import('${dist}/sources/index.js'); settingsFrom({});`;
    expect(await packagesLoaded(script)).to.deep.equal([]);
  });

  it('load() of the probes, disks and dovecot sources loads theirs', async () => {
    const script = `await import('${dist}/sources/index.js'); const { sourceDeclarations } = await import('${dist}/sources/registry.js');
      for (const d of sourceDeclarations()) if (['probes', 'disks', 'dovecot'].includes(d.name)) await d.load();`;
    expect(await packagesLoaded(script)).to.deep.equal(['imapflow', 'ldapts', 'systeminformation']);
  });
});
