// The Sendmail MTA's rows in the model: its application and its three breakdowns of
// mtaGroupTable (RFC 2789: groups sharing a negative mtaGroupHierarchy partition the MTA),
// with the codes Net-SNMP's mta_sendmail uses for the first two:
//   -1  one group per mailer, in sendmail's mailer order (prog, *file*, *include*, then the
//       .cf's M lines), each at index mailer number + 1 when that index is free: the rows
//       mta_sendmail serves, at the same OIDs;
//   -2  one group per queue group (`mqueue` first), after the mailers, as mta_sendmail;
//   -3  one group per way in: each daemon (DaemonPortOptions Name=, `daemon=` in the log),
//       `cmdline` (submitted on the command line) and `DSN` (notifications sendmail makes).
// Which columns the statistics file owns and which the log: see docs/sendmail.md.

import { addTo, channelCountersOf, type ChannelCounters, type CounterKind } from '../../model/channel-counters.js';
import type { Application, Channel, MailSystem, Protocol } from '../../model/mail-system.js';
import { mailerPort, type DaemonSpec, type SendmailCf } from './cf.js';
import { kbytes, MODEL_OCTETS_PER_KBYTE } from './statistics.js';

export const MAILER_HIERARCHY = -1;
export const QUEUE_HIERARCHY = -2;
export const INBOUND_HIERARCHY = -3;
/** the inbound group of messages submitted on the command line (no daemon=) */
export const CMDLINE_GROUP = 'cmdline';
/** the inbound group of the notifications (DSNs) sendmail makes itself */
export const DSN_GROUP = 'DSN';
/** groups one MTA may have: mailers (25) + queue groups (50) + daemons; more are refused */
export const MAX_GROUPS = 256;

const tcp = (port: number): Protocol => ({ transport: 'tcp', port });

/** Where each kind of group comes from, for the rows' descriptions and protocols. */
export class SendmailRows {
  readonly app: Application;
  private readonly daemons = new Map<string, DaemonSpec>();
  private readonly byName = new Map<string, Channel>();
  private cf?: SendmailCf;

  constructor(
    readonly model: MailSystem,
    appName: string,
    /** the statistics file owns the mailer rows' message and volume columns and the MTA totals */
    public statisticsOwned: boolean,
  ) {
    this.app = model.addApplication(appName, { description: 'Sendmail mail transfer agent', operStatus: 'up' });
    model.mtaOf(this.app);
  }

  /** The .cf read (again): every mailer and queue group gets its row now, the daemons when first seen. */
  declare(cf: SendmailCf, at: number): void {
    this.cf = cf;
    this.daemons.clear();
    for (const d of cf.daemons) this.daemons.set(d.name, d);
    if (cf.version && !this.app.version) this.app.version = `Sendmail ${cf.version}`;
    cf.mailers.forEach((name, i) => this.mailer(name, at, i + 1));
    cf.queueGroups.forEach((g, i) => this.queueGroup(g.name, g.path, at, cf.mailers.length + i + 1));
    for (const d of cf.daemons) this.inbound(d.name, at);
  }

  get mta() {
    return this.app.mta!;
  }

  /** An existing group by name (restored from a checkpoint or made since). */
  group(name: string): Channel | undefined {
    const cached = this.byName.get(name);
    if (cached && this.mta.channels.get(cached.index) === cached) return cached;
    const ch = [...this.mta.channels.values()].find((c) => c.name === name);
    if (ch) this.byName.set(name, ch);
    return ch;
  }

  private make(name: string, at: number, init: Partial<Channel>, preferred?: number): Channel | undefined {
    let ch = this.group(name);
    if (!ch) {
      if (this.mta.channels.size >= MAX_GROUPS) return undefined;
      ch = this.model.addChannel(this.app, name, { createdAt: at, ...init }, preferred);
    }
    this.byName.set(name, ch);
    return ch;
  }

  /**
   * A mailer's group (made on first use when no .cf was read). Undefined for a name the .cf
   * does not define (a forged line: sendmail logs only its own mailers) and past MAX_GROUPS.
   */
  mailer(name: string, at: number, preferred?: number): Channel | undefined {
    if (this.cf && !this.cf.mailers.includes(name) && !this.byName.has(name)) return undefined;
    const spec = this.cf?.mailerSpecs.get(name);
    const port = mailerPort(spec);
    const what = spec?.path && !/^\[/.test(spec.path) ? `, ${spec.path}` : port !== undefined ? `, SMTP${port !== 25 ? ` port ${port}` : ''}` : '';
    return this.make(name, at, { hierarchy: MAILER_HIERARCHY, description: `Sendmail mailer ${name}${what}`, protocol: port !== undefined ? tcp(port) : undefined }, preferred);
  }

  queueGroup(name: string, path: string, at: number, preferred?: number): Channel | undefined {
    return this.make(name, at, { hierarchy: QUEUE_HIERARCHY, description: `Sendmail queue group ${name} (${path})` }, preferred);
  }

  /** The group of a way in: a daemon's Name=, CMDLINE_GROUP or DSN_GROUP. */
  inbound(name: string, at: number): Channel | undefined {
    if (name === CMDLINE_GROUP) return this.make(name, at, { hierarchy: INBOUND_HIERARCHY, description: 'Messages submitted on the command line (sendmail -bm, -bs, -t)' });
    if (name === DSN_GROUP) return this.make(name, at, { hierarchy: INBOUND_HIERARCHY, description: 'Delivery status notifications Sendmail generated' });
    const d = this.daemons.get(name);
    const port = d?.port ?? 25;
    const msa = /a/.test(d?.modifiers ?? '') || port === 587 ? ', message submission' : '';
    return this.make(name, at, { hierarchy: INBOUND_HIERARCHY, description: `Sendmail daemon ${name} (SMTP port ${port}${msa})`, protocol: tcp(port) });
  }

  /** The daemon unattributed events go to: the .cf's first, else MTA. */
  defaultDaemon(): string {
    return this.cf?.daemons[0]?.name ?? 'MTA';
  }

  /** imsimta counters of a group. */
  counters(ch: Channel, at: number): ChannelCounters {
    return channelCountersOf(this.model).of(this.app.index, ch.index, ch.name, at);
  }

  /** Adds to one imsimta counter of `ch` (blocks: sendmail's kilobytes, each message rounded up). */
  count(ch: Channel, kind: CounterKind, at: number, messages: number, recipients: number, octets: number | undefined): void {
    addTo(this.counters(ch, at), kind, messages, recipients, octets === undefined ? 0 : kbytes(octets) * messages);
  }

  /** A message received through the inbound group `ch` (`octets`: its size= ). */
  received(ch: Channel, recipients: number, size: number | undefined, at: number): void {
    // volumes in sendmail's own unit, as the statistics file counts them (statistics.ts)
    const octets = size === undefined ? undefined : kbytes(size) * MODEL_OCTETS_PER_KBYTE;
    ch.receivedMessages++;
    ch.receivedRecipients += recipients;
    if (octets !== undefined) ch.receivedVolume += octets;
    const t = this.mta.counters;
    t.receivedRecipients += recipients;
    if (!this.statisticsOwned) {
      t.receivedMessages++;
      if (octets !== undefined) t.receivedVolume += octets;
    }
    ch.lastInboundActivity = at;
    this.count(ch, 'received', at, 1, recipients, size);
  }

  /** One delivery (one mailer call) of `recipients` that succeeded on the mailer group `ch`. */
  transmitted(ch: Channel, recipients: number, size: number | undefined): void {
    const octets = size === undefined ? undefined : kbytes(size) * MODEL_OCTETS_PER_KBYTE;
    ch.transmittedRecipients += recipients;
    this.mta.counters.transmittedRecipients += recipients;
    if (this.statisticsOwned) return;
    ch.transmittedMessages++;
    this.mta.counters.transmittedMessages++;
    if (octets !== undefined) {
      ch.transmittedVolume += octets;
      this.mta.counters.transmittedVolume += octets;
    }
  }

  /** A transaction refused (sendmail's msgsrej: one per MAIL transaction with a refusal). */
  rejectedMessage(ch: Channel): void {
    ch.rejectedMessages++;
  }

  loop(ch: Channel): void {
    ch.loopsDetected++;
    this.mta.counters.loopsDetected++;
  }
}
