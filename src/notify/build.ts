// Model events as notifications: the NOTIFICATION-TYPE's OID and its OBJECTS come from
// the MIB (mibs/MADMAN-MIB.txt via the loader), each object's value from the same column
// getter the table serves, its instance being the row's: alarm events from the alarm table
// (madmanAlarmRaised/Cleared, madmanServiceDown/Up), the watcher's actions from the probe
// table (madmanServiceRestarted).

import { notificationNames } from '../alarms/definitions.js';
import type { AlarmEvent } from '../alarms/engine.js';
import type { MibTree } from '../mib/loader.js';
import { alarmColumns } from '../mib/madman-alarms.js';
import { probeColumns } from '../mib/madman-probes.js';
import { sysUpTime, type ViewContext } from '../mib/view.js';
import type { WatcherEvent } from '../model/checks.js';
import type { Notification } from '../snmp/notifications.js';
import type { PlainValue } from '../snmp/values.js';

/** The notification `name` with its objects read from `row` (table row `index`) by `columns`. */
function notificationOf<R>(tree: MibTree, name: string, columns: Record<string, (r: R, ctx: ViewContext) => PlainValue>, row: R, index: number, ctx: ViewContext): Notification {
  const n = tree.object(name);
  if (n.kind !== 'notification') throw new Error(`${name} is not a NOTIFICATION-TYPE`);
  const varbinds = (n.objects ?? []).map((objectName) => {
    const col = tree.object(objectName);
    const get = columns[objectName];
    if (!get || !col.syntax) throw new Error(`${name}: no column ${objectName}`);
    return { name: objectName, oid: [...col.oid, index], syntax: col.syntax, value: get(row, ctx) };
  });
  // TimeTicks wrap modulo 2^32 (RFC 2578 §7.1.8)
  return { name, oid: n.oid, uptime: sysUpTime(ctx) % 4294967296, varbinds };
}

export function alarmNotification(tree: MibTree, e: AlarmEvent, ctx: ViewContext): Notification {
  const names = notificationNames(e.alarm.alarm);
  return notificationOf(tree, e.transition === 'cleared' ? names.cleared : names.raised, alarmColumns, e.alarm, e.alarm.index, ctx);
}

/** madmanServiceRestarted: the watcher restarted a service, or gave up (suspended). */
export function watcherNotification(tree: MibTree, e: WatcherEvent, ctx: ViewContext): Notification {
  return notificationOf(tree, 'madmanServiceRestarted', probeColumns, e.check, e.check.index, ctx);
}
