// The registry keeps heavy modules lazy: importing every source's declaration (what the
// config loader, `madman agent`'s options and `madman counters` need) loads none of the
// client libraries; nor does a source's load(): each library is imported at its first
// use (an IMAP or LDAP check, a disk reading), so an agent that never uses one never
// holds its memory.

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

  it('load() of the probes, disks and dovecot sources loads none either; their first use does', async () => {
    const loadAll = `await import('${dist}/sources/index.js'); const { sourceDeclarations } = await import('${dist}/sources/registry.js');
      for (const d of sourceDeclarations()) if (['probes', 'disks', 'dovecot'].includes(d.name)) await d.load();`;
    expect(await packagesLoaded(loadAll)).to.deep.equal([]);
    // an IMAP and an LDAP check of a closed port, and one disk reading
    const use = `${loadAll}
      const { runProbe } = await import('${dist}/sources/probes/run.js');
      const ep = { host: '127.0.0.1', port: 1, tls: 'none', tlsVerify: true, timeout: 1, interval: 60, name: 'x' };
      await runProbe({ ...ep, protocol: 'imap', user: 'u' });
      await runProbe({ ...ep, protocol: 'ldap' });
      const { DiskSource } = await import('${dist}/sources/disks/source.js');
      const { MailSystem } = await import('${dist}/model/mail-system.js');
      const { silentLogger } = await import('${dist}/log.js');
      const disks = new DiskSource(['/'], 60);
      await disks.start(new MailSystem(), silentLogger);
      await disks.stop();`;
    expect(await packagesLoaded(use)).to.deep.equal(['imapflow', 'ldapts', 'systeminformation']);
  });
});
