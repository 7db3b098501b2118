// Alarm events as notifications: the NOTIFICATION-TYPE's OID and its OBJECTS come from
// the MIB (mibs/MADMAN-MIB.txt via the loader), each object's value from the same column
// getter the alarm table serves, its instance being the alarm's row.

import { notificationNames } from '../alarms/definitions.js';
import type { AlarmEvent } from '../alarms/engine.js';
import type { MibTree } from '../mib/loader.js';
import { alarmColumns } from '../mib/madman-alarms.js';
import { sysUpTime, type ViewContext } from '../mib/view.js';
import type { Notification } from '../snmp/notifications.js';

export function alarmNotification(tree: MibTree, e: AlarmEvent, ctx: ViewContext): Notification {
  const names = notificationNames(e.alarm.alarm);
  const name = e.transition === 'cleared' ? names.cleared : names.raised;
  const n = tree.object(name);
  if (n.kind !== 'notification') throw new Error(`${name} is not a NOTIFICATION-TYPE`);
  const varbinds = (n.objects ?? []).map((objectName) => {
    const col = tree.object(objectName);
    const get = alarmColumns[objectName];
    if (!get || !col.syntax) throw new Error(`${name}: no alarm column ${objectName}`);
    return { name: objectName, oid: [...col.oid, e.alarm.index], syntax: col.syntax, value: get(e.alarm, ctx) };
  });
  // TimeTicks wrap modulo 2^32 (RFC 2578 §7.1.8)
  return { name, oid: n.oid, uptime: sysUpTime(ctx) % 4294967296, varbinds };
}
