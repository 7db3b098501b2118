// VACM view families (RFC 3415 2.3): the most specific family decides, masks
// wildcard arcs, and walks through a view skip what it hides.

import { expect } from 'chai';
import { Tag } from '../../src/snmp/ber.js';
import { OidIndex, sortRows } from '../../src/snmp/oid-index.js';
import { MibView, getInView, maskFromHex, nextInView } from '../../src/snmp/vacm.js';

const o = (s: string) => s.split('.').map(Number);

describe('VACM views', () => {
  it('the longest matching subtree decides; none matching means excluded', () => {
    const v = new MibView('v', [
      { subtree: o('1.3.6.1.2.1'), included: true },
      { subtree: o('1.3.6.1.2.1.1.9'), included: false },
      { subtree: o('1.3.6.1.2.1.1.9.1.2.3'), included: true },
    ]);
    expect(v.includes(o('1.3.6.1.2.1.1.5.0'))).to.equal(true);
    expect(v.includes(o('1.3.6.1.2.1.1.9.1.2.1'))).to.equal(false);
    expect(v.includes(o('1.3.6.1.2.1.1.9.1.2.3'))).to.equal(true);
    expect(v.includes(o('1.3.6.1.4.1.32473'))).to.equal(false);
    expect(v.includes(o('1.3.6.1.2'))).to.equal(false); // above the subtree
  });

  it('masks: a 0 bit makes that arc a wildcard; arcs past the mask must match', () => {
    expect(maskFromHex('fd:c0', 10)).to.deep.equal([true, true, true, true, true, true, false, true, true, true]);
    expect(maskFromHex('ff', 10).slice(8)).to.deep.equal([true, true]);
    expect(() => maskFromHex('xyz', 3)).to.throw('not a mask');
    const v = new MibView('v', [{ subtree: o('1.3.6.1.2.1.27.1.1.2'), mask: maskFromHex('fdc0', 10), included: true }]);
    expect(v.includes(o('1.3.6.1.2.1.27.1.1.2.5'))).to.equal(true);
    expect(v.includes(o('1.3.6.1.2.1.28.1.1.2.5'))).to.equal(true);
    expect(v.includes(o('1.3.6.1.2.1.28.1.1.3.5'))).to.equal(false);
  });

  it('walks see exactly the view: hidden objects skipped whole, partly shown tables row by row', () => {
    const index = new OidIndex();
    const scalar = (oid: string) => index.add({ kind: 'scalar', oid: o(oid), name: oid, counter64: false, read: () => Buffer.from([Tag.Integer, 1, 1]) });
    scalar('1.3.6.1.2.1.1.1');
    scalar('1.3.6.1.2.1.1.2');
    scalar('1.3.6.1.2.1.1.3');
    const rows = sortRows([1, 2, 3, 4], (r) => [r]);
    for (const col of ['1.3.6.1.2.1.2.1.1', '1.3.6.1.2.1.2.1.2']) {
      index.add({ kind: 'column', oid: o(col), name: col, counter64: false, rows: { current: () => rows }, read: () => Buffer.from([Tag.Integer, 1, 2]) });
    }
    const v = new MibView('v', [
      { subtree: o('1.3.6.1.2.1'), included: true },
      { subtree: o('1.3.6.1.2.1.1.2'), included: false },
      { subtree: o('1.3.6.1.2.1.2.1.1.2'), included: false }, // one row of one column
      { subtree: o('1.3.6.1.2.1.2.1.2'), included: false },
    ]);
    const seen: string[] = [];
    let at = o('1');
    for (;;) {
      const look = nextInView(index, at, v);
      if (!look.found) {
        expect(look.tag).to.equal(Tag.EndOfMibView);
        break;
      }
      seen.push(look.oid.join('.'));
      at = [...look.oid];
    }
    expect(seen).to.deep.equal(['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.2.1.1.1', '1.3.6.1.2.1.2.1.1.3', '1.3.6.1.2.1.2.1.1.4']);
    expect(v.state(index.objects[1]!)).to.equal('none');
    expect(v.state(index.objects[3]!)).to.equal('partial');
    expect(v.state(index.objects[0]!)).to.equal('all');
    expect(getInView(index, o('1.3.6.1.2.1.1.2.0'), v)).to.deep.equal({ found: false, tag: Tag.NoSuchObject });
    expect(getInView(index, o('1.3.6.1.2.1.1.1.0'), v).found).to.equal(true);
  });
});
