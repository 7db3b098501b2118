// SNMPv3 engine objects: SNMP-FRAMEWORK-MIB snmpEngine (RFC 3411), SNMP-MPD-MIB
// snmpMPDStats (RFC 3412) and SNMP-USER-BASED-SM-MIB usmStats (RFC 3414).

import type { SnmpStats } from '../snmp/stats.js';
import type { EngineIdentity } from '../snmp/usm/engine-id.js';
import type { UsmStats } from '../snmp/usm/usm.js';
import type { ModuleView } from './view.js';

export function snmpEngineView(engine: EngineIdentity, maxMessageSize: number): ModuleView {
  return {
    module: 'SNMP-FRAMEWORK-MIB',
    version: () => 0,
    scalars: {
      snmpEngineID: () => engine.id,
      snmpEngineBoots: () => engine.boots,
      snmpEngineTime: () => engine.time(),
      snmpEngineMaxMessageSize: () => maxMessageSize,
    },
  };
}

export function snmpMpdView(stats: SnmpStats): ModuleView {
  return {
    module: 'SNMP-MPD-MIB',
    version: () => 0,
    scalars: {
      snmpUnknownSecurityModels: () => stats.unknownSecurityModels,
      snmpInvalidMsgs: () => stats.invalidMsgs,
      snmpUnknownPDUHandlers: () => stats.unknownPDUHandlers,
    },
  };
}

/** SNMP-TARGET-MIB's command responder counters (RFC 3413); no context is ever unavailable. */
export function snmpTargetView(stats: UsmStats): ModuleView {
  return {
    module: 'SNMP-TARGET-MIB',
    version: () => 0,
    scalars: {
      snmpUnavailableContexts: () => 0,
      snmpUnknownContexts: () => stats.unknownContexts,
    },
  };
}

export function usmStatsView(stats: UsmStats): ModuleView {
  return {
    module: 'SNMP-USER-BASED-SM-MIB',
    version: () => 0,
    scalars: {
      usmStatsUnsupportedSecLevels: () => stats.unsupportedSecLevels,
      usmStatsNotInTimeWindows: () => stats.notInTimeWindows,
      usmStatsUnknownUserNames: () => stats.unknownUserNames,
      usmStatsUnknownEngineIDs: () => stats.unknownEngineIDs,
      usmStatsWrongDigests: () => stats.wrongDigests,
      usmStatsDecryptionErrors: () => stats.decryptionErrors,
    },
  };
}
