// The servicedown alarm over what the probes source really writes (addService and
// recordOutcome of src/sources/probes/index.ts), not a hand-filled model: a probed
// service has an applTable row and a check of the same name, and must be measured once,
// from its first check on, as its applOperStatus says.

import { expect } from 'chai';
import { ALARM_DEFAULTS } from '../../src/alarms/definitions.js';
import { metricFor } from '../../src/alarms/metrics.js';
import type { ProbeSpec } from '../../src/sources/probes/config.js';
import { MailSystem } from '../../src/model/mail-system.js';
import { addService, recordOutcome } from '../../src/sources/probes/source.js';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

function spec(name: string, critical?: number): ProbeSpec {
  return { name, protocol: 'smtp', host: 'mx.example.test', port: 25, tls: 'none', tlsVerify: true, timeout: 5, interval: 60, critical };
}

describe('servicedown alarm of probed services', () => {
  const servicedown = metricFor('servicedown', { quotaPercent: 90 });
  const serverresponse = metricFor('serverresponse', { quotaPercent: 90 });

  it('measures nothing before the first check, then once per service, as applOperStatus says', () => {
    const model = new MailSystem();
    const fast = addService(model, spec('fast'));
    const slow = addService(model, spec('slow', 0.5));
    const gone = addService(model, spec('gone'));
    const mta = model.addApplication('postfix MTA on mx');
    // applOperStatus is down before a first check; that is not a service down
    expect(fast.app.operStatus).to.equal('down');
    expect(servicedown(model, T0)).to.deep.equal([{ instance: 'postfix MTA on mx', value: 0 }]);
    expect(serverresponse(model, T0)).to.deep.equal([]);

    recordOutcome(model, fast.app, fast.check, spec('fast'), { ok: true, phases: [], totalMs: 12, reason: '' }, T0);
    recordOutcome(model, slow.app, slow.check, spec('slow', 0.5), { ok: true, phases: [], totalMs: 900, reason: '' }, T0);
    recordOutcome(model, gone.app, gone.check, spec('gone'), { ok: false, phases: [], totalMs: 3, reason: 'connect: refused' }, T0);
    expect([slow.check.status, slow.app.operStatus]).to.deep.equal(['critical', 'congested']);
    expect(servicedown(model, T0)).to.deep.equal([
      { instance: 'fast smtp on mx.example.test', value: 0 },
      { instance: 'slow smtp on mx.example.test', value: 0 },
      { instance: 'gone smtp on mx.example.test', value: 1 },
      { instance: 'postfix MTA on mx', value: 0 },
    ]);
    expect(serverresponse(model, T0)).to.deep.equal([
      // seconds, and only checks that completed: the failed one is servicedown's business
      { instance: 'fast smtp on mx.example.test', value: 0.012 },
      { instance: 'slow smtp on mx.example.test', value: 0.9 },
    ]);
    // the watcher's restart is not the service coming back
    gone.app.operStatus = 'restarting';
    mta.operStatus = 'halted';
    expect(servicedown(model, T0).map((m) => m.value)).to.deep.equal([0, 0, 1, 1]);
  });

  it('a check without an applTable row is measured by its status', () => {
    const model = new MailSystem();
    model.checks.set(7, { index: 7, name: 'lone imap on mx', protocol: 'imap', target: 'mx:143', status: 'critical', phases: [], reason: 'x', consecutiveFailures: 1 });
    expect(servicedown(model, T0)).to.deep.equal([{ instance: 'lone imap on mx', value: 1 }]);
    expect(ALARM_DEFAULTS.servicedown!.threshold).to.equal(1);
  });
});
