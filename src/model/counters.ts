// The counters the model keeps per MTA and per group (MTA-MIB's mtaTable and mtaGroupTable),
// association activity, and how traffic and associations move them. MailSystem
// (mail-system.ts) applies these, so that a group and its MTA's totals move together.

/** MTA-MIB's traffic counters, of an MTA (mtaTable) or of a group (mtaGroupTable). */
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

/** Counters with every value zero. */
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

/** Activity with every count zero. */
export function zeroActivity(): Activity {
  return {
    inboundAssociations: 0,
    outboundAssociations: 0,
    accumulatedInboundAssociations: 0,
    accumulatedOutboundAssociations: 0,
    rejectedInboundAssociations: 0,
    failedOutboundAssociations: 0,
  };
}

/** Which counters of Counters a message's traffic moves. */
export type TrafficDirection = 'received' | 'stored' | 'transmitted';

/** Traffic of one message (or one recipient of it): what it adds to the counters of a direction. */
export interface Traffic {
  messages?: number;
  /** octets */
  volume?: number;
  recipients?: number;
}

/** Adds traffic to the counters of one direction. */
export function addTraffic(c: Counters, d: TrafficDirection, t: Traffic): void {
  const m = t.messages ?? 0;
  const v = t.volume ?? 0;
  const r = t.recipients ?? 0;
  // field by field (no computed keys): this runs for every message on the ingest path
  if (d === 'received') {
    c.receivedMessages += m;
    c.receivedVolume += v;
    c.receivedRecipients += r;
  } else if (d === 'transmitted') {
    c.transmittedMessages += m;
    c.transmittedVolume += v;
    c.transmittedRecipients += r;
  } else {
    c.storedMessages += m;
    c.storedVolume += v;
    c.storedRecipients += r;
  }
}

/** Takes traffic out of the stored gauges, none below zero. */
export function takeStored(c: Counters, t: Traffic): void {
  c.storedMessages = Math.max(0, c.storedMessages - (t.messages ?? 0));
  c.storedVolume = Math.max(0, c.storedVolume - (t.volume ?? 0));
  c.storedRecipients = Math.max(0, c.storedRecipients - (t.recipients ?? 0));
}

/** An association opened: the open and accumulated counts and the last activity. */
export function opened(act: Activity, inbound: boolean, at: number): void {
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

/** An association closed: the open count and the last activity. */
export function closed(act: Activity, inbound: boolean, at: number): void {
  if (inbound) {
    act.inboundAssociations = Math.max(0, act.inboundAssociations - 1);
    act.lastInboundActivity = at;
  } else {
    act.outboundAssociations = Math.max(0, act.outboundAssociations - 1);
    act.lastOutboundActivity = at;
  }
}
