// The mail system as plain data: applications (an MTA, later IMAP/POP/... services),
// the MTA's channels with their counters, open associations and error counts.
// Sources write here; the MIB views read. Nothing in the model knows SNMP.
// Times are milliseconds since the epoch; volumes are octets; counters grow
// without bound (the views wrap them for the wire).

import { AlarmStore } from './alarms.js';
import type { ServiceCheck } from './checks.js';
import type { DiskUsage } from './disks.js';
import { addTraffic, closed, opened, takeStored, zeroActivity, zeroCounters, type Activity, type Counters, type Traffic, type TrafficDirection } from './counters.js';
import { RowVersion, Rows } from './rows.js';
import type { QuotaUsage, ServiceStats } from './services.js';

export { zeroCounters } from './counters.js';
export type { Activity, Counters, Traffic, TrafficDirection } from './counters.js';

export type OperStatus = 'up' | 'down' | 'halted' | 'congested' | 'restarting' | 'quiescing';
export type AssociationType = 'uainitiator' | 'uaresponder' | 'peerinitiator' | 'peerresponder';

/** An application protocol named by transport and well-known port (SMTP = tcp 25). */
export interface Protocol {
  transport: 'tcp' | 'udp';
  port: number;
}

export interface Association {
  index: number;
  /** The peer, usually its address. */
  remoteApplication: string;
  protocol?: Protocol;
  type: AssociationType;
  startedAt: number;
  /** Channel the association belongs to, when known. */
  channel?: number;
}

/** Counts of one enhanced status code (RFC 3463) in one channel. */
export interface ErrorCounts {
  inbound: number;
  internal: number;
  outbound: number;
}

export type ErrorDirection = keyof ErrorCounts;

/** One message of a queue reading (MailSystem.storeQueue). */
export interface StoredMessage {
  /** octets */
  size: number;
  /** recipients not yet delivered */
  recipients: number;
  /** when it arrived (ms) */
  arrival: number;
  /** its id as mtaGroupOldestMessageId shows it (asked only of a group's oldest) */
  id: () => string;
  /** the group it waits on (the one that last tried it), if known */
  group?: Channel;
  /** its group's next attempt for it (ms), if known */
  retryAt?: number;
}

export interface Channel extends Counters, Activity {
  index: number;
  name: string;
  description: string;
  url: string;
  protocol?: Protocol;
  /** >0: index of an enclosing channel; <0: collection code; 0: none (MTA-MIB mtaGroupHierarchy). */
  hierarchy: number;
  createdAt: number;
  /** messages refused (mtaGroupRejectedMessages) */
  rejectedMessages: number;
  oldestMessageStoredAt?: number;
  oldestMessageId: string;
  lastOutboundAssociationAttempt?: number;
  inboundRejectionReason: string;
  outboundConnectFailureReason: string;
  scheduledRetryAt?: number;
  /** keyed by "class.subject.detail"; "4.0.0" and "5.0.0" are the any-temporary/any-permanent totals */
  errors: Rows<string, ErrorCounts>;
}

export interface Mta {
  counters: Counters;
  channels: Rows<number, Channel>;
}

export interface Application extends Activity {
  index: number;
  name: string;
  directoryName: string;
  version: string;
  description: string;
  url: string;
  /** When the application was last (re)started, if known. */
  startedAt?: number;
  operStatus: OperStatus;
  lastChange?: number;
  associations: Rows<number, Association>;
  mta?: Mta;
}

/** One input of a data source (a log, a queue): can it be read, and how much was understood. */
export interface SourceInput {
  index: number;
  /** e.g. "postfix log", "postfix queue" */
  name: string;
  /** what is read: a path, "journal ...", a command */
  input: string;
  ok: boolean;
  /** why it cannot be read ('' while ok) */
  reason: string;
  lastChange?: number;
  lines: number;
  unparsed: number;
  lastCheckpoint?: number;
}

/** Gives each named thing a stable index (persisted by whoever implements it). */
export interface IndexAllocator {
  /** The index of `name`; `preferred` is used for a name not yet known when still free (a checkpoint's). */
  indexFor(scope: string, name: string, preferred?: number): number;
}

/** In-memory allocator: 1, 2, 3 ... per scope. */
export class CountingAllocator implements IndexAllocator {
  private maps = new Map<string, { names: Map<string, number>; used: Set<number>; max: number }>();
  indexFor(scope: string, name: string, preferred?: number): number {
    let m = this.maps.get(scope);
    if (!m) this.maps.set(scope, (m = { names: new Map(), used: new Set(), max: 0 }));
    let i = m.names.get(name);
    if (i === undefined) {
      i = preferred !== undefined && !m.used.has(preferred) ? preferred : m.max + 1;
      m.names.set(name, i);
      m.used.add(i);
      if (i > m.max) m.max = i;
    }
    return i;
  }
}

const STATUS_CODE = /^([45])\.(\d{1,3})\.(\d{1,3})$/;
/** at most this many rows (codes and class totals) in a channel's error table */
export const MAX_ERROR_ROWS = 256;

export class MailSystem {
  /**
   * One version per kind of row, moved by the row collections themselves when a row appears
   * or vanishes (rows.ts), so views re-sort only then and a connection opening does not
   * re-sort the group table. structure: applications and channels (and with them every
   * dependent row); associations: every application's; errors: every channel's.
   */
  private readonly structure = new RowVersion();
  private readonly associationRows = new RowVersion();
  private readonly errorRows = new RowVersion();
  readonly applications = new Rows<number, Application>(this.structure);
  /** The inputs sources read, for MADMAN-MIB's madmanSourceTable. */
  readonly inputs = new Rows<number, SourceInput>();
  /** Probed services (model/checks.ts), by index; touch() when a check's phases change. */
  readonly checks = new Rows<number, ServiceCheck>();
  /** IMAP/POP/... service statistics (model/services.ts), by index. */
  readonly services = new Rows<number, ServiceStats>();
  /** Mailbox quotas (model/services.ts), by index. */
  readonly quotas = new Rows<number, QuotaUsage>();
  /** Watched disk partitions (model/disks.ts), by index; touch() when one is first read (it is shown from then on). */
  readonly disks = new Rows<number, DiskUsage>();
  /** Alarm instances (model/alarms.ts); the store has its own version. */
  readonly alarms = new AlarmStore();
  private nextAssoc = new Map<number, number>();

  constructor(private readonly indexes: IndexAllocator = new CountingAllocator()) {}

  get structureVersion(): number {
    return this.structure.value;
  }
  get associationsVersion(): number {
    return this.associationRows.value;
  }
  get errorsVersion(): number {
    return this.errorRows.value;
  }
  get inputsVersion(): number {
    return this.inputs.version.value;
  }
  get checksVersion(): number {
    return this.checks.version.value;
  }
  get servicesVersion(): number {
    return this.services.version.value;
  }
  get quotasVersion(): number {
    return this.quotas.version.value;
  }
  get disksVersion(): number {
    return this.disks.version.value;
  }

  /** Any row may have appeared or vanished (used after bulk changes such as a restore). */
  changed(): void {
    for (const v of [this.structure, this.associationRows, this.errorRows]) v.value++;
    for (const r of [this.inputs, this.checks, this.services, this.quotas, this.disks]) r.touch();
  }

  addApplication(
    name: string,
    init: Partial<Omit<Application, 'index' | 'name' | 'associations'>> = {},
    preferredIndex?: number,
  ): Application {
    const index = this.indexes.indexFor('application', name, preferredIndex);
    const existing = this.applications.get(index);
    if (existing) return existing;
    const app: Application = {
      index,
      name,
      directoryName: '',
      version: '',
      description: '',
      url: '',
      operStatus: 'up',
      ...zeroActivity(),
      ...init,
      associations: new Rows(this.associationRows),
    };
    this.applications.set(index, app);
    return app;
  }

  /** Registers (or finds) a source's input. */
  addInput(name: string, input: string): SourceInput {
    const index = this.indexes.indexFor('source', name);
    let i = this.inputs.get(index);
    if (!i) {
      i = { index, name, input, ok: true, reason: '', lines: 0, unparsed: 0 };
      this.inputs.set(index, i);
    }
    i.input = input;
    return i;
  }

  /** Records whether an input can be read; `at` is when that changed. */
  inputStatus(i: SourceInput, ok: boolean, reason = '', at = Date.now()): void {
    if (i.ok !== ok) i.lastChange = at;
    i.ok = ok;
    i.reason = ok ? '' : reason;
  }

  /** Makes `app` an MTA (gives it an mtaTable row). */
  mtaOf(app: Application): Mta {
    if (!app.mta) {
      app.mta = { counters: zeroCounters(), channels: new Rows(this.structure) };
      this.structure.value++; // an mtaTable row
    }
    return app.mta;
  }

  addChannel(
    app: Application,
    name: string,
    init: Partial<Omit<Channel, 'index' | 'name' | 'errors'>> = {},
    preferredIndex?: number,
  ): Channel {
    const mta = this.mtaOf(app);
    const index = this.indexes.indexFor(`channel:${app.name}`, name, preferredIndex);
    const existing = mta.channels.get(index);
    if (existing) return existing;
    const ch: Channel = {
      index,
      name,
      description: '',
      url: '',
      hierarchy: 0,
      createdAt: Date.now(),
      rejectedMessages: 0,
      oldestMessageId: '',
      inboundRejectionReason: '',
      outboundConnectFailureReason: '',
      ...zeroCounters(),
      ...zeroActivity(),
      ...init,
      errors: new Rows(this.errorRows),
    };
    mta.channels.set(index, ch);
    return ch;
  }

  /** An empty error table of a channel (restoring one: fill it with set()). */
  errorTable(): Rows<string, ErrorCounts> {
    return new Rows(this.errorRows);
  }

  removeChannel(app: Application, index: number): void {
    app.mta?.channels.delete(index);
  }

  /**
   * Counts a message's traffic (or a recipient's: `{ recipients: 1 }`) on group `ch` of
   * `app`'s MTA and on the MTA's totals together, so that the totals are the sum of what
   * crossed the MTA's boundary. For traffic that stays inside the MTA (a content filter's
   * re-injection, a forward) and so counts on the group only: countGroupTraffic.
   */
  countTraffic(app: Application, ch: Channel, direction: TrafficDirection, t: Traffic): void {
    addTraffic(ch, direction, t);
    addTraffic(this.mtaOf(app).counters, direction, t);
  }

  /** Counts traffic on group `ch` alone (it does not cross the MTA's boundary: see countTraffic). */
  countGroupTraffic(ch: Channel, direction: TrafficDirection, t: Traffic): void {
    addTraffic(ch, direction, t);
  }

  /**
   * Counts `n` of an outcome that MTA-MIB keeps per group and per MTA (loops detected,
   * messages converted or failing conversion) on group `ch` and `app`'s MTA together.
   */
  countOutcome(app: Application, ch: Channel, what: 'loopsDetected' | 'successfulConvertedMessages' | 'failedConvertedMessages', n = 1): void {
    ch[what] += n;
    this.mtaOf(app).counters[what] += n;
  }

  /**
   * Replaces the stored gauges of `app`'s MTA by a queue reading (gauges: each reading
   * replaces the last): the totals of every message (`count` when the reading counted more
   * than it listed), per group those `group` attributes to it with its oldest; with
   * `retries`, each group's mtaGroupScheduledRetry becomes its messages' earliest `retryAt`.
   */
  storeQueue(app: Application, messages: Iterable<StoredMessage>, opts: { count?: number; retries?: boolean } = {}): void {
    const mta = this.mtaOf(app);
    const c = mta.counters;
    let n = 0;
    c.storedVolume = c.storedRecipients = 0;
    for (const ch of mta.channels.values()) {
      ch.storedMessages = ch.storedVolume = ch.storedRecipients = 0;
      ch.oldestMessageStoredAt = undefined;
      ch.oldestMessageId = '';
      if (opts.retries) ch.scheduledRetryAt = undefined;
    }
    for (const m of messages) {
      n++;
      c.storedVolume += m.size;
      c.storedRecipients += m.recipients;
      const ch = m.group;
      if (!ch) continue;
      ch.storedMessages++;
      ch.storedVolume += m.size;
      ch.storedRecipients += m.recipients;
      if (ch.oldestMessageStoredAt === undefined || m.arrival < ch.oldestMessageStoredAt) {
        ch.oldestMessageStoredAt = m.arrival;
        ch.oldestMessageId = m.id();
      }
      if (opts.retries && m.retryAt !== undefined && (ch.scheduledRetryAt === undefined || m.retryAt < ch.scheduledRetryAt)) ch.scheduledRetryAt = m.retryAt;
    }
    c.storedMessages = opts.count ?? n;
  }

  /** Takes a message (or recipient) out of the stored gauges of `ch` and of the MTA's totals, none below zero. */
  unstore(app: Application, ch: Channel, t: Traffic): void {
    takeStored(ch, t);
    takeStored(this.mtaOf(app).counters, t);
  }

  /**
   * Counts one error under its code and under its class total (4.0.0 or 5.0.0). The codes
   * come from remote servers: once a channel has MAX_ERROR_ROWS rows, a new code counts in
   * its class total only, so the table cannot grow without limit.
   */
  countError(ch: Channel, code: string, direction: ErrorDirection, n = 1): void {
    const m = STATUS_CODE.exec(code);
    if (!m) throw new Error(`"${code}" is not an enhanced status code`);
    const keys = [`${m[1]}.0.0`];
    const exact = `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
    if (exact !== keys[0] && (ch.errors.has(exact) || ch.errors.size < MAX_ERROR_ROWS)) keys.push(exact);
    for (const k of keys) {
      let c = ch.errors.get(k);
      if (!c) ch.errors.set(k, (c = { inbound: 0, internal: 0, outbound: 0 }));
      c[direction] += n;
    }
  }

  openAssociation(app: Application, a: Omit<Association, 'index'>): Association {
    let next = this.nextAssoc.get(app.index) ?? 1;
    while (app.associations.has(next)) next = next >= 2147483647 ? 1 : next + 1;
    this.nextAssoc.set(app.index, next >= 2147483647 ? 1 : next + 1);
    // Built field by field: this runs once per connection on the ingest path.
    const assoc: Association = {
      index: next,
      remoteApplication: a.remoteApplication,
      protocol: a.protocol,
      type: a.type,
      startedAt: a.startedAt,
      channel: a.channel,
    };
    app.associations.set(next, assoc);
    const inbound = a.type === 'uaresponder' || a.type === 'peerresponder';
    opened(app, inbound, a.startedAt);
    const ch = a.channel !== undefined ? app.mta?.channels.get(a.channel) : undefined;
    if (ch) opened(ch, inbound, a.startedAt);
    return assoc;
  }

  closeAssociation(app: Application, index: number, at = Date.now()): void {
    const a = app.associations.get(index);
    if (!a) return;
    app.associations.delete(index);
    const inbound = a.type === 'uaresponder' || a.type === 'peerresponder';
    closed(app, inbound, at);
    const ch = a.channel !== undefined ? app.mta?.channels.get(a.channel) : undefined;
    if (ch) closed(ch, inbound, at);
  }
}
