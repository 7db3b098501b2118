// MTA-MIB (RFC 2789): mtaTable, mtaGroupTable, mtaGroupAssociationTable and
// mtaGroupErrorTable from the model.

import type { Application, Channel, ErrorCounts, MailSystem } from '../model/mail-system.js';
import type { MibTree } from './loader.js';
import { protocolOids } from './network-services.js';
import { kOctets, sinceInterval, table, untilInterval, type ModuleView } from './view.js';

/** mtaStatusCode: class.subject.detail as ((class * 1000) + subject) * 1000 + detail. */
export function statusCodeNumber(code: string): number {
  const [c, s, d] = code.split('.').map(Number);
  return ((c! * 1000 + s!) * 1000) + d!;
}

type GroupRow = { app: Application; ch: Channel };
type ErrorRow = GroupRow & { code: number; counts: ErrorCounts };
type GroupAssocRow = GroupRow & { assoc: number };

export function mtaView(model: MailSystem, tree: MibTree): ModuleView {
  const protocolOid = protocolOids(tree);
  function* mtas(): Iterable<Application> {
    for (const app of model.applications.values()) if (app.mta) yield app;
  }
  function* groups(): Iterable<GroupRow> {
    for (const app of mtas()) for (const ch of app.mta!.channels.values()) yield { app, ch };
  }
  function* errors(): Iterable<ErrorRow> {
    for (const g of groups()) for (const [code, counts] of g.ch.errors) yield { ...g, code: statusCodeNumber(code), counts };
  }
  function* groupAssocs(): Iterable<GroupAssocRow> {
    for (const app of mtas()) {
      for (const a of app.associations.values()) {
        const ch = a.channel !== undefined ? app.mta!.channels.get(a.channel) : undefined;
        if (ch) yield { app, ch, assoc: a.index };
      }
    }
  }
  return {
    module: 'MTA-MIB',
    version: () => model.structureVersion,
    tables: [
      table<Application>({
        entry: 'mtaEntry',
        rows: mtas,
        index: (a) => [a.index],
        columns: {
          mtaReceivedMessages: (a) => a.mta!.counters.receivedMessages,
          mtaStoredMessages: (a) => a.mta!.counters.storedMessages,
          mtaTransmittedMessages: (a) => a.mta!.counters.transmittedMessages,
          mtaReceivedVolume: (a) => kOctets(a.mta!.counters.receivedVolume),
          mtaStoredVolume: (a) => kOctets(a.mta!.counters.storedVolume),
          mtaTransmittedVolume: (a) => kOctets(a.mta!.counters.transmittedVolume),
          mtaReceivedRecipients: (a) => a.mta!.counters.receivedRecipients,
          mtaStoredRecipients: (a) => a.mta!.counters.storedRecipients,
          mtaTransmittedRecipients: (a) => a.mta!.counters.transmittedRecipients,
          mtaSuccessfulConvertedMessages: (a) => a.mta!.counters.successfulConvertedMessages,
          mtaFailedConvertedMessages: (a) => a.mta!.counters.failedConvertedMessages,
          mtaLoopsDetected: (a) => a.mta!.counters.loopsDetected,
        },
      }),
      table<GroupRow>({
        entry: 'mtaGroupEntry',
        rows: groups,
        index: (g) => [g.app.index, g.ch.index],
        columns: {
          mtaGroupReceivedMessages: (g) => g.ch.receivedMessages,
          mtaGroupRejectedMessages: (g) => g.ch.rejectedMessages,
          mtaGroupStoredMessages: (g) => g.ch.storedMessages,
          mtaGroupTransmittedMessages: (g) => g.ch.transmittedMessages,
          mtaGroupReceivedVolume: (g) => kOctets(g.ch.receivedVolume),
          mtaGroupStoredVolume: (g) => kOctets(g.ch.storedVolume),
          mtaGroupTransmittedVolume: (g) => kOctets(g.ch.transmittedVolume),
          mtaGroupReceivedRecipients: (g) => g.ch.receivedRecipients,
          mtaGroupStoredRecipients: (g) => g.ch.storedRecipients,
          mtaGroupTransmittedRecipients: (g) => g.ch.transmittedRecipients,
          mtaGroupOldestMessageStored: (g, ctx) => sinceInterval(ctx, g.ch.oldestMessageStoredAt),
          mtaGroupInboundAssociations: (g) => g.ch.inboundAssociations,
          mtaGroupOutboundAssociations: (g) => g.ch.outboundAssociations,
          mtaGroupAccumulatedInboundAssociations: (g) => g.ch.accumulatedInboundAssociations,
          mtaGroupAccumulatedOutboundAssociations: (g) => g.ch.accumulatedOutboundAssociations,
          mtaGroupLastInboundActivity: (g, ctx) => sinceInterval(ctx, g.ch.lastInboundActivity),
          mtaGroupLastOutboundActivity: (g, ctx) => sinceInterval(ctx, g.ch.lastOutboundActivity),
          mtaGroupLastOutboundAssociationAttempt: (g, ctx) => sinceInterval(ctx, g.ch.lastOutboundAssociationAttempt),
          mtaGroupRejectedInboundAssociations: (g) => g.ch.rejectedInboundAssociations,
          mtaGroupFailedOutboundAssociations: (g) => g.ch.failedOutboundAssociations,
          mtaGroupInboundRejectionReason: (g) => g.ch.inboundRejectionReason,
          mtaGroupOutboundConnectFailureReason: (g) => g.ch.outboundConnectFailureReason,
          mtaGroupScheduledRetry: (g, ctx) => untilInterval(ctx, g.ch.scheduledRetryAt),
          mtaGroupMailProtocol: (g) => protocolOid(g.ch.protocol),
          mtaGroupName: (g) => g.ch.name,
          mtaGroupSuccessfulConvertedMessages: (g) => g.ch.successfulConvertedMessages,
          mtaGroupFailedConvertedMessages: (g) => g.ch.failedConvertedMessages,
          mtaGroupDescription: (g) => g.ch.description,
          mtaGroupURL: (g) => g.ch.url,
          mtaGroupCreationTime: (g, ctx) => sinceInterval(ctx, g.ch.createdAt),
          mtaGroupHierarchy: (g) => g.ch.hierarchy,
          mtaGroupOldestMessageId: (g) => g.ch.oldestMessageId,
          mtaGroupLoopsDetected: (g) => g.ch.loopsDetected,
        },
      }),
      table<GroupAssocRow>({
        entry: 'mtaGroupAssociationEntry',
        rows: groupAssocs,
        version: () => model.structureVersion + model.associationsVersion,
        index: (r) => [r.app.index, r.ch.index, r.assoc],
        columns: { mtaGroupAssociationIndex: (r) => r.assoc },
      }),
      table<ErrorRow>({
        entry: 'mtaGroupErrorEntry',
        rows: errors,
        version: () => model.structureVersion + model.errorsVersion,
        index: (r) => [r.app.index, r.ch.index, r.code],
        columns: {
          mtaGroupInboundErrorCount: (r) => r.counts.inbound,
          mtaGroupInternalErrorCount: (r) => r.counts.internal,
          mtaGroupOutboundErrorCount: (r) => r.counts.outbound,
        },
      }),
    ],
  };
}
