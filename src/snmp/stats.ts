// The SNMP agent's own counters: SNMPv2-MIB's snmp group, SNMP-MPD-MIB's snmpMPDStats and
// MADMAN-MIB's agent counters. Every transport (UDP, SNMPv3 processing, AgentX) counts here.

/** SNMPv2-MIB snmp group counters (RFC 3418) and our own. */
export class SnmpStats {
  inPkts = 0;
  inBadVersions = 0;
  inBadCommunityNames = 0;
  inBadCommunityUses = 0;
  inASNParseErrs = 0;
  silentDrops = 0;
  proxyDrops = 0;
  /** madmanAgentEncodeErrors */
  encodeErrors = 0;
  /** madmanAgentDroppedRequests: every request left unanswered, whatever the cause */
  droppedRequests = 0;
  /** SNMP-MPD-MIB snmpMPDStats (RFC 3412) */
  unknownSecurityModels = 0;
  invalidMsgs = 0;
  unknownPDUHandlers = 0;
}
