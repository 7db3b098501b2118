// NETWORK-SERVICES-MIB (RFC 2788): applTable and assocTable from the model.

import type { Application, Association, MailSystem, Protocol } from '../model/mail-system.js';
import type { MibTree } from './loader.js';
import { table, timeStamp, type ModuleView } from './view.js';

/**
 * applTCPProtoID.port / applUDPProtoID.port, or 0.0 when unknown. The OIDs are made
 * once per protocol: this runs for every mtaGroupMailProtocol a walk reads.
 */
export function protocolOids(tree: MibTree): (p: Protocol | undefined) => readonly number[] {
  const base = { tcp: tree.object('applTCPProtoID').oid, udp: tree.object('applUDPProtoID').oid };
  const made = new Map<string, readonly number[]>();
  const unknown = [0, 0] as const;
  return (p) => {
    if (!p) return unknown;
    const key = `${p.transport}${p.port}`;
    let oid = made.get(key);
    if (!oid) made.set(key, (oid = [...base[p.transport], p.port]));
    return oid;
  };
}

export function networkServicesView(model: MailSystem, tree: MibTree): ModuleView {
  const protocolOid = protocolOids(tree);
  const applRows = () => model.applications.values();
  function* assocRows(): Iterable<{ app: Application; a: Association }> {
    for (const app of model.applications.values()) for (const a of app.associations.values()) yield { app, a };
  }
  return {
    module: 'NETWORK-SERVICES-MIB',
    version: () => model.structureVersion,
    tables: [
      table<Application>({
        entry: 'applEntry',
        rows: applRows,
        index: (a) => [a.index],
        columns: {
          applName: (a) => a.name,
          applDirectoryName: (a) => a.directoryName,
          applVersion: (a) => a.version,
          applUptime: (a, ctx) => timeStamp(ctx, a.startedAt),
          applOperStatus: (a) => a.operStatus,
          applLastChange: (a, ctx) => timeStamp(ctx, a.lastChange),
          applInboundAssociations: (a) => a.inboundAssociations,
          applOutboundAssociations: (a) => a.outboundAssociations,
          applAccumulatedInboundAssociations: (a) => a.accumulatedInboundAssociations,
          applAccumulatedOutboundAssociations: (a) => a.accumulatedOutboundAssociations,
          applLastInboundActivity: (a, ctx) => timeStamp(ctx, a.lastInboundActivity),
          applLastOutboundActivity: (a, ctx) => timeStamp(ctx, a.lastOutboundActivity),
          applRejectedInboundAssociations: (a) => a.rejectedInboundAssociations,
          applFailedOutboundAssociations: (a) => a.failedOutboundAssociations,
          applDescription: (a) => a.description,
          applURL: (a) => a.url,
        },
      }),
      table<{ app: Application; a: Association }>({
        entry: 'assocEntry',
        rows: assocRows,
        version: () => model.structureVersion + model.associationsVersion,
        index: (r) => [r.app.index, r.a.index],
        columns: {
          assocRemoteApplication: (r) => r.a.remoteApplication,
          assocApplicationProtocol: (r) => protocolOid(r.a.protocol),
          assocApplicationType: (r) => r.a.type,
          assocDuration: (r, ctx) => timeStamp(ctx, r.a.startedAt),
        },
      }),
    ],
  };
}
