// snapshot()/restore(): a restart at any line counts exactly what one uninterrupted read counts.

import { expect } from 'chai';
import { MailSystem } from '../../src/model/mail-system.js';
import { PostfixLog, type PostfixLogOptions, type PostfixLogState } from '../../src/sources/postfix/apply.js';
import { app, checkpointCopy, dump, fixture, read } from './postfix-support.js';

const FIXTURES: Array<[string, PostfixLogOptions]> = [
  ['sample-3.7.log', {}],
  ['inbound.log', {}],
  ['delivery.log', {}],
  ['instances.log', {}],
  ['content-filter.log', { contentFilterServices: ['127.0.0.1:10025'] }],
  ['content-filter-named.log', { contentFilterServices: ['10025', 'amavis'] }],
  ['real-3.7.log', {}],
];

/** Reads lines[0, k), checkpoints, and reads lines[k, n) with a new PostfixLog from the checkpoint. */
function splitRead(lines: string[], k: number, opts: PostfixLogOptions, rebuildModel: boolean) {
  const first = read(lines.slice(0, k), opts);
  const state = JSON.parse(JSON.stringify(first.log.snapshot())) as PostfixLogState;
  const model = rebuildModel ? checkpointCopy(first.model) : first.model;
  const log = new PostfixLog(model, { year: 2026, ...opts });
  log.restore(state);
  for (const l of lines.slice(k)) log.line(l);
  return { model, log };
}

describe('PostfixLog checkpoints', () => {
  for (const [name, opts] of FIXTURES) {
    const lines = fixture(name);
    const whole = read(lines, opts);
    const expected = dump(whole.model);

    it(`${name}: a restart after any line, into the same model, ends with the same model and stats`, () => {
      for (let k = 0; k <= lines.length; k++) {
        const r = splitRead(lines, k, opts, false);
        expect(dump(r.model), `split after line ${k}`).to.deep.equal(expected);
        expect(r.log.stats, `split after line ${k}`).to.deep.equal(whole.log.stats);
        expect(r.log.snapshot(), `split after line ${k}`).to.deep.equal(whole.log.snapshot());
      }
    });

    it(`${name}: a restart after any line, into a model rebuilt from its checkpoint, ends the same`, () => {
      for (let k = 0; k <= lines.length; k++) {
        const r = splitRead(lines, k, opts, true);
        expect(dump(r.model), `split after line ${k}`).to.deep.equal(expected);
        expect(r.log.stats, `split after line ${k}`).to.deep.equal(whole.log.stats);
      }
    });
  }

  it('all fixtures in one stream, restarted after every line', () => {
    const lines = FIXTURES.filter(([, o]) => !o.contentFilterServices).flatMap(([n]) => fixture(n));
    const whole = read(lines);
    const expected = dump(whole.model);
    for (let k = 0; k <= lines.length; k += 1) {
      expect(dump(splitRead(lines, k, {}, true).model), `split after line ${k}`).to.deep.equal(expected);
    }
  });

  it('gives open sessions their association rows back, and the gauges match them', () => {
    const lines = fixture('inbound.log');
    const k = lines.findIndex((l) => l.includes('connect from laptop.example.net')) + 1;
    const first = read(lines.slice(0, k));
    const state = first.log.snapshot();
    expect(Object.keys(state.instances[0]!.sessions)).to.deep.equal(['950']);
    expect(Object.keys(state.instances[0]!.screens)).to.deep.equal([]);
    const model = checkpointCopy(first.model);
    const before = app(model, 'postfix MTA on mx1');
    expect(before.associations.size).to.equal(0);
    // gauges are recounted from the open sessions, whatever the model checkpoint held
    before.inboundAssociations = 0;
    for (const ch of before.mta!.channels.values()) ch.inboundAssociations = 7;
    const log = new PostfixLog(model, { year: 2026 });
    log.restore(state);
    const a = app(model, 'postfix MTA on mx1');
    expect([...a.associations.values()].map((x) => [x.remoteApplication, x.startedAt])).to.deep.equal([
      ['192.0.2.77', first.model.applications.get(a.index)!.associations.get(Number(state.instances[0]!.sessions['950']!.assoc))!.startedAt],
    ]);
    expect(a.inboundAssociations).to.equal(1);
    const gauges = [...a.mta!.channels.values()].map((ch) => `${ch.name}=${ch.inboundAssociations}`);
    expect(gauges).to.deep.equal(['postscreen=0', 'smtpd=0', 'local=0', 'submission/smtpd=1']);
  });

  it('refuses a state of another version', () => {
    const log = new PostfixLog(new MailSystem());
    const bad = { ...log.snapshot(), version: 2 } as unknown as PostfixLogState;
    expect(() => log.restore(bad)).to.throw(/version/);
  });
});
