// MADMAN-MIB's madmanDiskTable and madmanAlarmTable (counterutil diskusage and alarm).
// The alarm columns are also the varbinds of the notifications (src/notify/build.ts).

import type { AlarmInstance } from '../model/alarms.js';
import { percentAvail, type DiskUsage } from '../model/disks.js';
import type { MailSystem } from '../model/mail-system.js';
import type { PlainValue } from '../snmp/values.js';
import { table, timeStamp, type ModuleView, type ViewContext } from './view.js';

const MB = 1024 * 1024;
const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/** An Integer32 column's value: rounded, held within range. */
function int32(v: number | undefined): number {
  if (v === undefined || !Number.isFinite(v)) return 0;
  const n = Math.round(v);
  return n > INT32_MAX ? INT32_MAX : n < INT32_MIN ? INT32_MIN : n;
}

export const alarmColumns: Record<string, (a: AlarmInstance, ctx: ViewContext) => PlainValue> = {
  madmanAlarmId: (a) => a.alarm,
  madmanAlarmInstance: (a) => a.instance,
  madmanAlarmDescription: (a) => a.description,
  madmanAlarmCurrent: (a) => int32(a.current),
  madmanAlarmThreshold: (a) => int32(a.threshold),
  madmanAlarmClearThreshold: (a) => int32(a.clearThreshold),
  madmanAlarmDirection: (a) => a.direction,
  madmanAlarmHigh: (a) => int32(a.high),
  madmanAlarmLow: (a) => int32(a.low),
  madmanAlarmStatInterval: (a) => int32(a.statInterval),
  madmanAlarmWarningInterval: (a) => int32(a.warningInterval),
  madmanAlarmCountOverThreshold: (a) => a.countOverThreshold,
  madmanAlarmCountWarningSent: (a) => a.countWarningSent,
  madmanAlarmTimeLastSet: (a, ctx) => timeStamp(ctx, a.timeLastSet),
  madmanAlarmTimeLastWarning: (a, ctx) => timeStamp(ctx, a.timeLastWarning),
  madmanAlarmTimeReset: (a, ctx) => timeStamp(ctx, a.timeReset),
  madmanAlarmTimeStateChanged: (a, ctx) => timeStamp(ctx, a.timeStateChanged),
  madmanAlarmWarningState: (a) => (a.warningState ? 'true' : 'false'),
};

export function madmanAlarmsView(model: MailSystem): ModuleView {
  return {
    module: 'MADMAN-MIB',
    version: () => model.disksVersion,
    tables: [
      table<DiskUsage>({
        entry: 'madmanDiskEntry',
        // a path not read yet has no figures to serve: a 0 would read as a full disk
        rows: () => [...model.disks.values()].filter((d) => d.lastStat !== undefined),
        index: (d) => [d.index],
        columns: {
          madmanDiskPath: (d) => d.path,
          madmanDiskMountPoint: (d) => d.mountPoint,
          madmanDiskTotalMBytes: (d) => Math.floor(d.totalBytes / MB),
          madmanDiskAvailMBytes: (d) => Math.floor(d.availBytes / MB),
          // rounded down as counterutil's; defined: the row was read
          madmanDiskPercentAvail: (d) => Math.floor(percentAvail(d) ?? 0),
          madmanDiskLastStatTime: (d, ctx) => timeStamp(ctx, d.lastStat),
        },
      }),
      table<AlarmInstance>({
        entry: 'madmanAlarmEntry',
        rows: () => model.alarms.rows.values(),
        index: (a) => [a.index],
        columns: alarmColumns,
        version: () => model.alarms.version,
      }),
    ],
  };
}
