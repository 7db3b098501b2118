// Our engine's identity in the state directory: made once, boots counted per start,
// a damaged file refused rather than replaced.

import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_BOOTS, makeEngineId, startEngine } from '../../src/snmp/usm/engine-id.js';

describe('SNMP engine identity', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-engine-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('RFC 3411 format 5: enterprise with the top bit, 5, eight octets', () => {
    const id = makeEngineId(32473);
    expect(id.length).to.equal(13);
    expect(id.subarray(0, 5).toString('hex')).to.equal('80007ed905');
  });

  it('keeps the engine ID and counts boots across starts', () => {
    const a = startEngine(dir, 32473);
    const b = startEngine(dir, 32473);
    const c = startEngine(dir, 32473);
    expect([a.boots, b.boots, c.boots]).to.deep.equal([1, 2, 3]);
    expect(b.id.equals(a.id) && c.id.equals(a.id)).to.equal(true);
    const file = path.join(dir, 'snmp-engine.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal({ engineId: a.id.toString('hex'), boots: 3 });
    expect(statSync(file).mode & 0o777).to.equal(0o600);
  });

  it('engineTime comes from the clock it is given, in whole seconds', () => {
    let now = 5000;
    const e = startEngine(dir, 1, () => now);
    expect(e.time()).to.equal(0);
    now += 2999;
    expect(e.time()).to.equal(2);
  });

  it('latches boots at 2147483647', () => {
    writeFileSync(path.join(dir, 'snmp-engine.json'), JSON.stringify({ engineId: '80007ed9050102030405060708', boots: MAX_BOOTS }));
    expect(startEngine(dir, 1).boots).to.equal(MAX_BOOTS);
  });

  it('refuses a damaged file instead of making a new engine ID', () => {
    const file = path.join(dir, 'snmp-engine.json');
    writeFileSync(file, '{"engineId": "zz", "boots": 1}');
    expect(() => startEngine(dir, 1)).to.throw('does not hold an engine ID and boot count');
    writeFileSync(file, '{not json');
    expect(() => startEngine(dir, 1)).to.throw(SyntaxError);
    expect(readFileSync(file, 'utf8')).to.equal('{not json');
  });
});
