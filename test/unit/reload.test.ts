// The reload of a running agent (src/reload.ts) in process: what counts as changed, which
// sources restart, what waits for a restart; and what each source was made from
// (registry.ts), and the systemd-notify arguments (systemd.ts).

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaults, type Settings } from '../../src/config/config.js';
import { describeReload } from '../../src/reload.js';
import { plannedSources } from '../../src/sources/registry.js';
import '../../src/sources/index.js';
import { notifyArgs } from '../../src/systemd.js';
import { startTestAgent, type TestAgent } from '../helpers/harness.js';

describe('unit: configuration reload', () => {
  let dir = '';
  let t: TestAgent | undefined;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-reload-unit-'));
  });
  after(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a source is made from its section, the state directory and fromStart, and from nothing else', () => {
    const s: Settings = { ...defaults(), stateDir: dir, disks: { paths: [dir], interval: 60 } };
    const [disks] = plannedSources(s);
    expect([disks!.registered, disks!.madeFrom]).to.deep.equal(['disks', JSON.stringify([{ paths: [dir], interval: 60 }, { stateDir: dir, fromStart: false }])]);
    const other: Settings = { ...s, system: { contact: 'x', location: 'y' }, communities: [] };
    expect(plannedSources(other).map((e) => e.madeFrom)).to.deep.equal([disks!.madeFrom]);
    expect(plannedSources({ ...s, disks: { paths: [dir], interval: 30 } })[0]!.madeFrom).to.not.equal(disks!.madeFrom);
    expect(plannedSources({ ...s, fromStart: true })[0]!.madeFrom).to.not.equal(disks!.madeFrom);
  });

  it('restarts what changed, keeps what did not, and keeps the settings that need a restart', async () => {
    const first: Settings = { ...defaults(), listen: ['udp:127.0.0.1:0'], stateDir: dir, disks: { paths: [dir], interval: 60 } };
    t = await startTestAgent({ settings: first, stateDir: dir });
    const source = t.agent.sources.find((s) => s.name === 'disks');
    expect(await t.agent.reload({ ...first })).to.deep.equal({ changed: [], needRestart: [], restarted: [], started: [], stopped: [] });
    expect(t.agent.sources.find((s) => s.name === 'disks')).to.equal(source);

    const second: Settings = { ...first, listen: ['udp:127.0.0.1:1'], logLevel: 'debug', system: { contact: 'noc@example.org', location: 'b' }, disks: { paths: [dir], interval: 5 } };
    const r = await t.agent.reload(second);
    expect(r).to.deep.equal({ changed: ['disks', 'listen', 'logLevel', 'system'], needRestart: ['listen', 'logLevel'], restarted: ['disks'], started: [], stopped: [] });
    expect(describeReload(r)).to.equal('changed: disks, listen, logLevel, system; sources restarted from their checkpoint: disks; not applied until a restart: listen, logLevel');
    expect(t.agent.settings.listen).to.deep.equal(['udp:127.0.0.1:0']);
    expect(t.agent.settings.logLevel).to.equal(first.logLevel);
    expect(t.agent.settings.system.contact).to.equal('noc@example.org');
    expect(t.agent.sources.find((s) => s.name === 'disks')).to.not.equal(source);
    // the disk row is the same one, its path read again by the new source
    expect([...t.model.disks.values()].map((d) => d.path)).to.deep.equal([dir]);

    const third = await t.agent.reload({ ...second, disks: { paths: [], interval: 5 } });
    expect([third.restarted, third.started, third.stopped]).to.deep.equal([[], [], ['disks']]);
    expect(t.agent.sources.some((s) => s.name === 'disks')).to.equal(false);
  });

  it('systemd-notify arguments: the state, then one STATUS line', () => {
    expect(notifyArgs({ ready: true, status: 'serving on udp4:0.0.0.0:161' })).to.deep.equal(['READY=1', 'STATUS=serving on udp4:0.0.0.0:161']);
    expect(notifyArgs({ reloading: true, status: 'a\nb' })).to.deep.equal(['RELOADING=1', 'STATUS=a b']);
    expect(notifyArgs({ stopping: true })).to.deep.equal(['STOPPING=1']);
  });
});
