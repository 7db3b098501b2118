// Puts SNMPv3 and VACM together from the settings: our engine's identity from
// the state directory, users' keys localized once to our engine ID, the views,
// and which user reads through which view at which minimum level.

import type { Settings } from './config/config.js';
import type { MibTree } from './mib/loader.js';
import type { SnmpStats } from './snmp/stats.js';
import { localizeKey, passwordToKey, privKey } from './snmp/usm/crypto.js';
import { makeEngineId, startEngine, type EngineIdentity } from './snmp/usm/engine-id.js';
import { Usm, UsmStats, type CounterOids, type LocalizedUser } from './snmp/usm/usm.js';
import type { UserAccess, V3Serving } from './snmp/v3-serving.js';
import { MibView } from './snmp/vacm.js';

export interface SecurityState {
  engine: EngineIdentity;
  usmStats: UsmStats;
  views: Map<string, MibView>;
  v3: V3Serving;
  /** snmpEngineMaxMessageSize: the largest message we send or accept */
  maxMessageSize: number;
}

/** Our enterprise number, from the MIB (MADMAN-MIB's module identity under enterprises). */
export function engineEnterprise(tree: MibTree): number {
  const oid = tree.object('madman').oid;
  if (oid.length !== 7 || oid.slice(0, 6).join('.') !== '1.3.6.1.4.1') throw new Error('madman is not registered under enterprises');
  return oid[6]!;
}

/** An identity that is not saved (listing the MIB, tests of views). */
export function ephemeralEngine(): EngineIdentity {
  const t0 = performance.now();
  return { id: makeEngineId(0), boots: 1, time: () => Math.floor((performance.now() - t0) / 1000) };
}

const instance = (tree: MibTree, name: string) => [...tree.object(name).oid, 0];

/** Our engine's identity (counting this start in the state directory), then users and views. */
export function startSecurity(settings: Settings, tree: MibTree, stats: SnmpStats, enterprise: number): SecurityState {
  return securityFor(settings, tree, stats, startEngine(settings.stateDir, enterprise), new UsmStats());
}

/**
 * Users, views and access for an engine already started: at start, and when the
 * configuration is reloaded (same engine ID and boot count, counters going on).
 */
export function securityFor(settings: Settings, tree: MibTree, stats: SnmpStats, engine: EngineIdentity, usmStats: UsmStats): SecurityState {
  const sec = settings.security;
  const views = new Map<string, MibView>();
  for (const [name, families] of sec?.views ?? []) views.set(name, new MibView(name, families));
  // Keys are localized here, once, for our engine ID only: a message naming another
  // engine is refused before any key is looked at.
  const users: LocalizedUser[] = (sec?.users ?? []).map((u) => {
    const out: LocalizedUser = { name: u.name };
    if (u.auth) {
      const hash = u.auth.protocol.hash;
      out.auth = { protocol: u.auth.protocol, key: localizeKey(hash, passwordToKey(hash, Buffer.from(u.auth.pass, 'utf8')), engine.id) };
      if (u.priv) {
        const kul = localizeKey(hash, passwordToKey(hash, Buffer.from(u.priv.pass, 'utf8')), engine.id);
        out.priv = { protocol: u.priv.protocol, key: privKey(hash, kul, u.priv.protocol.keyLength) };
      }
    }
    return out;
  });
  const access = new Map<string, UserAccess>();
  for (const r of sec?.rousers ?? []) {
    access.set(r.user, r.view === undefined ? { minLevel: r.minLevel } : { minLevel: r.minLevel, view: views.get(r.view)! });
  }
  const oids: CounterOids = {
    unsupportedSecLevels: instance(tree, 'usmStatsUnsupportedSecLevels'),
    notInTimeWindows: instance(tree, 'usmStatsNotInTimeWindows'),
    unknownUserNames: instance(tree, 'usmStatsUnknownUserNames'),
    unknownEngineIDs: instance(tree, 'usmStatsUnknownEngineIDs'),
    wrongDigests: instance(tree, 'usmStatsWrongDigests'),
    decryptionErrors: instance(tree, 'usmStatsDecryptionErrors'),
    unknownContexts: instance(tree, 'snmpUnknownContexts'),
    unknownPDUHandlers: instance(tree, 'snmpUnknownPDUHandlers'),
  };
  const maxMessageSize = Math.min(settings.maxMessageSize, 65507);
  const usm = new Usm(engine, users, oids, maxMessageSize, () => ++stats.unknownPDUHandlers, usmStats);
  return { engine, usmStats: usm.stats, views, v3: { usm, access }, maxMessageSize };
}
