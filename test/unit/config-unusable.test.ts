// What the config check refuses before anything is bound or written: listen entries that
// cannot be bound together, state directories that cannot be used, YAML aliases that
// explode or point nowhere, and config or secrets files that are not regular files (a
// FIFO would block the read). Each a ConfigError naming the key and line.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { listenConflict } from '../../src/config/serving.js';
import { prepareStateDir, stateDirProblem } from '../../src/config/state-dir.js';
import { configFiles } from '../helpers/config-files.js';

describe('unit: unusable config values', () => {
  const cf = configFiles('unusable');

  it('listenConflict: duplicates, wildcards per family and port, v4-mapped on udp6; port 0 and other ports never', () => {
    const c = (...l: string[]) => listenConflict(l);
    expect(c('udp:127.0.0.1:161', 'udp:127.0.0.1:162', 'udp:0.0.0.0:163', 'udp6:[::1]:161', 'udp6:[::]:162', 'udp:127.0.0.1:0', 'udp:127.0.0.1:0')).to.equal(undefined);
    expect(c('udp:0.0.0.0:161', 'udp6:[::]:161')).to.equal(undefined);
    expect(c('udp:10.0.0.1:161', 'udp:127.0.0.1:161', 'udp:127.0.0.1:161')).to.deep.equal({ at: 2, other: 1, message: 'udp:127.0.0.1:161 is the same address and port as listen entry 1 (udp:127.0.0.1:161)' });
    // "udp:161" is every address, as in snmpd.conf
    expect(c('udp:127.0.0.1:1161', '1161')).to.deep.equal({ at: 1, other: 0, message: '1161 overlaps udp:127.0.0.1:1161: 0.0.0.0 already takes port 1161 on every IPv4 address' });
    expect(c('udp6:[::1]:161', 'udp6:[0::1]:161')?.message).to.equal('udp6:[0::1]:161 is the same address and port as listen entry 0 (udp6:[::1]:161)');
    expect(c('udp6:[::ffff:127.0.0.1]:161')).to.deep.equal({ at: 0, message: 'udp6:[::ffff:127.0.0.1]:161: a v4-mapped address cannot be bound on an IPv6-only socket; use udp:127.0.0.1' });
    expect(c('udp:localhost:161', 'udp:localhost:161')?.at).to.equal(1);
  });

  it('stateDirProblem: fine when it exists or can be made; a file, a dangling link, /proc and /sys are not', () => {
    const d = cf.dir;
    mkdirSync(path.join(d, 'exists'));
    expect(stateDirProblem(path.join(d, 'exists'))).to.equal(undefined);
    expect(stateDirProblem(path.join(d, 'new', 'deeper'))).to.equal(undefined);
    writeFileSync(path.join(d, 'file'), '');
    expect(stateDirProblem(path.join(d, 'file'))).to.equal(`${path.join(d, 'file')} is a regular file`);
    expect(stateDirProblem(path.join(d, 'file', 'x'))).to.equal(`${path.join(d, 'file')} (on the way to ${path.join(d, 'file', 'x')}) is a regular file`);
    symlinkSync(path.join(d, 'missing'), path.join(d, 'dangling'));
    expect(stateDirProblem(path.join(d, 'dangling', 'x'))).to.equal(`${path.join(d, 'dangling')} is a dangling symlink (to ${path.join(d, 'missing')})`);
    symlinkSync('loop', path.join(d, 'loop'));
    expect(stateDirProblem(path.join(d, 'loop', 'x'))).to.equal(`${path.join(d, 'loop', 'x')} is a symlink loop`);
    expect(stateDirProblem('/proc/madman')).to.equal('/proc is on proc, a kernel pseudo file system: state cannot be kept there');
    expect(stateDirProblem('/sys/madman')).to.equal('/sys is on sysfs, a kernel pseudo file system: state cannot be kept there');
  });

  it('prepareStateDir makes the missing directories, one at a time, and refuses what stateDirProblem refuses', () => {
    const target = path.join(cf.dir, 'made', 'by', 'prepare');
    prepareStateDir(target);
    expect(stateDirProblem(target)).to.equal(undefined);
    expect(() => prepareStateDir('/proc/madman/x')).to.throw('/proc is on proc');
  });

  it('an alias to an anchor defined nowhere (or later) names its key and line', () => {
    const f = cf.file(['system:', '  contact: me', 'disks: *nowhere']);
    const e = cf.error(f);
    expect([e.key, e.line, e.message]).to.deep.equal(['disks', 3, `${f}:3: disks: alias *nowhere names no anchor defined before it`]);
    const later = cf.file(['disks: [*d]', 'x: &d /var/mail']);
    expect(cf.error(later).message).to.equal(`${later}:1: disks[0]: alias *d names no anchor defined before it`);
  });

  it('a config file or a secrets file that is a FIFO is refused without blocking', () => {
    const fifo = path.join(cf.dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(cf.error(fifo).message).to.equal(`${fifo}: cannot read: not a regular file`);
    const secrets = path.join(cf.dir, 'secrets.fifo');
    execFileSync('mkfifo', ['-m', '600', secrets]);
    const f = cf.file(['secrets: secrets.fifo']);
    expect(cf.error(f).message).to.equal(`${f}:1: secrets: ${secrets} is not a regular file`);
  });
});
