// madman's readers of Sendmail's own files: sendmail.cf (mailers as sendmail numbers them,
// StatusFile, QueueDirectory and queue groups, daemons), the binary statistics file in every
// layout sendmail writes, and the queue directories (qf and df files per queue group).
// The real files come from test/e2e/sendmail-server.test.ts (MADMAN_UPDATE_FIXTURES=1).

import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { daemonPort, parseSendmailCf } from '../../src/sources/sendmail/cf.js';
import { expandQueuePath, parseQf, QueueScanner } from '../../src/sources/sendmail/queue-dir.js';
import { kbytes, parseStatistics, STAT_MAGIC, statisticsTotals } from '../../src/sources/sendmail/statistics.js';
import { ROOT } from '../helpers/harness.js';
import { parseMailstatsP } from '../helpers/sendmail-server.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/sendmail');

describe('sendmail.cf reader', function () {
  it('reads the real .cf: mailers numbered as sendmail does, statistics file, queue, daemons, version', function () {
    const cf = parseSendmailCf(readFileSync(path.join(FIXTURES, 'sendmail-8.17.cf'), 'utf8'));
    expect(cf.mailers).to.deep.equal(['prog', '*file*', '*include*', 'local', 'smtp', 'esmtp', 'smtp8', 'dsmtp', 'relay']);
    expect(cf.statusFile).to.match(/^\/tmp\/madman-sendmail-\w+\/statistics$/);
    expect(cf.queueGroups).to.deep.equal([{ name: 'mqueue', path: cf.statusFile!.replace(/statistics$/, 'mqueue') }]);
    expect(cf.daemons.map((d) => d.name)).to.deep.equal(['MTA', 'MSA']);
    expect(cf.daemons[1]!.modifiers).to.equal('E');
    expect(cf.version).to.equal('8.17.1.9');
    expect(cf.hostName).to.equal('mx.example.test');
    expect(cf.warnings).to.deep.equal([]);
  });

  it('keeps a redefined mailer at its number, joins continuation lines, reads old one-letter options', function () {
    const cf = parseSendmailCf(
      [
        'OS/var/log/sendmail.st',
        'OQ/var/spool/mqueue',
        'Mlocal,\tP=/usr/bin/procmail, F=lsDFMAw5:/|@qSPfhn9,',
        '\t\tS=EnvFromL/HdrFromL, R=EnvToL/HdrToL,',
        'Mprog,\t\tP=/bin/sh, F=lsDFMoqeu9',
        'Msmtp, P=[IPC]',
        'Mlocal, P=/bin/true',
        '# Mcomment, P=x',
        'Mcyrusv2 , P=[IPC]',
      ].join('\n'),
    );
    expect(cf.mailers).to.deep.equal(['prog', '*file*', '*include*', 'local', 'smtp', 'cyrusv2']);
    expect(cf.statusFile).to.equal('/var/log/sendmail.st');
    expect(cf.queueGroups).to.deep.equal([{ name: 'mqueue', path: '/var/spool/mqueue' }]);
    // no DaemonPortOptions: sendmail listens on port 25 as Daemon0
    expect(cf.daemons).to.deep.equal([{ name: 'Daemon0', port: 25, modifiers: '', family: 'inet' }]);
  });

  it('reads queue groups (P= by its first letter, a Qmqueue line setting the default directory) and warns about one without a path', function () {
    const cf = parseSendmailCf(
      [
        'O QueueDirectory=/var/spool/mqueue',
        'Qslow, Path=/var/spool/slow/q*, F=f, N=10, I=1m',
        'Qfast, P=/var/spool/fast, R=5',
        'Qbroken, F=f',
        'Qmqueue, P=/var/spool/mqueue/main',
        'O DaemonPortOptions=Port=submission, Name=MSA, M=Ea',
        'O DaemonPortOptions=Family=inet6, Name=MTA-v6, Port=smtp, Addr=::',
        'O StatusFile = /etc/mail/statistics',
      ].join('\n'),
    );
    expect(cf.queueGroups).to.deep.equal([
      { name: 'mqueue', path: '/var/spool/mqueue/main' },
      { name: 'slow', path: '/var/spool/slow/q*' },
      { name: 'fast', path: '/var/spool/fast' },
    ]);
    expect(cf.warnings).to.deep.equal(['line 4: queue group broken has no P= directory']);
    expect(cf.daemons).to.deep.equal([
      { name: 'MSA', port: 587, modifiers: 'Ea', family: 'inet' },
      { name: 'MTA-v6', port: 25, modifiers: '', family: 'inet6' },
    ]);
    expect(cf.statusFile).to.equal('/etc/mail/statistics');
  });

  it("stops at sendmail's 25 mailers, warning about the rest", function () {
    const lines = Array.from({ length: 24 }, (_, i) => `Mm${i}, P=[IPC]`);
    const cf = parseSendmailCf(lines.join('\n'));
    expect(cf.mailers).to.have.length(25);
    expect(cf.mailers[24]).to.equal('m21');
    expect(cf.warnings).to.deep.equal(['line 23: mailer m22 is beyond sendmail\'s 25 mailers', "line 24: mailer m23 is beyond sendmail's 25 mailers"]);
  });

  it('daemonPort: numbers and service names', function () {
    expect([daemonPort(undefined), daemonPort('587'), daemonPort('submission'), daemonPort('smtps'), daemonPort('nonsense'), daemonPort('99999')]).to.deep.equal([25, 587, 587, 465, 25, 25]);
  });
});

/** A statistics file built field by field at offsets computed by hand for each C layout. */
function statsFile(o: { size: number; le: boolean; long: 4 | 8; at: Record<string, number>; version?: number; itime?: number; values: Record<string, number[]>; conn?: number[] }): Buffer {
  const b = Buffer.alloc(o.size);
  const w32 = (off: number, v: number) => (o.le ? b.writeInt32LE(v, off) : b.writeInt32BE(v, off));
  const wlong = (off: number, v: number) => (o.long === 4 ? w32(off, v) : o.le ? b.writeBigInt64LE(BigInt(v), off) : b.writeBigInt64BE(BigInt(v), off));
  if (o.version !== undefined) {
    w32(0, STAT_MAGIC);
    w32(4, o.version);
  }
  if (o.at.itime8 !== undefined) wlong(o.at.itime8, o.itime ?? 0);
  else w32(o.at.itime!, o.itime ?? 0);
  if (o.le) b.writeInt16LE(o.size, o.at.size!);
  else b.writeInt16BE(o.size, o.at.size!);
  (o.conn ?? []).forEach((v, i) => wlong(o.at.conn! + i * o.long, v));
  for (const [name, vals] of Object.entries(o.values)) vals.forEach((v, i) => wlong(o.at[name]! + i * o.long, v));
  return b;
}

describe('statistics file reader', function () {
  it("reads the real 8.17 LP64 file exactly as that sendmail's mailstats -P printed it", function () {
    const st = parseStatistics(readFileSync(path.join(FIXTURES, 'statistics-8.17-lp64')));
    const ms = parseMailstatsP(readFileSync(path.join(FIXTURES, 'statistics-8.17-lp64.mailstats-P'), 'utf8'));
    expect(st.version).to.equal(4);
    expect(st.initTime).to.equal(ms.initTime);
    expect(st.connections).to.deep.equal(ms.connections);
    expect(ms.mailers.size).to.be.above(1);
    for (let i = 0; i < 25; i++) {
      const { name: _n, ...want } = ms.mailers.get(i) ?? { name: '', from: 0, kbytesFrom: 0, to: 0, kbytesTo: 0, rejected: 0, discarded: 0, quarantined: 0 };
      expect(st.mailers[i], `mailer ${i}`).to.deep.equal(want);
    }
    const { name: _t, ...total } = ms.total;
    expect(statisticsTotals(st)).to.deep.equal(total);
  });

  it('reads version 4 as written on 32-bit machines (ILP32, 728 bytes)', function () {
    // int magic @0, int version @4, time_t @8, short size @12, long cf/ct/cr @16, 20, 24, arrays of 25 longs from 28
    const at = { itime: 8, size: 12, conn: 16, nf: 28, bf: 128, nt: 228, bt: 328, nr: 428, nd: 528, nq: 628 };
    const buf = statsFile({ size: 728, le: true, long: 4, at, version: 4, itime: 1700000000, conn: [10, 9, 8], values: { nf: [0, 0, 0, 7], bf: [0, 0, 0, 70], nt: [0, 0, 0, 0, 0, 5], bt: [0, 0, 0, 0, 0, 50], nr: [0, 0, 0, 0, 0, 3], nd: [0, 0, 0, 0, 0, 2], nq: [0, 0, 0, 0, 0, 1] } });
    const st = parseStatistics(buf);
    expect(st.layout).to.equal('ILP32 little-endian');
    expect(st.initTime).to.equal(1700000000000);
    expect(st.connections).to.deep.equal({ from: 10, to: 9, rejected: 8 });
    expect(st.mailers[3]).to.deep.equal({ from: 7, kbytesFrom: 70, to: 0, kbytesTo: 0, rejected: 0, discarded: 0, quarantined: 0 });
    expect(st.mailers[5]).to.deep.equal({ from: 0, kbytesFrom: 0, to: 5, kbytesTo: 50, rejected: 3, discarded: 2, quarantined: 1 });
  });

  it('reads a 32-bit count past 2^31 as the unsigned value C wrapped it to', function () {
    const at = { itime: 8, size: 12, conn: 16, nf: 28, bf: 128, nt: 228, bt: 328, nr: 428, nd: 528, nq: 628 };
    const buf = statsFile({ size: 728, le: true, long: 4, at, version: 4, values: { nf: [-2] } });
    expect(parseStatistics(buf).mailers[0]!.from).to.equal(2 ** 32 - 2);
  });

  it('reads big-endian LP64 version 3 (8.10-8.12: no quarantine column, 1248 bytes)', function () {
    const at = { itime8: 8, size: 16, conn: 24, nf: 48, bf: 248, nt: 448, bt: 648, nr: 848, nd: 1048 };
    const buf = statsFile({ size: 1248, le: false, long: 8, at, version: 3, itime: 1000000000, conn: [1, 2, 3], values: { nf: [0, 4], nr: [0, 0, 6], nd: [0, 0, 0, 9] } });
    const st = parseStatistics(buf);
    expect(st.version).to.equal(3);
    expect(st.layout).to.equal('LP64 big-endian');
    expect(st.connections).to.deep.equal({ from: 1, to: 2, rejected: 3 });
    expect([st.mailers[1]!.from, st.mailers[2]!.rejected, st.mailers[3]!.discarded, st.mailers[3]!.quarantined]).to.deep.equal([4, 6, 9, 0]);
  });

  it('reads version 2 (8.9: no connection counts) and the magic-less 8.8 file', function () {
    const v2 = statsFile({ size: 1224, le: true, long: 8, at: { itime8: 8, size: 16, nf: 24, bf: 224, nt: 424, bt: 624, nr: 824, nd: 1024 }, version: 2, values: { nt: [1, 2, 3], nd: [0, 5] } });
    const s2 = parseStatistics(v2);
    expect([s2.version, s2.mailers[2]!.to, s2.mailers[1]!.discarded, s2.connections.from]).to.deep.equal([2, 3, 5, 0]);
    const v0 = statsFile({ size: 816, le: true, long: 8, at: { itime8: 0, size: 8, nf: 16, bf: 216, nt: 416, bt: 616 }, itime: 900000000, values: { nf: [0, 0, 0, 11], bt: [0, 0, 0, 0, 12] } });
    const s0 = parseStatistics(v0);
    expect([s0.version, s0.initTime, s0.mailers[3]!.from, s0.mailers[4]!.kbytesTo, s0.mailers[4]!.rejected]).to.deep.equal([0, 900000000000, 11, 12, 0]);
  });

  it("kbytes: sendmail's kilobytes are 1000 octets, rounded up per message (a real 8.17 counted 964 octets as 1, 1014 as 2)", function () {
    expect([kbytes(0), kbytes(1), kbytes(964), kbytes(1000), kbytes(1014), kbytes(1024), kbytes(2001)]).to.deep.equal([0, 1, 1, 1, 2, 2, 3]);
  });

  it('reads an empty file (created for sendmail, nothing counted yet) as zeros', function () {
    const st = parseStatistics(Buffer.alloc(0));
    expect([st.version, st.initTime, statisticsTotals(st).from, st.mailers.length]).to.deep.equal([null, null, 0, 25]);
  });

  it('refuses a torn or foreign file, naming what it found', function () {
    const real = readFileSync(path.join(FIXTURES, 'statistics-8.17-lp64'));
    expect(() => parseStatistics(real.subarray(0, 1000))).to.throw(/not a sendmail statistics file \(1000 bytes, magic 0x1b1de, version 4\)/);
    const bad = Buffer.from(real);
    bad.writeInt16LE(1000, 16); // stat_size no longer the struct's
    expect(() => parseStatistics(bad)).to.throw(/1448 bytes/);
    expect(() => parseStatistics(Buffer.from('hello'))).to.throw(/5 bytes, too short/);
  });
});

describe('queue directory scanner', function () {
  let dir = '';
  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-smq-'));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const qf = (t: number, rcpts: string[], tries = 0) =>
    ['V8', `T${t}`, 'K0', `N${tries}`, 'P30000', 'Fs', '$_localhost [127.0.0.1]', 'S<a@far.example>', ...rcpts.map((r) => `RPFD:${r}`), 'H?P?Return-Path: <a@far.example>', '\tRcontinued header line', '.', 'R-after-the-end', ''].join('\n');

  it('parseQf: queue time, recipients and tries from the control lines only', function () {
    const m = parseQf('6B7MUGH3001161', qf(1796682616, ['<x@y>', '<z@y>'], 3));
    expect(m).to.deep.equal({ id: '6B7MUGH3001161', queuedAt: 1796682616000, recipients: 2, tries: 3 });
  });

  it('counts qf files, df volume, recipients and the oldest message per group, across q* directories and qf/df subdirectories', async function () {
    const flat = path.join(dir, 'mqueue');
    mkdirSync(flat);
    writeFileSync(path.join(flat, 'qfAAAAAAAAAAAAA1'), qf(2000, ['<a@x>']));
    writeFileSync(path.join(flat, 'dfAAAAAAAAAAAAA1'), Buffer.alloc(1500));
    writeFileSync(path.join(flat, 'qfAAAAAAAAAAAAA2'), qf(1000, ['<a@x>', '<b@x>']));
    writeFileSync(path.join(flat, 'dfAAAAAAAAAAAAA2'), Buffer.alloc(10));
    writeFileSync(path.join(flat, 'xfAAAAAAAAAAAAA2'), 'transcript');
    writeFileSync(path.join(flat, 'tfAAAAAAAAAAAAA3'), qf(500, ['<c@x>']));
    // q1 with qf/ and df/ subdirectories, q2 flat, .hidden ignored
    for (const d of ['slow/q1/qf', 'slow/q1/df', 'slow/q2', 'slow/.q3']) mkdirSync(path.join(dir, d), { recursive: true });
    writeFileSync(path.join(dir, 'slow/q1/qf/qfBBBBBBBBBBBBB1'), qf(3000, ['<a@x>']));
    writeFileSync(path.join(dir, 'slow/q1/df/dfBBBBBBBBBBBBB1'), Buffer.alloc(2048));
    writeFileSync(path.join(dir, 'slow/q2/qfBBBBBBBBBBBBB2'), qf(2500, ['<a@x>', '<b@x>', '<c@x>']));
    writeFileSync(path.join(dir, 'slow/.q3/qfBBBBBBBBBBBBB3'), qf(1, ['<a@x>']));
    expect(await expandQueuePath(path.join(dir, 'slow/q*'))).to.deep.equal([path.join(dir, 'slow/q1'), path.join(dir, 'slow/q2')]);

    const scanner = new QueueScanner([
      { name: 'mqueue', path: flat },
      { name: 'slow', path: path.join(dir, 'slow/q*') },
      { name: 'gone', path: path.join(dir, 'nowhere') },
    ]);
    const [m, s, g] = await scanner.scan();
    // sendmail's kilobytes per df file: 1500 -> 2, 10 -> 1
    expect(m).to.deep.equal({ name: 'mqueue', dirs: [flat], messages: 2, volume: 1510, kbytes: 3, recipients: 3, oldest: { id: 'AAAAAAAAAAAAA2', at: 1000000 }, errors: [], complete: true });
    expect(s).to.deep.include({ dirs: [path.join(dir, 'slow/q1/qf'), path.join(dir, 'slow/q2')], messages: 2, volume: 2048, kbytes: 3, recipients: 4, oldest: { id: 'BBBBBBBBBBBBB2', at: 2500000 }, complete: true });
    // a directory that cannot be listed: the counts are not the group's
    expect([g!.messages, g!.complete]).to.deep.equal([0, false]);
    expect(g!.errors).to.have.length(1);
    expect(g!.errors[0]).to.match(/nowhere: ENOENT/);

    // a qf rewritten (a delivery attempt: one recipient done) is read again; one removed is forgotten
    const f = path.join(flat, 'qfAAAAAAAAAAAAA2');
    writeFileSync(f, qf(1000, ['<b@x>'], 1));
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    rmSync(path.join(flat, 'qfAAAAAAAAAAAAA1'));
    const [m2] = await scanner.scan();
    expect([m2!.messages, m2!.recipients, m2!.oldest?.id]).to.deep.equal([1, 1, 'AAAAAAAAAAAAA2']);
  });
});
