// The real MIBs and the real views, read back through the OID index.

import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildServing, type Serving } from '../../src/agent.js';
import { bindViews } from '../../src/mib/bind.js';
import { MibLoadError, loadMibs, ourMibDir, type MibTree } from '../../src/mib/loader.js';
import { statusCodeNumber } from '../../src/mib/mta.js';
import { kOctets, requestClock, sysUpTime, table, timeStamp, type ModuleView } from '../../src/mib/view.js';
import { MailSystem, type Application, type Channel } from '../../src/model/mail-system.js';
import { BerReader, Tag } from '../../src/snmp/ber.js';
import type { Lookup } from '../../src/snmp/oid-index.js';
import { compareOid } from '../../src/snmp/oid.js';
import { SnmpStats } from '../../src/snmp/stats.js';

/** Decodes a value read from the index: [tag, number | string | OID text]. */
function decode(l: Lookup): [number, number | string] {
  if (!l.found) return [l.tag, ''];
  const buf = l.read();
  const r = new BerReader(buf);
  const tag = buf[0]!;
  if (tag === Tag.ObjectIdentifier) return [tag, r.oid().join('.')];
  if (tag === Tag.OctetString) return [tag, r.octets().toString('utf8')];
  const h = r.readHeader();
  let v = 0;
  for (let i = 0; i < h.length; i++) v = v * 256 + buf[r.pos + i]!;
  if (tag === Tag.Integer && h.length && buf[r.pos]! & 0x80) v -= 2 ** (8 * h.length);
  return [tag, v];
}

describe('views over the real MIBs', () => {
  let model: MailSystem;
  let serving: Serving;
  let tree: MibTree;
  let app: Application;
  let ch: Channel;
  let start: number;
  const get = (name: string, ...index: number[]) => decode(serving.index.get([...tree.object(name).oid, ...index]));
  /** Index suffixes of the instances of a column, walked with next(). */
  const walk = (name: string): string[] => {
    const col = tree.object(name).oid;
    const out: string[] = [];
    let oid: readonly number[] = col;
    for (let guard = 0; guard < 1000; guard++) {
      const l = serving.index.next(oid);
      if (!l.found || l.oid.slice(0, col.length).join('.') !== col.join('.')) return out;
      expect(compareOid(l.oid, oid)).to.equal(1);
      out.push(l.oid.slice(col.length).join('.'));
      oid = l.oid;
    }
    throw new Error(`walk of ${name} does not end`);
  };

  before(() => {
    model = new MailSystem();
    serving = buildServing(model, new SnmpStats(), { contact: 'ops@example.org', location: 'rack 7', name: 'mx1' });
    tree = serving.tree;
    start = serving.ctx.startedAt;
    serving.ctx.now = start + 12345;
    serving.ctx.uptimeMs = 12345;
    app = model.addApplication('postfix', {
      startedAt: start - 5000,
      lastChange: start + 1234,
      operStatus: 'congested',
      version: '3.8',
    });
    ch = model.addChannel(app, 'smtpd', { protocol: { transport: 'tcp', port: 25 }, createdAt: start + 2345 });
    model.addChannel(app, 'local');
  });

  it('numbers enhanced status codes', () => {
    expect(statusCodeNumber('4.4.1')).to.equal(4004001);
    expect(statusCodeNumber('4.0.0')).to.equal(4000000);
    expect(statusCodeNumber('5.7.1')).to.equal(5007001);
    expect(statusCodeNumber('5.999.999')).to.equal(5999999);
  });

  it('serves an error row per code and one per class total', () => {
    model.countError(ch, '4.4.1', 'inbound');
    model.countError(ch, '4.4.1', 'inbound');
    model.countError(ch, '4.7.0', 'outbound');
    const k = `${app.index}.${ch.index}`;
    expect(walk('mtaGroupInboundErrorCount')).to.deep.equal([`${k}.4000000`, `${k}.4004001`, `${k}.4007000`]);
    expect(get('mtaGroupInboundErrorCount', app.index, ch.index, 4000000)).to.deep.equal([Tag.Counter32, 2]);
    expect(get('mtaGroupInboundErrorCount', app.index, ch.index, 4004001)).to.deep.equal([Tag.Counter32, 2]);
    expect(get('mtaGroupOutboundErrorCount', app.index, ch.index, 4000000)).to.deep.equal([Tag.Counter32, 1]);
    expect(get('mtaGroupOutboundErrorCount', app.index, ch.index, 4004001)).to.deep.equal([Tag.Counter32, 0]);
    expect(get('mtaGroupInternalErrorCount', app.index, ch.index, 4007000)).to.deep.equal([Tag.Counter32, 0]);
    expect(get('mtaGroupInboundErrorCount', app.index, ch.index, 5000000)).to.deep.equal([Tag.NoSuchInstance, '']);
  });

  it('serves volumes in K-octets rounded up', () => {
    expect([0, 1, 1023, 1024, 1025, 2048, 2049].map(kOctets)).to.deep.equal([0, 1, 1, 1, 2, 2, 3]);
    const c = app.mta!.counters;
    c.receivedVolume = 1025;
    c.storedVolume = 1024;
    c.transmittedVolume = 0;
    ch.receivedVolume = 1;
    expect(get('mtaReceivedVolume', app.index)).to.deep.equal([Tag.Counter32, 2]);
    expect(get('mtaStoredVolume', app.index)).to.deep.equal([Tag.Gauge32, 1]);
    expect(get('mtaTransmittedVolume', app.index)).to.deep.equal([Tag.Counter32, 0]);
    expect(get('mtaGroupReceivedVolume', app.index, ch.index)).to.deep.equal([Tag.Counter32, 1]);
  });

  it('a connection opening re-reads the association tables only, not the group table', () => {
    const structure = model.structureVersion;
    const errors = model.errorsVersion;
    const a = model.openAssociation(app, { remoteApplication: '192.0.2.9', type: 'peerresponder', startedAt: start, channel: ch.index });
    expect([model.structureVersion, model.errorsVersion]).to.deep.equal([structure, errors]);
    expect(walk('assocRemoteApplication')).to.include(`${app.index}.${a.index}`);
    expect(walk('mtaGroupAssociationIndex')).to.include(`${app.index}.${ch.index}.${a.index}`);
    model.closeAssociation(app, a.index, start);
    expect(walk('assocRemoteApplication')).to.not.include(`${app.index}.${a.index}`);
    expect(model.structureVersion).to.equal(structure);
  });

  it('keeps sysUpTime going forward when the wall clock is stepped back', () => {
    // an hour's step back after 5 s of uptime: the wall clock now reads before the start
    const ctx = { now: 1_000_000 - 3_600_000, startedAt: 1_000_000, uptimeMs: 5000 };
    expect(sysUpTime(ctx)).to.equal(500);
    expect(timeStamp(ctx, ctx.now - 1000), 'one second ago').to.equal(400);
    expect(timeStamp(ctx, ctx.now + 60_000), 'in the future: now').to.equal(500);
    expect(timeStamp(ctx, ctx.now - 10_000), 'before the start').to.equal(0);
  });

  it('a TimeStamp of a past event reads the same at every request (no flicker between the two clocks)', async () => {
    const ctx = requestClock();
    // ten events a millisecond apart: one of them lies within a millisecond of a tick boundary
    const events = Array.from({ length: 10 }, (_, i) => ctx.startedAt + 20 + i);
    await new Promise((r) => setTimeout(r, 40));
    const seen = events.map(() => new Set<number>());
    for (const deadline = Date.now() + 60; Date.now() < deadline; ) {
      ctx.tick();
      events.forEach((t, i) => seen[i]!.add(timeStamp(ctx, t)));
    }
    expect(seen.map((s) => s.size)).to.deep.equal(events.map(() => 1));
    // the wall clock stepped by an hour: TimeStamps follow it, sysUpTime does not jump
    const up = sysUpTime(ctx);
    ctx.anchor! -= 3_600_000;
    ctx.tick();
    expect(ctx.anchor).to.equal(ctx.now - ctx.uptimeMs);
    expect(sysUpTime(ctx) - up).to.be.below(100);
  });

  it('gives TimeStamp 0 for times before the agent started', () => {
    const ctx = { now: 1000000, startedAt: 500000, uptimeMs: 500000 };
    expect(timeStamp(ctx, undefined)).to.equal(0);
    expect(timeStamp(ctx, 499999)).to.equal(0);
    expect(timeStamp(ctx, 500009)).to.equal(0);
    expect(timeStamp(ctx, 500010)).to.equal(1);
    expect(get('applUptime', app.index)).to.deep.equal([Tag.TimeTicks, 0]);
    expect(get('applLastChange', app.index)).to.deep.equal([Tag.TimeTicks, 123]);
    const a = model.openAssociation(app, { remoteApplication: '192.0.2.1', type: 'peerresponder', startedAt: start - 1, channel: ch.index });
    expect(get('assocDuration', app.index, a.index)).to.deep.equal([Tag.TimeTicks, 0]);
    expect(get('applLastInboundActivity', app.index)).to.deep.equal([Tag.TimeTicks, 0]);
    expect(get('applInboundAssociations', app.index)).to.deep.equal([Tag.Gauge32, 1]);
    expect(get('mtaGroupAssociationIndex', app.index, ch.index, a.index)).to.deep.equal([Tag.Integer, a.index]);
  });

  it('serves TimeIntervals from now, enums and protocol OIDs', () => {
    expect(get('mtaGroupCreationTime', app.index, ch.index)).to.deep.equal([Tag.Integer, 1000]);
    expect(get('applOperStatus', app.index)).to.deep.equal([Tag.Integer, 4]);
    expect(get('applVersion', app.index)).to.deep.equal([Tag.OctetString, '3.8']);
    expect(get('mtaGroupName', app.index, ch.index)).to.deep.equal([Tag.OctetString, 'smtpd']);
    expect(get('mtaGroupMailProtocol', app.index, ch.index)).to.deep.equal([Tag.ObjectIdentifier, '1.3.6.1.2.1.27.4.25']);
    expect(get('mtaGroupMailProtocol', app.index, ch.index + 1)).to.deep.equal([Tag.ObjectIdentifier, '0.0']);
  });

  it('serves the system group and sysORTable', () => {
    expect(get('sysUpTime', 0)).to.deep.equal([Tag.TimeTicks, 1234]);
    expect(get('sysServices', 0)).to.deep.equal([Tag.Integer, 72]);
    expect(get('sysName', 0)).to.deep.equal([Tag.OctetString, 'mx1']);
    expect(get('sysContact', 0)).to.deep.equal([Tag.OctetString, 'ops@example.org']);
    expect(get('sysObjectID', 0)).to.deep.equal([Tag.ObjectIdentifier, '1.3.6.1.4.1.32473.3.1']);
    expect(get('snmpEnableAuthenTraps', 0)).to.deep.equal([Tag.Integer, 2]);
    expect(walk('sysORID')).to.deep.equal(['1', '2', '3']);
    expect(get('sysORID', 1)).to.deep.equal([Tag.ObjectIdentifier, '1.3.6.1.2.1.27']);
    expect(get('sysORID', 2)).to.deep.equal([Tag.ObjectIdentifier, '1.3.6.1.2.1.28']);
    expect(get('sysORID', 3)).to.deep.equal([Tag.ObjectIdentifier, '1.3.6.1.4.1.32473']);
    expect(get('sysORUpTime', 3)).to.deep.equal([Tag.TimeTicks, 0]);
    expect(get('sysORDescr', 2)[1]).to.match(/^Mail transfer agents/);
    expect(get('sysORID', 4)).to.deep.equal([Tag.NoSuchInstance, '']);
  });

  it('sees rows that appear and vanish, and counts instances', () => {
    const before = walk('mtaGroupName');
    const extra = model.addChannel(app, 'lmtp');
    expect(walk('mtaGroupName')).to.deep.equal([...before, `${app.index}.${extra.index}`]);
    expect(get('madmanAgentIndexedObjects', 0)).to.deep.equal([Tag.Gauge32, serving.index.instanceCount()]);
    model.removeChannel(app, extra.index);
    expect(walk('mtaGroupName')).to.deep.equal(before);
  });

  it('refuses to bind a view that omits a column or names a wrong object', () => {
    const ctx = { now: 0, startedAt: 0, uptimeMs: 0 };
    const all = tree.columns('mtaEntry').map((c) => c.name);
    expect(all).to.include('mtaLoopsDetected');
    const columns = Object.fromEntries(all.filter((n) => n !== 'mtaLoopsDetected').map((n) => [n, () => 0]));
    const view = (cols: Record<string, () => number>): ModuleView => ({
      module: 'MTA-MIB',
      version: () => 0,
      tables: [table<number>({ entry: 'mtaEntry', rows: () => [1], index: (r) => [r], columns: cols })],
    });
    expect(() => bindViews(tree, [view(columns)], ctx)).to.throw(/gives no value for column mtaLoopsDetected/);
    expect(() => bindViews(tree, [view({ ...columns, mtaLoopsDetected: () => 0, mtaBogus: () => 0 })], ctx)).to.throw(
      /columns the MIB does not have: mtaBogus/,
    );
    expect(bindViews(tree, [view({ ...columns, mtaLoopsDetected: () => 0 })], ctx).objects.length).to.equal(12);
    const scalarView = (name: string): ModuleView => ({ module: 'X', version: () => 0, scalars: { [name]: () => 0 } });
    expect(() => bindViews(tree, [scalarView('noSuchThing')], ctx)).to.throw(/no MIB object named noSuchThing/);
    expect(() => bindViews(tree, [scalarView('mtaReceivedMessages')], ctx)).to.throw(/not an accessible scalar/);
    expect(() => bindViews(tree, [scalarView('snmpTrapOID')], ctx)).to.throw(/not an accessible scalar/);
  });

  it('drops rows with bad indexes and tells', () => {
    const bad: string[] = [];
    const v: ModuleView = {
      module: 'SNMPv2-MIB',
      version: () => 0,
      tables: [
        table<number>({
          entry: 'sysOREntry',
          rows: () => [2, -1, 1.5, 2, 4294967296, 1],
          index: (r) => [r],
          columns: { sysORID: () => [1, 3], sysORDescr: () => 'x', sysORUpTime: () => 0 },
        }),
      ],
    };
    const ix = bindViews(tree, [v], { now: 0, startedAt: 0, uptimeMs: 0 }, { onBadRow: (e, reason) => bad.push(`${e}: ${reason}`) });
    expect(ix.instanceCount()).to.equal(2 * 3);
    expect(bad).to.deep.equal([
      'sysOREntry: bad index -1',
      'sysOREntry: bad index 1.5',
      'sysOREntry: bad index 4294967296',
      'sysOREntry: duplicate index 2',
    ]);
  });
});

describe('loadMibs failures', () => {
  const dirs: string[] = [];
  const copyMibs = (edit: (dir: string) => void): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-mibs-'));
    dirs.push(dir);
    for (const f of readdirSync(ourMibDir())) copyFileSync(path.join(ourMibDir(), f), path.join(dir, f));
    edit(dir);
    return dir;
  };
  const loadError = (dir: string, modules?: readonly string[]): MibLoadError => {
    const log = console.log;
    try {
      loadMibs(dir, modules);
    } catch (err) {
      expect(console.log).to.equal(log);
      expect(err).to.be.instanceOf(MibLoadError);
      return err as MibLoadError;
    }
    throw new Error('loadMibs did not throw');
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('loads a plain copy', () => {
    expect(loadMibs(copyMibs(() => {})).object('mtaGroupName').oid.join('.')).to.equal('1.3.6.1.2.1.28.2.1.25');
  });

  it('throws when a module file is missing', () => {
    const dir = copyMibs((d) => rmSync(path.join(d, 'SNMP-FRAMEWORK-MIB.txt')));
    expect(loadError(dir).message).to.match(/MIB module SNMP-FRAMEWORK-MIB not found/);
  });

  it('throws when an imported module is not loaded (the parser prints)', () => {
    const dir = copyMibs((d) => rmSync(path.join(d, 'SNMP-FRAMEWORK-MIB.txt')));
    expect(loadError(dir, ['NETWORK-SERVICES-MIB', 'MTA-MIB', 'MADMAN-MIB']).message).to.match(
      /the MIB parser complained: .*SNMP-FRAMEWORK-MIB/,
    );
  });

  it('throws when a file is corrupted', () => {
    const noEnd = copyMibs((d) => {
      const f = path.join(d, 'MTA-MIB.txt');
      writeFileSync(f, readFileSync(f, 'utf8').replace(/END\s*$/, ''));
    });
    const msg = loadError(noEnd).message;
    expect(msg).to.match(/the MIB parser complained: \[MTA-MIB\]: .*no END statement/);
    expect(msg).to.not.include('%s');
    const truncated = copyMibs((d) => {
      const f = path.join(d, 'MTA-MIB.txt');
      const text = readFileSync(f, 'utf8');
      writeFileSync(f, text.slice(0, Math.floor(text.length / 2)));
    });
    expect(loadError(truncated).message).to.match(/MTA-MIB/);
  });

  it('throws when a file does not define the module it is named after', () => {
    const dir = copyMibs((d) => copyFileSync(path.join(d, 'MADMAN-MIB.txt'), path.join(d, 'EXTRA-MIB.txt')));
    expect(loadError(dir, [...['SNMP-FRAMEWORK-MIB', 'NETWORK-SERVICES-MIB', 'MTA-MIB'], 'EXTRA-MIB']).message).to.match(
      /does not define module EXTRA-MIB/,
    );
  });
});
