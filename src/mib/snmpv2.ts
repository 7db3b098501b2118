// SNMPv2-MIB (RFC 3418) as a standalone agent serves it: the system group,
// sysORTable listing our modules, and the snmp group counters.

import os from 'node:os';
import type { SnmpStats } from '../snmp/stats.js';
import type { MibTree } from './loader.js';
import { sysUpTime, table, type ModuleView } from './view.js';

export interface SystemInfo {
  descr: string;
  contact: string;
  name?: string;
  location: string;
}

/** Modules listed in sysORTable, with what they are. */
const SERVED_MODULES: Array<[string, string]> = [
  ['NETWORK-SERVICES-MIB', 'Network services: the mail applications and their associations (RFC 2788)'],
  ['MTA-MIB', 'Mail transfer agents: per-MTA and per-channel message counters (RFC 2789)'],
  ['MADMAN-MIB', 'madman: the agent and its mail system monitoring extensions'],
];

/** os.hostname() is a system call: read it at most once a second (of request time). */
function hostnameReader(): (now: number) => string {
  let name = '';
  let readAt = -Infinity;
  return (now) => {
    if (now - readAt >= 1000 || now < readAt) {
      name = os.hostname();
      readAt = now;
    }
    return name;
  };
}

export function snmpv2View(tree: MibTree, stats: SnmpStats, sys: SystemInfo): ModuleView {
  const hostname = hostnameReader();
  const orRows = SERVED_MODULES.map(([module, descr], i) => ({ index: i + 1, id: tree.moduleIdentity(module).oid, descr }));
  return {
    module: 'SNMPv2-MIB',
    version: () => 0,
    scalars: {
      sysDescr: () => sys.descr,
      sysObjectID: () => tree.object('madmanAgentOID').oid,
      sysUpTime: (ctx) => sysUpTime(ctx),
      sysContact: () => sys.contact,
      sysName: (ctx) => sys.name ?? hostname(ctx.now),
      sysLocation: () => sys.location,
      // application (layer 7) and end-to-end (layer 4): 2^6 + 2^3
      sysServices: () => 72,
      // The module list is fixed at start-up.
      sysORLastChange: () => 0,
      snmpInPkts: () => stats.inPkts,
      snmpInBadVersions: () => stats.inBadVersions,
      snmpInBadCommunityNames: () => stats.inBadCommunityNames,
      snmpInBadCommunityUses: () => stats.inBadCommunityUses,
      snmpInASNParseErrs: () => stats.inASNParseErrs,
      snmpEnableAuthenTraps: () => 'disabled',
      snmpSilentDrops: () => stats.silentDrops,
      snmpProxyDrops: () => stats.proxyDrops,
    },
    tables: [
      table<(typeof orRows)[number]>({
        entry: 'sysOREntry',
        rows: () => orRows,
        index: (r) => [r.index],
        columns: {
          sysORID: (r) => r.id,
          sysORDescr: (r) => r.descr,
          sysORUpTime: () => 0,
        },
      }),
    ],
  };
}
