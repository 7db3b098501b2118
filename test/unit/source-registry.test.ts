// The registry keeps heavy modules lazy: importing every source's declaration (what the
// config loader, `madman agent`'s options and `madman counters` need) loads none of the
// client libraries; nor does a source's load(): each library is imported at its first
// use (an IMAP or LDAP check, a disk reading), so an agent that never uses one never
// holds its memory.

import { expect } from 'chai';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/harness.js';
import { packagesLoaded as loaded } from '../helpers/packages-loaded.js';

const HEAVY = /\/node_modules\/(imapflow|ldapts|systeminformation)\//;

/** The heavy client libraries a script loads, by name. */
const packagesLoaded = (script: string) => loaded(script, HEAVY);

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
