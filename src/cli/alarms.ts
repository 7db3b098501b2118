// `madman alarms [--raised] [--json]`: the alarm instances of the running agent
// (madmanAlarmTable, read over SNMP like `madman stat`) and their state. With --raised only
// the raised ones are printed, nothing when none, and the exit code says whether any is
// (1) or not (0), for cron (which mails only output) and Nagios-style checks.

import { sunTime } from '../notify/sun-time.js';
import { AgentError, STAT_EXIT } from './agent-client.js';
import { openSession, snapshot, type AgentSession, type StatFlags } from './stat.js';
import { cellValue, type Snapshot } from './stat-objects.js';

/** The options of `madman alarms`. */
export interface AlarmsFlags extends StatFlags {
  raised?: boolean;
}

/** One alarm instance as `madman alarms` shows it. */
export interface AlarmLine {
  alarm: string;
  instance: string;
  state: 'raised' | 'ok';
  current: number;
  threshold: number;
  direction: string;
  high: number;
  low: number;
  countOverThreshold: number;
  countWarningSent: number;
  /** when the state last changed (ms since the epoch), null if never since the agent started */
  changed: number | null;
  description: string;
}

/** The alarm instances of a snapshot, as `madman alarms` shows them. */
export async function alarmLines(s: Snapshot): Promise<AlarmLine[]> {
  const num = (v: number | string | null) => (typeof v === 'number' ? v : 0);
  return (await s.table('madmanAlarmEntry')).map((r) => {
    const v = (column: string) => cellValue(s, r, column);
    const changed = v('madmanAlarmTimeStateChanged');
    return {
      alarm: String(v('madmanAlarmId') ?? ''),
      instance: String(v('madmanAlarmInstance') ?? ''),
      state: v('madmanAlarmWarningState') === 'true' ? 'raised' : 'ok',
      current: num(v('madmanAlarmCurrent')),
      threshold: num(v('madmanAlarmThreshold')),
      direction: String(v('madmanAlarmDirection') ?? ''),
      high: num(v('madmanAlarmHigh')),
      low: num(v('madmanAlarmLow')),
      countOverThreshold: num(v('madmanAlarmCountOverThreshold')),
      countWarningSent: num(v('madmanAlarmCountWarningSent')),
      changed: typeof changed === 'number' ? changed : null,
      description: String(v('madmanAlarmDescription') ?? ''),
    };
  });
}

const HEADERS = ['ALARM', 'INSTANCE', 'STATE', 'CURRENT', 'THRESHOLD', 'HIGH', 'LOW', 'OVER', 'SENT', 'CHANGED'];
const RIGHT = new Set(['CURRENT', 'HIGH', 'LOW', 'OVER', 'SENT']);

/** A table with a header, columns as wide as their widest cell. */
export function formatAlarms(lines: AlarmLine[]): string {
  const rows = lines.map((a) => [
    a.alarm,
    a.instance,
    a.state,
    String(a.current),
    `${a.direction} ${a.threshold}`,
    String(a.high),
    String(a.low),
    String(a.countOverThreshold),
    String(a.countWarningSent),
    a.changed === null ? '-' : sunTime(a.changed),
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (RIGHT.has(HEADERS[i]!) ? c.padStart(widths[i]!) : i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(HEADERS), ...rows.map(line)].join('\n')}\n`;
}

/** `madman alarms`; returns the exit code (STAT_EXIT), the reason on stderr. */
export async function alarmsCommand(flags: AlarmsFlags): Promise<number> {
  let session: AgentSession | undefined;
  try {
    session = await openSession(flags);
    let lines = await alarmLines(await snapshot(session));
    if (flags.raised) lines = lines.filter((a) => a.state === 'raised');
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(lines.map((a) => ({ ...a, changed: a.changed === null ? null : new Date(a.changed).toISOString() })))}\n`);
    } else if (lines.length) process.stdout.write(formatAlarms(lines));
    else if (!flags.raised) process.stdout.write(`no alarm instances yet at ${session.label}\n`);
    return flags.raised && lines.length ? STAT_EXIT.raised : STAT_EXIT.ok;
  } catch (err) {
    if (!(err instanceof AgentError)) throw err;
    process.stderr.write(`madman alarms: ${err.message}\n`);
    return err.code;
  } finally {
    session?.reader.close();
  }
}
