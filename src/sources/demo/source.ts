// The built-in demo mail system for `madman agent --demo`: a small Postfix-like MTA
// whose counters move by replaying, in a loop, the traffic of a sample session
// (connections, received mail, local and remote deliveries, a reject, a deferral,
// a bounce). Deterministic, so two runs show the same figures at the same step.

import os from 'node:os';
import type { Application, Channel, MailSystem } from '../../model/mail-system.js';
import type { Source } from '../registry.js';

type Step = (d: Demo) => void;

interface Demo {
  model: MailSystem;
  app: Application;
  ch: Record<'smtpd' | 'submission' | 'pickup' | 'smtp' | 'local' | 'lmtp', Channel>;
  now: number;
  open: Map<string, number>;
}

function receive(d: Demo, ch: Channel, octets: number, rcpts: number): void {
  d.model.countTraffic(d.app, ch, 'received', { messages: 1, volume: octets, recipients: rcpts });
  // the demo's queue is on the MTA's totals (and the smtp group's, set where it defers)
  const c = d.app.mta!.counters;
  c.storedMessages++;
  c.storedVolume += octets;
  c.storedRecipients += rcpts;
}

function deliver(d: Demo, ch: Channel, octets: number, rcpts: number): void {
  d.model.countTraffic(d.app, ch, 'transmitted', { messages: 1, volume: octets, recipients: rcpts });
  const c = d.app.mta!.counters;
  c.storedMessages = Math.max(0, c.storedMessages - 1);
  c.storedVolume = Math.max(0, c.storedVolume - octets);
  c.storedRecipients = Math.max(0, c.storedRecipients - rcpts);
  ch.lastOutboundActivity = d.now;
}

function connect(d: Demo, key: string, ch: Channel, peer: string, inbound: boolean): void {
  const a = d.model.openAssociation(d.app, {
    remoteApplication: peer,
    protocol: ch.protocol,
    type: inbound ? 'peerresponder' : 'peerinitiator',
    startedAt: d.now,
    channel: ch.index,
  });
  if (!inbound) ch.lastOutboundAssociationAttempt = d.now;
  d.open.set(key, a.index);
}

function disconnect(d: Demo, key: string): void {
  const i = d.open.get(key);
  if (i !== undefined) d.model.closeAssociation(d.app, i, d.now);
  d.open.delete(key);
}

/** One pass of the sample session; each step is one tick. */
const SCRIPT: Step[] = [
  (d) => connect(d, 'mx1', d.ch.smtpd, '192.0.2.10', true),
  (d) => receive(d, d.ch.smtpd, 420, 1),
  (d) => disconnect(d, 'mx1'),
  (d) => deliver(d, d.ch.local, 420, 1),
  (d) => connect(d, 'sub', d.ch.submission, '198.51.100.7', true),
  (d) => {
    d.ch.smtpd.rejectedMessages++;
    d.app.rejectedInboundAssociations++;
    d.ch.smtpd.inboundRejectionReason = '550 5.1.1 Recipient address rejected: User unknown in local recipient table';
    d.model.countError(d.ch.smtpd, '5.1.1', 'inbound');
  },
  (d) => receive(d, d.ch.submission, 2048, 2),
  (d) => connect(d, 'out1', d.ch.smtp, '203.0.113.5', false),
  (d) => {
    deliver(d, d.ch.smtp, 2048, 2);
    disconnect(d, 'out1');
  },
  (d) => {
    // the message deferred in the previous pass goes out on its retry: the queue and the age of
    // its oldest message stay those of a healthy system, not growing by one every pass (which
    // raised the queuesize and queueage alarms after a few hours of demo)
    if (d.ch.smtp.storedMessages > 0) deliver(d, d.ch.smtp, 310, 1);
    receive(d, d.ch.pickup, 310, 1);
    d.ch.smtp.failedOutboundAssociations++;
    d.app.failedOutboundAssociations++;
    d.ch.smtp.lastOutboundAssociationAttempt = d.now;
    d.ch.smtp.outboundConnectFailureReason = 'connect to 203.0.113.9[203.0.113.9]:25: Connection refused';
    d.ch.smtp.scheduledRetryAt = d.now + 300_000;
    d.ch.smtp.storedMessages = 1;
    d.ch.smtp.storedVolume = 310;
    d.ch.smtp.storedRecipients = 1;
    d.ch.smtp.oldestMessageStoredAt = d.now;
    d.ch.smtp.oldestMessageId = '<20261129170448.013438@demo.example>';
    d.model.countError(d.ch.smtp, '4.4.1', 'outbound');
  },
  (d) => disconnect(d, 'sub'),
  (d) => {
    receive(d, d.ch.smtpd, 5120, 3);
    deliver(d, d.ch.lmtp, 5120, 3);
  },
  (d) => d.model.countError(d.ch.smtp, '5.1.1', 'outbound'),
];

export class DemoSource implements Source {
  readonly name = 'demo';
  private timer?: NodeJS.Timeout;
  private step = 0;
  private demo?: Demo;

  constructor(private readonly tickMs = 1000) {}

  start(model: MailSystem): void {
    const now = Date.now();
    const app = model.addApplication(`demo MTA on ${os.hostname()}`, {
      version: 'Postfix 3.7.11 (demo traffic)',
      description: 'Built-in demo mail system replaying a sample Postfix session',
      startedAt: now,
      lastChange: now,
      operStatus: 'up',
    });
    const tcp = (port: number) => ({ transport: 'tcp' as const, port });
    const add = (name: string, description: string, port?: number) =>
      model.addChannel(app, name, { description, protocol: port ? tcp(port) : undefined, createdAt: now });
    const ch = {
      smtpd: add('smtpd', 'Inbound SMTP on port 25', 25),
      submission: add('submission/smtpd', 'Message submission on port 587', 587),
      pickup: add('pickup', 'Local submission (sendmail command)'),
      smtp: add('smtp', 'Outbound SMTP to remote hosts', 25),
      local: add('local', 'Delivery to local mailboxes'),
      lmtp: add('lmtp', 'Delivery to the message store by LMTP', 24),
    };
    this.demo = { model, app, ch, now, open: new Map() };
    this.tick();
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** Advances one step (exposed for tests). */
  tick(): void {
    const d = this.demo;
    if (!d) return;
    d.now = Date.now();
    SCRIPT[this.step % SCRIPT.length]!(d);
    this.step++;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
