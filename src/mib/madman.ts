// MADMAN-MIB, our enterprise module: for now the agent's own figures.

import type { MailSystem, SourceInput } from '../model/mail-system.js';
import type { SnmpStats } from '../snmp/stats.js';
import { dateAndTime, table, timeStamp, type ModuleView, type ViewContext } from './view.js';

export interface AgentInfo {
  version: string;
  /** objects currently served */
  instances: () => number;
  /** when the rows last changed (ms since epoch), if ever */
  lastRebuild: () => number | undefined;
}

export function madmanView(model: MailSystem, stats: SnmpStats, info: AgentInfo): ModuleView {
  return {
    module: 'MADMAN-MIB',
    version: () => model.inputsVersion,
    scalars: {
      madmanAgentVersion: () => info.version,
      madmanAgentStartTime: (ctx: ViewContext) => dateAndTime(ctx.startedAt),
      madmanAgentEncodeErrors: () => stats.encodeErrors,
      madmanAgentDroppedRequests: () => stats.droppedRequests,
      madmanAgentIndexedObjects: () => info.instances(),
      madmanAgentSnapshotTime: (ctx: ViewContext) => timeStamp(ctx, info.lastRebuild()),
    },
    tables: [
      table<SourceInput>({
        entry: 'madmanSourceEntry',
        rows: () => model.inputs.values(),
        index: (i) => [i.index],
        columns: {
          madmanSourceName: (i) => i.name,
          madmanSourceInput: (i) => i.input,
          madmanSourceStatus: (i) => (i.ok ? 'ok' : 'failing'),
          madmanSourceStatusText: (i) => i.reason,
          madmanSourceLastChange: (i, ctx) => timeStamp(ctx, i.lastChange),
          madmanSourceLines: (i) => i.lines,
          madmanSourceUnparsedLines: (i) => i.unparsed,
          madmanSourceLastCheckpoint: (i, ctx) => timeStamp(ctx, i.lastCheckpoint),
        },
      }),
    ],
  };
}
