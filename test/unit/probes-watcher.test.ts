// The watcher's rule (restart after N consecutive failures; more than two restarts within
// the window stops the restarts until the service answers again), the judgement of an
// outcome against thresholds, and what an outcome does to the check and the applTable row.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { ProbeSpec } from '../../src/sources/probes/config.js';
import { silentLogger } from '../../src/log.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { addService, recordOutcome } from '../../src/sources/probes/source.js';
import type { ProbeOutcome } from '../../src/sources/probes/phases.js';
import { judge } from '../../src/sources/probes/run.js';
import { shellRunner, Watcher } from '../../src/sources/probes/watcher.js';

const SPEC: ProbeSpec = {
  name: 'mx',
  protocol: 'smtp',
  host: '127.0.0.1',
  port: 25,
  tls: 'none',
  tlsVerify: true,
  timeout: 10,
  interval: 60,
  warning: 1,
  critical: 2,
  restart: { command: 'true', afterFailures: 2, windowSeconds: 600 },
};

const ok = (ms: number): ProbeOutcome => ({ ok: true, phases: [{ name: 'connect', ms }], totalMs: ms, reason: '' });
const failed: ProbeOutcome = { ok: false, phases: [], totalMs: 3, reason: 'connect: connect ECONNREFUSED 127.0.0.1:25' };

describe('probes: watcher, thresholds, model updates', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-watcher-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('restarts after N failures, at most twice within the window, then suspends until a success', async () => {
    const log = path.join(dir, 'restarts');
    let now = 1_000_000;
    const w = new Watcher({ command: `echo r >> ${log}`, afterFailures: 2, windowSeconds: 600 }, silentLogger, shellRunner, () => now);
    const model = new MailSystem();
    const { check } = addService(model, SPEC);
    const fail = async (n: number) => {
      for (let i = 0; i < n; i++) {
        check.consecutiveFailures++;
        await w.observe(check, true);
        now += 10_000;
      }
    };
    await fail(1);
    expect(check.restarts).to.equal(0);
    await fail(1);
    expect([check.restarts, check.lastRestart, check.watcher]).to.deep.equal([1, 1_010_000, 'watching']);
    await fail(2);
    expect(check.restarts).to.equal(2);
    await fail(2); // a third restart within 600 s: suspended instead
    expect([check.restarts, check.watcher]).to.deep.equal([2, 'suspended']);
    await fail(10);
    expect(check.restarts).to.equal(2);
    expect(readFileSync(log, 'utf8')).to.equal('r\nr\n');

    await w.observe(check, false); // it answers again: watching, and the window still counts
    expect(check.watcher).to.equal('watching');
    await fail(2);
    expect(check.watcher).to.equal('suspended');
    now += 600_000; // both restarts are now older than the window
    await fail(2);
    expect([check.restarts, check.watcher]).to.deep.equal([2, 'suspended']);
    await w.observe(check, false);
    await fail(2);
    expect([check.restarts, check.watcher]).to.deep.equal([3, 'watching']);
    expect(readFileSync(log, 'utf8')).to.equal('r\nr\nr\n');
  });

  it('a failing restart command is logged, not thrown; onRestart is told first', async () => {
    const w = new Watcher({ command: 'exit 7', afterFailures: 1, windowSeconds: 600 }, silentLogger);
    const { check } = addService(new MailSystem(), SPEC);
    const told: number[] = [];
    await w.observe(check, true, () => told.push(check.restarts!));
    expect(check.restarts).to.equal(1);
    expect(told).to.deep.equal([1]);
  });

  it('recordOutcome takes a restarting service back to up or down', () => {
    const model = new MailSystem();
    const { app, check } = addService(model, SPEC);
    app.operStatus = 'restarting';
    app.lastChange = 1000;
    app.startedAt = 500;
    recordOutcome(model, app, check, SPEC, ok(10), 2000);
    expect([app.operStatus, app.lastChange, app.startedAt]).to.deep.equal(['up', 2000, 2000]);
  });

  it('judges like check_smtp: failure or over -c is critical, over -w a warning', () => {
    expect(judge(ok(500), SPEC)).to.deep.equal({ status: 'ok', reason: '' });
    expect(judge(ok(1500), SPEC)).to.deep.equal({ status: 'warning', reason: 'response time 1.500 s over the warning threshold of 1 s' });
    expect(judge(ok(2500), SPEC)).to.deep.equal({ status: 'critical', reason: 'response time 2.500 s over the critical threshold of 2 s' });
    expect(judge(failed, SPEC)).to.deep.equal({ status: 'critical', reason: failed.reason });
    expect(judge(ok(99999), { warning: undefined, critical: undefined }).status).to.equal('ok');
  });

  it('updates the check and the applTable row: up, congested, down, up again', () => {
    const model = new MailSystem();
    const { app, check } = addService(model, SPEC);
    expect(app.name).to.equal('mx smtp on 127.0.0.1');
    expect([app.operStatus, check.status, check.index, check.watcher]).to.deep.equal(['down', 'unknown', app.index, 'watching']);
    const v0 = model.checksVersion;

    recordOutcome(model, app, check, SPEC, { ...ok(10), version: 'Postfix 3.7.11' }, 1000);
    expect([app.operStatus, app.lastChange, app.startedAt, app.version]).to.deep.equal(['up', 1000, 1000, 'Postfix 3.7.11']);
    expect(model.checksVersion).to.equal(v0 + 1); // the phase rows appeared

    recordOutcome(model, app, check, SPEC, ok(1500), 2000);
    expect([app.operStatus, app.lastChange, app.startedAt, check.status]).to.deep.equal(['congested', 2000, 1000, 'warning']);
    expect(check.reason).to.equal('response time 1.500 s over the warning threshold of 1 s');
    expect(model.checksVersion).to.equal(v0 + 1); // same phases

    recordOutcome(model, app, check, SPEC, failed, 3000);
    recordOutcome(model, app, check, SPEC, failed, 4000);
    expect([app.operStatus, app.lastChange, app.startedAt]).to.deep.equal(['down', 3000, undefined]);
    expect([check.status, check.consecutiveFailures, check.failures, check.checks, check.lastFailure, check.reason]).to.deep.equal([
      'critical', 2, 2, 4, 4000, failed.reason,
    ]);
    expect(model.checksVersion).to.equal(v0 + 2); // the phase rows vanished

    recordOutcome(model, app, check, SPEC, ok(10), 5000);
    expect([app.operStatus, app.lastChange, app.startedAt, check.consecutiveFailures, app.version]).to.deep.equal(['up', 5000, 5000, 0, 'Postfix 3.7.11']);
    expect(check.reason).to.equal(failed.reason); // the reason of the last failure stays
  });
});
