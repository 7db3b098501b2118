// A Postfix log line: the kit's syslog framing (src/sources/kit/syslog.ts: timestamp,
// host, program[pid]), then the message text, which messages.ts turns into an event.
//
// Programs: `<syslog_name>[/<service>...]/<daemon>` where syslog_name contains "postfix"
// (`postfix`, `postfix-out`, a custom name). Lines of other programs give undefined.

import type { Clock } from '../../clock.js';
import { SyslogFramer, type FrameOptions, type SyslogLine } from '../kit/syslog.js';
import type { ParsedLine } from './events.js';
import { parseEvent } from './messages.js';

/** Per line: the year of BSD timestamps, the clock for its inference, the time of unstamped lines. */
export type ParseOptions = FrameOptions;

interface Program {
  syslogName: string;
  service?: string;
  daemon: string;
}

/** `<syslog_name>[/<service>...]/<daemon>` where syslog_name contains "postfix"; other programs are not Postfix's. */
function postfixProgram(name: string): Program | undefined {
  const first = name.indexOf('/');
  const last = name.lastIndexOf('/');
  if (!(first > 0 && last < name.length - 1 && name.lastIndexOf('postfix', first) >= 0)) return undefined;
  const p: Program = { syslogName: name.slice(0, first), daemon: name.slice(last + 1) };
  if (last > first) p.service = name.slice(first + 1, last);
  return p;
}

/** Parses lines (the kit's SyslogFramer, then messages.ts); keeps caches, so one parser per stream is fastest. */
export class LineParser {
  private readonly framer: SyslogFramer<Program>;

  constructor(opts: { clock?: Clock; year?: number } = {}) {
    this.framer = new SyslogFramer({ program: postfixProgram, ...opts });
  }

  /** A syslog line; undefined when it is not a Postfix program's. */
  parseLine(text: string, opts?: ParseOptions): ParsedLine | undefined {
    const f = this.framer.parse(text, opts);
    return f && parsed(f);
  }

  /** A journal entry: SYSLOG_IDENTIFIER, _PID, MESSAGE and its time. */
  parseMessage(program: string, pid: number | undefined, message: string, time: number, host?: string): ParsedLine | undefined {
    const info = this.framer.programInfo(program);
    return info && parsed({ time, host, program, info, pid: pid ?? 0, message });
  }
}

const shared = new LineParser();

/** Parses one syslog line; undefined when it is not a Postfix program's line. */
export function parseLine(text: string, opts: ParseOptions = {}): ParsedLine | undefined {
  return shared.parseLine(text, opts);
}

/** Parses a journal entry (SYSLOG_IDENTIFIER, _PID, MESSAGE, time); undefined when not Postfix's. */
export function parseMessage(program: string, pid: number | undefined, message: string, time: number, host?: string): ParsedLine | undefined {
  return shared.parseMessage(program, pid, message, time, host);
}

/** One parsed line, from a syslog line or a journal entry alike. */
function parsed(f: SyslogLine<Program>): ParsedLine {
  const prog = f.info;
  return {
    time: f.time,
    host: f.host,
    program: f.program,
    syslogName: prog.syslogName,
    service: prog.service,
    daemon: prog.daemon,
    pid: f.pid,
    event: parseEvent(prog.daemon, f.message),
  };
}
