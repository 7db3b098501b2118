// The mail system as plain data: applications (an MTA, later IMAP/POP/... services),
// the MTA's channels with their counters, open associations and error counts.
// Sources write here; the MIB views read. Nothing in the model knows SNMP.
// Times are milliseconds since the epoch; volumes are octets; counters grow
// without bound (the views wrap them for the wire).

import { AlarmStore } from './alarms.js';
import type { ServiceCheck } from './checks.js';
import type { DiskUsage } from './disks.js';
import type { QuotaUsage, ServiceStats } from './services.js';

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

export interface Counters {
  receivedMessages: number;
  storedMessages: number;
  transmittedMessages: number;
  receivedVolume: number;
  storedVolume: number;
  transmittedVolume: number;
  receivedRecipients: number;
  storedRecipients: number;
  transmittedRecipients: number;
  successfulConvertedMessages: number;
  failedConvertedMessages: number;
  loopsDetected: number;
}

export function zeroCounters(): Counters {
  return {
    receivedMessages: 0,
    storedMessages: 0,
    transmittedMessages: 0,
    receivedVolume: 0,
    storedVolume: 0,
    transmittedVolume: 0,
    receivedRecipients: 0,
    storedRecipients: 0,
    transmittedRecipients: 0,
    successfulConvertedMessages: 0,
    failedConvertedMessages: 0,
    loopsDetected: 0,
  };
}

/** Association activity, shared by applications and channels. */
export interface Activity {
  inboundAssociations: number;
  outboundAssociations: number;
  accumulatedInboundAssociations: number;
  accumulatedOutboundAssociations: number;
  lastInboundActivity?: number;
  lastOutboundActivity?: number;
  rejectedInboundAssociations: number;
  failedOutboundAssociations: number;
}

function zeroActivity(): Activity {
  return {
    inboundAssociations: 0,
    outboundAssociations: 0,
    accumulatedInboundAssociations: 0,
    accumulatedOutboundAssociations: 0,
    rejectedInboundAssociations: 0,
    failedOutboundAssociations: 0,
  };
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
  errors: Map<string, ErrorCounts>;
}

export interface Mta {
  counters: Counters;
  channels: Map<number, Channel>;
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
  associations: Map<number, Association>;
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
  readonly applications = new Map<number, Application>();
  /** The inputs sources read, for MADMAN-MIB's madmanSourceTable. */
  readonly inputs = new Map<number, SourceInput>();
  /** Probed services (model/checks.ts), by index. */
  readonly checks = new Map<number, ServiceCheck>();
  /** IMAP/POP/... service statistics (model/services.ts), by index. */
  readonly services = new Map<number, ServiceStats>();
  /** Mailbox quotas (model/services.ts), by index. */
  readonly quotas = new Map<number, QuotaUsage>();
  /** Watched disk partitions (model/disks.ts), by index. */
  readonly disks = new Map<number, DiskUsage>();
  /** Alarm instances (model/alarms.ts); the store has its own version. */
  readonly alarms = new AlarmStore();
  /**
   * Bumped when a row appears or vanishes, so views re-sort only then; one counter per
   * kind of row, so that a connection opening does not re-sort the group table.
   * structureVersion: applications and channels (and with them every dependent row).
   */
  structureVersion = 0;
  associationsVersion = 0;
  errorsVersion = 0;
  inputsVersion = 0;
  checksVersion = 0;
  servicesVersion = 0;
  quotasVersion = 0;
  disksVersion = 0;
  private nextAssoc = new Map<number, number>();

  constructor(private readonly indexes: IndexAllocator = new CountingAllocator()) {}

  /** Any row may have appeared or vanished (used after bulk changes such as a restore). */
  changed(): void {
    this.structureVersion++;
    this.associationsVersion++;
    this.errorsVersion++;
    this.inputsVersion++;
    this.checksVersion++;
    this.servicesVersion++;
    this.quotasVersion++;
    this.disksVersion++;
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
      associations: new Map(),
    };
    this.applications.set(index, app);
    this.changed();
    return app;
  }

  /**
   * Removes an application's row (a probed service no longer configured). Its index stays
   * its name's: if the name comes back, so does the index, and no other row takes it.
   */
  removeApplication(index: number): void {
    if (this.applications.delete(index)) this.changed();
  }

  /** Registers (or finds) a source's input. */
  addInput(name: string, input: string): SourceInput {
    const index = this.indexes.indexFor('source', name);
    let i = this.inputs.get(index);
    if (!i) {
      i = { index, name, input, ok: true, reason: '', lines: 0, unparsed: 0 };
      this.inputs.set(index, i);
      this.inputsVersion++;
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
      app.mta = { counters: zeroCounters(), channels: new Map() };
      this.changed();
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
      errors: new Map(),
    };
    mta.channels.set(index, ch);
    this.changed();
    return ch;
  }

  removeChannel(app: Application, index: number): void {
    if (app.mta?.channels.delete(index)) this.changed();
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
      if (!c) {
        ch.errors.set(k, (c = { inbound: 0, internal: 0, outbound: 0 }));
        this.errorsVersion++;
      }
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
    this.associationsVersion++;
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
    this.associationsVersion++;
  }
}

function opened(act: Activity, inbound: boolean, at: number): void {
  if (inbound) {
    act.inboundAssociations++;
    act.accumulatedInboundAssociations++;
    act.lastInboundActivity = at;
  } else {
    act.outboundAssociations++;
    act.accumulatedOutboundAssociations++;
    act.lastOutboundActivity = at;
  }
}

function closed(act: Activity, inbound: boolean, at: number): void {
  if (inbound) {
    act.inboundAssociations = Math.max(0, act.inboundAssociations - 1);
    act.lastInboundActivity = at;
  } else {
    act.outboundAssociations = Math.max(0, act.outboundAssociations - 1);
    act.lastOutboundActivity = at;
  }
}
