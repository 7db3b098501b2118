// Row indexes that survive restarts: state/indexes.json.

import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MailSystem } from '../../src/model/mail-system.js';
import { StableIndexes } from '../../src/state/stable-indexes.js';

describe('StableIndexes', () => {
  let root: string;
  let n = 0;
  const fresh = (): string => path.join(root, `state-${++n}`);
  const saved = (dir: string): unknown => JSON.parse(readFileSync(path.join(dir, 'indexes.json'), 'utf8'));

  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'madman-state-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('numbers names per scope from 1 and keeps them', () => {
    const s = new StableIndexes(fresh());
    expect(s.indexFor('application', 'postfix')).to.equal(1);
    expect(s.indexFor('application', 'dovecot')).to.equal(2);
    expect(s.indexFor('channel:postfix', 'smtpd')).to.equal(1);
    expect(s.indexFor('application', 'postfix')).to.equal(1);
    s.flush();
  });

  it('persists indexes across instances after flush', () => {
    const dir = fresh();
    const a = new StableIndexes(dir);
    a.indexFor('application', 'postfix');
    a.indexFor('application', 'dovecot');
    a.indexFor('channel:postfix', 'smtpd');
    a.indexFor('channel:postfix', 'local');
    a.flush();
    expect(saved(dir)).to.deep.equal({ application: { postfix: 1, dovecot: 2 }, 'channel:postfix': { smtpd: 1, local: 2 } });
    const b = new StableIndexes(dir);
    expect(b.indexFor('channel:postfix', 'local')).to.equal(2);
    expect(b.indexFor('application', 'dovecot')).to.equal(2);
    expect(b.indexFor('application', 'exim')).to.equal(3);
    b.flush();
    expect(new StableIndexes(dir).indexFor('application', 'exim')).to.equal(3);
  });

  it('writes by itself soon after a new name, without a flush', async () => {
    const dir = fresh();
    const s = new StableIndexes(dir);
    s.indexFor('application', 'postfix');
    expect(existsSync(path.join(dir, 'indexes.json'))).to.equal(false);
    await new Promise((r) => setImmediate(r));
    expect(saved(dir)).to.deep.equal({ application: { postfix: 1 } });
  });

  it('gives a new name max+1, never the index of a name that vanished', () => {
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    // "b" (2) and "d" (4) were removed from the file; the highest left is 3.
    writeFileSync(path.join(dir, 'indexes.json'), JSON.stringify({ 'channel:p': { a: 1, c: 3 } }));
    const s = new StableIndexes(dir);
    expect(s.indexFor('channel:p', 'e')).to.equal(4);
    expect(s.indexFor('channel:p', 'f')).to.equal(5);
    expect(s.indexFor('channel:p', 'c')).to.equal(3);
    s.flush();
  });

  it('keeps channel indexes stable when channels vanish from the model', () => {
    const dir = fresh();
    const s1 = new StableIndexes(dir);
    const m = new MailSystem(s1);
    const app = m.addApplication('postfix');
    const x = m.addChannel(app, 'x');
    const y = m.addChannel(app, 'y');
    m.removeChannel(app, y.index);
    expect(m.addChannel(app, 'z').index).to.equal(3);
    expect(m.addChannel(app, 'y').index).to.equal(2);
    expect(x.index).to.equal(1);
    s1.flush();
    const m2 = new MailSystem(new StableIndexes(dir));
    const app2 = m2.addApplication('postfix');
    expect([m2.addChannel(app2, 'z').index, m2.addChannel(app2, 'x').index, m2.addChannel(app2, 'w').index]).to.deep.equal([3, 1, 4]);
  });

  it('treats names like "constructor" and "__proto__" as plain names', () => {
    const dir = fresh();
    const s = new StableIndexes(dir);
    expect(s.indexFor('application', 'constructor')).to.equal(1);
    expect(s.indexFor('application', '__proto__')).to.equal(2);
    expect(s.indexFor('application', 'toString')).to.equal(3);
    expect(s.indexFor('application', '__proto__')).to.equal(2);
    s.flush();
    const t = new StableIndexes(dir);
    expect(t.indexFor('application', '__proto__')).to.equal(2);
    expect(t.indexFor('application', 'constructor')).to.equal(1);
    expect(t.indexFor('application', 'hasOwnProperty')).to.equal(4);
  });

  it('throws on a corrupt indexes.json', () => {
    const cases = ['{"application": {"postfix": 1', 'null', '[]', '{"application": 5}', '{"application": {"a": 0}}', '{"application": {"a": 1.5}}', '{"application": {"a": "1"}}'];
    for (const text of cases) {
      const dir = fresh();
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'indexes.json'), text);
      expect(() => new StableIndexes(dir), text).to.throw(Error);
      // and does not overwrite it
      expect(readFileSync(path.join(dir, 'indexes.json'), 'utf8')).to.equal(text);
    }
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'indexes.json'), '{"application": {"a": 0}}');
    expect(() => new StableIndexes(dir)).to.throw(/is not a map of scopes to name:index maps/);
  });

  it('throws when indexes.json exists but cannot be read, rather than starting afresh', () => {
    const dir = fresh();
    mkdirSync(path.join(dir, 'indexes.json'), { recursive: true });
    expect(() => new StableIndexes(dir)).to.throw(/EISDIR/);
  });

  it('reports a failed write to onError', () => {
    const dir = fresh();
    const errors: string[] = [];
    const s = new StableIndexes(dir, (e) => errors.push(e.message));
    rmSync(dir, { recursive: true, force: true });
    s.indexFor('application', 'a');
    s.flush();
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/ENOENT/);
  });
});
