// How long one measurement of every alarm takes on a large mail system: 1,000 probed
// services, 200 IMAP/POP services, 100,000 quota users, 20 MTAs of 50 channels, 50 disks.
// With and without saving the state (STATE_DIR/alarms.json, fsync'd) after each measurement.
// Run: npm run bench:alarms

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AlarmEngine } from '../src/alarms/engine.js';
import { ALARM_DEFAULTS, ALARM_NAMES } from '../src/alarms/definitions.js';
import { silentLogger } from '../src/log.js';
import { MailSystem } from '../src/model/mail-system.js';

function bigModel(): MailSystem {
  const m = new MailSystem();
  for (let i = 1; i <= 1000; i++) {
    m.checks.set(i, { index: i, name: `check ${i}`, protocol: 'imap', target: `h${i}:143`, status: 'ok', responseMs: i, phases: [], reason: '', consecutiveFailures: 0 });
  }
  for (let i = 1; i <= 200; i++) {
    m.services.set(i, { index: i, name: `dovecot ${i}`, service: 'imap', maxConnections: 0, numConnections: 0, numCurrentConnections: 0, numFailedConnections: 0, numFailedLogins: i, numGoodLogins: 0 });
  }
  for (let i = 1; i <= 100000; i++) m.quotas.set(i, { index: i, user: `u${i}`, storageKb: i % 1000, storageLimitKb: 1000, messages: 0, readAt: 0 });
  for (let a = 1; a <= 20; a++) {
    const app = m.addApplication(`mta ${a}`);
    for (let c = 1; c <= 50; c++) m.addChannel(app, `ch ${c}`, { rejectedMessages: c, oldestMessageStoredAt: Date.now() - c * 1000 });
  }
  for (let i = 1; i <= 50; i++) m.disks.set(i, { index: i, path: `/d${i}`, mountPoint: '/', totalBytes: 1000, availBytes: 500, lastStat: Date.now(), reason: '' });
  return m;
}

function bench(label: string, stateDir?: string): void {
  const model = bigModel();
  const engine = new AlarmEngine(model, ALARM_NAMES.map((n) => ({ ...ALARM_DEFAULTS[n]! })), silentLogger, { quotaPercent: 90, stateDir });
  let now = Date.now();
  for (let i = 0; i < 5; i++) engine.evaluate(undefined, (now += 60000)); // warm-up, rate bases
  const runs = 50;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) engine.evaluate(undefined, (now += 60000));
  const ms = (performance.now() - t0) / runs;
  console.log(`${label}: ${model.alarms.rows.size} alarm instances, ${ms.toFixed(2)} ms per measurement of all alarms`);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'madman-bench-alarms-'));
try {
  bench('in memory');
  bench('with the state saved', dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
