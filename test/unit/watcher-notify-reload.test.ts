// The watcher's notifications across configuration reloads: each reload makes a new
// alarming (notify/setup.ts), which must take over the model's watcher events from the
// one it replaces, so one restart is one madmanServiceRestarted, however many reloads came.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { defaults, type Settings } from '../../src/config/config.js';
import { MailSystem } from '../../src/model/mail-system.js';
import type { Notification } from '../../src/snmp/notifications.js';
import { addService } from '../../src/sources/probes/source.js';
import { startTestAgent, type TestAgent } from '../helpers/harness.js';
import { spec } from '../helpers/probe-support.js';

describe('watcher notifications and reloads', () => {
  let dir = '';
  let t: TestAgent | undefined;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-watcher-reload-'));
  });
  after(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one watcher event is one notification after two reloads; none after the agent stops', async () => {
    const model = new MailSystem();
    const settings: Settings = { ...defaults(), listen: ['udp:127.0.0.1:0'], stateDir: dir };
    t = await startTestAgent({ settings, stateDir: dir, model });
    const sent: string[] = [];
    t.agent.notifications.add({ name: 'spy', send: (n: Notification) => sent.push(n.name), close: async () => undefined });
    const { check } = addService(model, spec({ protocol: 'imap', port: 143 }));
    const event = () => model.watcherEvents.emit({ check, action: 'restarted', reason: 'process 42 is gone', at: Date.now() });
    event();
    expect(sent).to.deep.equal(['madmanServiceRestarted']);
    await t.agent.reload({ ...settings, system: { ...settings.system, contact: 'a' } });
    await t.agent.reload({ ...settings, system: { ...settings.system, contact: 'b' } });
    sent.length = 0;
    event();
    expect(sent).to.deep.equal(['madmanServiceRestarted']);
    const agent = t;
    t = undefined;
    await agent.stop();
    sent.length = 0;
    event();
    expect(sent).to.deep.equal([]);
  });
});
