// MADMAN-MIB, our enterprise module: for now the agent's own figures.

import type { SnmpStats } from '../snmp/udp-agent.js';
import { dateAndTime, timeStamp, type ModuleView, type ViewContext } from './view.js';

export interface AgentInfo {
  version: string;
  /** objects currently served */
  instances: () => number;
  /** when the rows last changed (ms since epoch), if ever */
  lastRebuild: () => number | undefined;
}

export function madmanView(stats: SnmpStats, info: AgentInfo): ModuleView {
  return {
    module: 'MADMAN-MIB',
    version: () => 0,
    scalars: {
      madmanAgentVersion: () => info.version,
      madmanAgentStartTime: (ctx: ViewContext) => dateAndTime(ctx.startedAt),
      madmanAgentEncodeErrors: () => stats.encodeErrors,
      madmanAgentDroppedRequests: () => stats.droppedRequests,
      madmanAgentIndexedObjects: () => info.instances(),
      madmanAgentSnapshotTime: (ctx: ViewContext) => timeStamp(ctx, info.lastRebuild()),
    },
  };
}
