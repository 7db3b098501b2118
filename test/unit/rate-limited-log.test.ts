// One line per cause per interval, with the count of what it stands for.

import { expect } from 'chai';
import { OTHER_CAUSES, RateLimitedLog } from '../../src/rate-limited-log.js';

function setup(maxCauses?: number) {
  let now = 1_000_000;
  const lines: Array<[string, number, Record<string, unknown>]> = [];
  const log = new RateLimitedLog((cause, count, fields) => lines.push([cause, count, fields]), {
    intervalMs: 10_000,
    clock: () => now,
    maxCauses,
  });
  return { log, lines, advance: (ms: number) => (now += ms) };
}

describe('unit: rate-limited log', () => {
  it('writes the first occurrence at once, then one line per interval with the count', () => {
    const { log, lines, advance } = setup();
    log.note('bad community', { from: 'a' });
    expect(lines).to.deep.equal([['bad community', 1, { from: 'a' }]]);
    for (let i = 0; i < 999; i++) log.note('bad community', { from: `b${i}` });
    expect(lines).to.have.length(1);
    advance(9_999);
    log.note('bad community', { from: 'c' });
    expect(lines).to.have.length(1);
    advance(1);
    log.note('bad community', { from: 'd' });
    // 999 + 1 + 1 since the first line, with the fields of the first of them
    expect(lines[1]).to.deep.equal(['bad community', 1001, { from: 'b0' }]);
  });

  it('keeps causes apart', () => {
    const { log, lines } = setup();
    log.note('x');
    log.note('y');
    log.note('x');
    log.note('y');
    log.note('y');
    expect(lines.map((l) => l.slice(0, 2))).to.deep.equal([
      ['x', 1],
      ['y', 1],
    ]);
    log.stop();
    expect(lines.map((l) => l.slice(0, 2))).to.deep.equal([
      ['x', 1],
      ['y', 1],
      ['x', 1],
      ['y', 2],
    ]);
  });

  it('flush writes only the causes whose interval has passed, and forgets quiet ones', () => {
    const { log, lines, advance } = setup();
    log.note('old');
    log.note('old');
    advance(6_000);
    log.note('new');
    log.note('new');
    advance(4_000);
    log.flush();
    expect(lines.map((l) => l.slice(0, 2))).to.deep.equal([
      ['old', 1],
      ['new', 1],
      ['old', 1],
    ]);
    advance(10_000);
    log.flush(); // 'new' is due; 'old' has been quiet for a whole interval and is forgotten
    expect(lines.map((l) => l.slice(0, 2))).to.deep.equal([
      ['old', 1],
      ['new', 1],
      ['old', 1],
      ['new', 1],
    ]);
    log.note('old'); // written at once again
    expect(lines.at(-1)!.slice(0, 2)).to.deep.equal(['old', 1]);
  });

  it('causes beyond the limit share one entry, naming the cause', () => {
    const { log, lines } = setup(3);
    for (const c of ['a', 'b', 'c', 'd', 'e', 'f']) log.note(c);
    expect(lines.map((l) => l[0])).to.deep.equal(['a', 'b', 'c', OTHER_CAUSES]);
    expect(lines[3]![2]).to.deep.equal({ cause: 'd' });
    log.stop();
    expect(lines.at(-1)).to.deep.equal([OTHER_CAUSES, 2, { cause: 'e' }]);
  });

  it('an emitter that throws does not reach the caller', () => {
    const log = new RateLimitedLog(() => {
      throw new Error('disk full');
    });
    expect(() => log.note('x')).to.not.throw();
  });
});
