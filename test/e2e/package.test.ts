// Issue 19 §1: the npm package. A copy of the project (its sources, with stale compiled
// files planted in dist/) is packed with `npm pack`, which cleans dist/src (prepack) and
// builds it (prepare); the tarball holds the built agent, the MIBs, the status page (web/)
// and contrib/, and nothing of the development tree. Installed into a temporary prefix from npm's cache, without the
// dev dependencies (no TypeScript, no build), it gives a working `madman`: its version, its
// MIB directory, --check-config of the shipped example, and a demo agent walked by the
// real snmpwalk through those MIBs, serving its status page from web/.

import { expect } from 'chai';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, run, snmp } from '../helpers/harness.js';
import { startCliAgent } from './integration-support.js';

const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** every module file in mibs/ */
const MIBS = readdirSync(path.join(ROOT, 'mibs')).filter((f) => f.endsWith('.txt')).sort();

/** npm with the environment of a person typing it (not that of the `npm test` running us). */
function npm(args: string[], timeoutMs: number) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(lifecycle|package|config)_/i.test(k)));
  return run('env', ['-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'npm', ...args], timeoutMs);
}

describe('the npm package', function () {
  this.timeout(600000);
  let dir = '';
  let tarball = '';
  let prefix = '';
  let installed = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-package-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('npm pack cleans and builds dist/src, and ships the agent, the MIBs and contrib/ only', async () => {
    const tree = path.join(dir, 'tree');
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'src', 'mibs', 'contrib', 'web']) cpSync(path.join(ROOT, f), path.join(tree, f), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'));
    // left over from an older build: a module since deleted, and a compiled test
    for (const f of ['dist/src/stale.js', 'dist/test/unit/x.test.js']) {
      mkdirSync(path.dirname(path.join(tree, f)), { recursive: true });
      writeFileSync(path.join(tree, f), 'export {};\n');
    }
    const packed = await npm(['--prefix', tree, 'pack', '--pack-destination', dir], 400000);
    expect(packed.code, packed.stderr).to.equal(0);
    tarball = path.join(dir, packed.stdout.trim().split('\n').pop()!);
    expect(path.basename(tarball)).to.equal(`madman-${VERSION}.tgz`);
    const list = (await run('tar', ['-tzf', tarball])).stdout.trim().split('\n').map((f) => f.replace(/^package\//, '')).sort();
    const outside = list.filter((f) => !/^dist\/src\/.+\.js$/.test(f) && f !== 'dist/src/mib/mib-tree.cache.json' && !/^mibs\/[A-Za-z0-9-]+\.txt$/.test(f) && !f.startsWith('contrib/') && !f.startsWith('web/'));
    expect(outside).to.deep.equal(['README.md', 'package.json']);
    expect(list.filter((f) => f.startsWith('mibs/'))).to.deep.equal(MIBS.map((m) => `mibs/${m}`));
    expect(MIBS).to.include.members(['MADMAN-MIB.txt', 'MTA-MIB.txt', 'NETWORK-SERVICES-MIB.txt']);
    expect(list).to.include.members(['dist/src/cli/main.js', 'contrib/madman.yml', 'contrib/madman.service', 'contrib/madman-agentx.service', 'web/status.html']);
    expect(list).to.not.include('dist/src/stale.js');
    // every module of src/ is there, compiled
    const sources = (await run('find', [path.join(ROOT, 'src'), '-name', '*.ts'])).stdout.trim().split('\n');
    const compiled = sources.filter((f) => !f.endsWith('.d.ts')).map((f) => `dist/${path.relative(ROOT, f).replace(/\.ts$/, '.js')}`).sort();
    // and the parsed MIB tree (src/mib/tree-cache.ts), made by prepare
    expect(list.filter((f) => f.startsWith('dist/'))).to.deep.equal([...compiled, 'dist/src/mib/mib-tree.cache.json'].sort());
  });

  it('installs from the tarball into a prefix, offline from the cache, without building', async () => {
    expect(tarball, 'packed by the test before').to.not.equal('');
    prefix = path.join(dir, 'prefix');
    const r = await npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], 300000);
    expect(r.code, r.stderr).to.equal(0);
    installed = path.join(prefix, 'lib/node_modules/madman');
    // dependencies only: no TypeScript, no test tools; nothing was compiled at install time
    expect(existsSync(path.join(installed, 'node_modules/typescript'))).to.equal(false);
    expect(existsSync(path.join(installed, 'node_modules/mocha'))).to.equal(false);
    expect(existsSync(path.join(installed, 'node_modules/net-snmp'))).to.equal(true);
    expect(existsSync(path.join(installed, 'src'))).to.equal(false);
  });

  it('gives a working madman: --version, mib path, --check-config of the shipped example, a demo walk, the status page', async function () {
    if (!installed) this.skip();
    const madman = path.join(prefix, 'bin/madman');
    expect((await run(madman, ['--version'])).stdout).to.equal(`${VERSION}\n`);
    const mibPath = (await run(madman, ['mib', 'path'])).stdout.trim();
    // one directory: the package's, holding every module its MIBs import
    expect(mibPath).to.equal(path.join(installed, 'mibs'));
    const example = path.join(installed, 'contrib/madman.yml');
    const check = await run(madman, ['agent', '--check-config', example]);
    expect([check.code, check.stdout]).to.deep.equal([0, `${example}: OK\n`]);

    // the MIB tree parsed at build time serves the installed agent: it is not parsed (and the
    // cache written again) at start, which an agent user could not do in a root-owned prefix
    const cache = path.join(installed, 'dist/src/mib/mib-tree.cache.json');
    const cached = [statSync(cache).mtimeMs, readFileSync(cache, 'utf8')];
    const agent = await startCliAgent(['agent', '--demo', '--listen', 'udp:127.0.0.1:0', '--http', '127.0.0.1:0', '--state-dir', path.join(dir, 'state')], dir, { command: madman });
    try {
      // run as the units run it (ExecStart=/usr/local/bin/madman): through its #! line, whose
      // V8 flags (src/cli/main.ts) are on the agent's command line
      const shebang = readFileSync(path.join(ROOT, 'src/cli/main.ts'), 'utf8').split('\n')[0]!;
      expect(readFileSync(path.join(installed, 'dist/src/cli/main.js'), 'utf8').split('\n')[0]).to.equal(shebang);
      const flags = shebang.split(' ').filter((w) => w.startsWith('--'));
      expect(flags.length).to.be.above(0);
      const cmdline = readFileSync(`/proc/${agent.child.pid}/cmdline`, 'utf8').split('\0');
      expect(cmdline.slice(0, flags.length + 1)).to.deep.equal(['node', ...flags]);
      // the status page's files come from the package's web/
      const url = /serving HTTP \(\/metrics, status page\) on (\S+)/.exec(agent.stdout())![1]!;
      const page = await fetch(url);
      expect([page.status, (await page.text()).includes('<html')]).to.deep.equal([200, true]);
      const port = Number(/listening on udp4:127\.0\.0\.1:(\d+)/.exec(agent.stdout())![1]);
      const walk = await snmp('snmpwalk', ['-M', mibPath, '-m', 'MTA-MIB', `127.0.0.1:${port}`, 'mtaGroupName']);
      expect(walk.stderr).to.equal('');
      expect(walk.stdout).to.equal(
        ['smtpd', 'submission/smtpd', 'pickup', 'smtp', 'local', 'lmtp'].map((n, i) => `MTA-MIB::mtaGroupName.1.${i + 1} = STRING: ${n}\n`).join(''),
      );
    } finally {
      await agent.stop();
    }
    expect([statSync(cache).mtimeMs, readFileSync(cache, 'utf8')]).to.deep.equal(cached);
  });
});
