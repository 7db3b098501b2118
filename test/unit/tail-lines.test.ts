// LineSplitter: lines and their end offsets from a byte stream fed in arbitrary
// pieces, CRLF, invalid UTF-8, over-long lines and the incomplete last line.

import { expect } from 'chai';
import { LineSplitter } from '../../src/sources/tail/lines.js';

/** Feeds `data` in pieces of `piece` bytes; returns every line with its end offset. */
function feed(sp: LineSplitter, data: Buffer, piece: number): { lines: string[]; ends: number[]; truncated: number } {
  const out = { lines: [] as string[], ends: [] as number[], truncated: 0 };
  for (let off = 0; off < data.length; ) {
    const t = sp.readTarget();
    const n = Math.min(piece, t.length, data.length - off);
    data.copy(sp.buffer, t.offset, off, off + n);
    off += n;
    const r = sp.scan(n);
    out.lines.push(...r.lines);
    out.ends.push(...r.ends);
    out.truncated += r.truncated;
  }
  return out;
}

describe('tail: LineSplitter', () => {
  it('splits lines and reports the offset after each, whatever the piece size', () => {
    const text = 'alpha\nbeta\n\ngamma delta\nepsilon\n';
    const expectedEnds = [6, 11, 12, 24, 32];
    for (const piece of [1, 2, 3, 7, 100]) {
      const sp = new LineSplitter(16, 64);
      sp.reset(0);
      const r = feed(sp, Buffer.from(text), piece);
      expect(r.lines, `piece ${piece}`).to.deep.equal(['alpha', 'beta', '', 'gamma delta', 'epsilon']);
      expect(r.ends, `piece ${piece}`).to.deep.equal(expectedEnds);
      expect(sp.lineOffset).to.equal(32);
      expect(sp.pending).to.equal(0);
    }
  });

  it('counts offsets from the reset point', () => {
    const sp = new LineSplitter(16, 64);
    sp.reset(1000);
    const r = feed(sp, Buffer.from('ab\ncd\n'), 4);
    expect(r.ends).to.deep.equal([1003, 1006]);
    expect(sp.readOffset).to.equal(1006);
  });

  it('holds an incomplete line until its newline, and hands it over on request', () => {
    const sp = new LineSplitter(16, 64);
    sp.reset(0);
    let r = feed(sp, Buffer.from('one\ntw'), 10);
    expect(r.lines).to.deep.equal(['one']);
    expect(sp.pending).to.equal(2);
    expect(sp.lineOffset).to.equal(4);
    r = feed(sp, Buffer.from('o\nthr'), 10);
    expect(r.lines).to.deep.equal(['two']);
    expect(r.ends).to.deep.equal([8]);
    expect(sp.takePartial()).to.deep.equal({ line: 'thr', end: 11, truncated: false });
    expect(sp.pending).to.equal(0);
    expect(sp.takePartial()).to.equal(undefined);
  });

  it('removes one CR before LF and keeps other CRs', () => {
    const sp = new LineSplitter(16, 64);
    sp.reset(0);
    const r = feed(sp, Buffer.from('a\r\nb\r\r\n\r\nc\rd\n'), 3);
    expect(r.lines).to.deep.equal(['a', 'b\r', '', 'c\rd']);
  });

  it('decodes invalid UTF-8 with replacement characters, also when a character spans two reads', () => {
    const sp = new LineSplitter(16, 64);
    sp.reset(0);
    const data = Buffer.from([0x61, 0xff, 0x62, 0x0a, 0xe2, 0x82, 0x0a, 0xe2, 0x82, 0xac, 0x0a, 0xc3, 0x28, 0x0a]);
    const r = feed(sp, data, 1);
    expect(r.lines).to.deep.equal(['a\ufffdb', '\ufffd', '\u20ac', '\ufffd(']);
  });

  it('cuts over-long lines on a character boundary without keeping the rest in memory', () => {
    const sp = new LineSplitter(64, 20);
    sp.reset(0);
    const long = '\u20ac'.repeat(30); // 90 bytes
    const data = Buffer.from(`${long}\nshort\n${'x'.repeat(21)}\n${'y'.repeat(20)}\n`);
    const r = feed(sp, data, 7);
    expect(r.lines).to.deep.equal(['\u20ac'.repeat(6), 'short', 'x'.repeat(20), 'y'.repeat(20)]);
    expect(r.truncated).to.equal(2);
    expect(r.ends).to.deep.equal([91, 97, 119, 140]);
  });

  it('hands over an over-long incomplete line as truncated', () => {
    const sp = new LineSplitter(16, 8);
    sp.reset(0);
    feed(sp, Buffer.from('0123456789abcdef'), 5);
    expect(sp.pending).to.equal(16);
    expect(sp.takePartial()).to.deep.equal({ line: '01234567', end: 16, truncated: true });
  });
});
