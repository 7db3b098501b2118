// `madman mib list|path`: what the agent serves, and where its MIB files are.

import { buildServing } from '../agent.js';
import { defaults } from '../config/config.js';
import { ourMibDir } from '../mib/loader.js';
import { MailSystem } from '../model/mail-system.js';
import { SnmpStats } from '../snmp/stats.js';

/**
 * The one directory holding every module the tools need for our MIBs with `-m ALL`: ours,
 * the base SMI modules they import, and the few modules Debian's own Net-SNMP MIBs import
 * but Debian does not ship (mibs/; docs/design.md "MIB files").
 */
export function mibPath(): number {
  process.stdout.write(`${ourMibDir()}\n`);
  return 0;
}

/** Every object the agent serves (scalars and columns), from the bound index itself. */
export function mibList(): number {
  const { tree, index } = buildServing(new MailSystem(), new SnmpStats(), defaults().system);
  for (const e of index.objects) {
    const o = tree.atOid(e.oid)!;
    process.stdout.write(`${e.oid.join('.')}\t${o.module}::${o.name}\t${e.kind}\t${o.syntax?.name ?? ''}\n`);
  }
  return 0;
}
